#include "index/tape_file_analyzer.h"

#include <algorithm>

#include "index/crc32c.h"

namespace vtape {

void TapeFileAnalyzer::classify(std::span<const uint8_t> first) {
  classified_ = true;
  if (auto detector = find_content_detector(first)) {
    result_.content = ContentKind(detector->name);
    reader_ = detector->make_reader();
  }
}

void TapeFileAnalyzer::add_record(std::span<const uint8_t> data) {
  if (!classified_) classify(data);
  uint32_t n = static_cast<uint32_t>(data.size());
  result_.smallest = result_.records == 0 ? n : std::min(result_.smallest, n);
  result_.largest = std::max(result_.largest, n);
  ++result_.records;
  result_.bytes += data.size();
  digest_.update(data);
  result_.record_crcs.push_back(crc32c(data));
  if (reader_ && reader_->wants_more()) reader_->add_record(data);
}

TapeFileAnalysis TapeFileAnalyzer::finish() {
  result_.digest = digest_.hex_digest();
  result_.digest_algorithm = digest_name(digest_.algorithm());
  if (reader_) reader_->finish(result_);
  return std::move(result_);
}

}  // namespace vtape
