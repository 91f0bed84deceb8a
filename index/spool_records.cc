#include "index/spool_records.h"

#include <algorithm>

#include <fmt/format.h>

namespace vtape {

namespace {

// Hands the read-back content of `records` to `put` piece by piece, so that
// its size can be had without building it.
template <class Put>
void for_each_content_piece(const SpoolMetadata& m, const SpoolRecords& records, Put put) {
  for (size_t i = 0; i < records.size(); ++i) {
    std::string_view r = records[i];
    if (m.carriage_control && !r.empty()) {
      if (r.front() == '1') put("\f");
      r.remove_prefix(1);
    }
    if (m.device == SpoolDevice::kPunch) {
      size_t end = r.find_last_not_of(' ');
      r = end == std::string_view::npos ? std::string_view() : r.substr(0, end + 1);
    }
    put(r);
    if (i + 1 < records.size() || !m.unterminated) put("\n");
  }
}

}  // namespace

Status SpoolRecordSplitter::emit(std::string_view line, const SpoolRecordSink& put) {
  ++records_;
  record_.clear();
  if (printer_) {
    bool new_page = !line.empty() && line.front() == '\f';
    record_.push_back(new_page ? '1' : ' ');
    record_.append(new_page ? line.substr(1) : line);
    content_bytes_ += line.size() + 1;  // reads back as written
  } else {
    if (line.size() > kCardLength) {
      return Status::invalid_argument(fmt::format("punch line {} has {} bytes; a card holds {}", records_,
                                                  line.size(), kCardLength));
    }
    record_.assign(line);
    record_.resize(kCardLength, ' ');
    size_t end = line.find_last_not_of(' ');
    content_bytes_ += (end == std::string_view::npos ? 0 : end + 1) + 1;  // without trailing blanks
  }
  lrecl_ = std::max<uint32_t>(lrecl_, static_cast<uint32_t>(record_.size()));
  data_bytes_ += record_.size();
  return put(record_);
}

Status SpoolRecordSplitter::feed(std::string_view bytes, const SpoolRecordSink& put) {
  input_bytes_ += bytes.size();
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      line_.append(bytes);
      return Status::ok();
    }
    if (line_.empty()) {
      VTAPE_RETURN_IF_ERROR(emit(bytes.substr(0, nl), put));
    } else {
      line_.append(bytes.substr(0, nl));
      VTAPE_RETURN_IF_ERROR(emit(line_, put));
      line_.clear();
    }
    bytes.remove_prefix(nl + 1);
  }
  return Status::ok();
}

Status SpoolRecordSplitter::finish(const SpoolRecordSink& put, SpoolMetadata* m) {
  m->unterminated = !line_.empty();
  if (m->unterminated) {
    VTAPE_RETURN_IF_ERROR(emit(line_, put));
    line_.clear();
    --content_bytes_;  // no newline after the last line
  }
  m->carriage_control = printer_;
  m->records = records_;
  m->lrecl = lrecl_;
  m->data_bytes = data_bytes_;
  m->content_bytes = content_bytes_;
  return Status::ok();
}

Status spool_records_from_content(std::string_view content, SpoolMetadata* m, SpoolRecords* out) {
  out->clear();
  SpoolRecordSplitter split(m->device);
  auto keep = [&](std::string_view r) {
    out->emplace_back(r);
    return Status::ok();
  };
  VTAPE_RETURN_IF_ERROR(split.feed(content, keep));
  return split.finish(keep, m);
}

std::string spool_content_from_records(const SpoolMetadata& m, const SpoolRecords& records) {
  std::string out;
  for_each_content_piece(m, records, [&](std::string_view piece) { out.append(piece); });
  return out;
}

bool punch_lines_fit(std::string_view more, uint32_t* column) {
  for (char c : more) {
    if (c == '\n') {
      *column = 0;
    } else if (++*column > kCardLength) {
      return false;
    }
  }
  return true;
}

}  // namespace vtape
