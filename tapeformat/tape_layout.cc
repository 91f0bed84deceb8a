#include "tapeformat/tape_layout.h"

#include <algorithm>

namespace vtape {

void TapeLayoutBuilder::add(const TapeObject& obj) {
  if (!current_started_) {
    current_ = TapeFileSummary{};
    current_.number = done_.size();
    current_.start_offset = obj.offset;
    current_started_ = true;
  }
  if (obj.kind == ObjectKind::kRecord) {
    current_.smallest = current_.records == 0 ? obj.length : std::min(current_.smallest, obj.length);
    current_.largest = std::max(current_.largest, obj.length);
    ++current_.records;
    current_.bytes += obj.length;
    if (obj.error_flag) ++current_.error_records;
  } else if (obj.kind == ObjectKind::kFilemark) {
    current_.terminated = true;
    done_.push_back(current_);
    current_started_ = false;
  }
}

std::vector<TapeFileSummary> TapeLayoutBuilder::files() const {
  std::vector<TapeFileSummary> out = done_;
  if (current_started_ && current_.records > 0) out.push_back(current_);
  return out;
}

}  // namespace vtape
