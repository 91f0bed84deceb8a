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

Status spool_records_from_content(std::string_view content, SpoolMetadata* m, SpoolRecords* out) {
  out->clear();
  bool printer = m->device == SpoolDevice::kPrinter;
  size_t start = 0;
  uint64_t line_number = 0;
  while (start < content.size()) {
    size_t nl = content.find('\n', start);
    size_t end = nl == std::string_view::npos ? content.size() : nl;
    std::string_view line = content.substr(start, end - start);
    ++line_number;
    if (printer) {
      bool new_page = !line.empty() && line.front() == '\f';
      std::string record(1, new_page ? '1' : ' ');
      record.append(new_page ? line.substr(1) : line);
      out->push_back(std::move(record));
    } else {
      if (line.size() > kCardLength) {
        return Status::invalid_argument(fmt::format("punch line {} has {} bytes; a card holds {}", line_number,
                                                    line.size(), kCardLength));
      }
      std::string card(line);
      card.resize(kCardLength, ' ');
      out->push_back(std::move(card));
    }
    start = end + 1;
  }
  m->unterminated = !content.empty() && content.back() != '\n';
  m->carriage_control = printer;
  m->records = out->size();
  m->lrecl = 0;
  m->data_bytes = 0;
  for (const auto& r : *out) {
    m->lrecl = std::max<uint32_t>(m->lrecl, static_cast<uint32_t>(r.size()));
    m->data_bytes += r.size();
  }
  m->content_bytes = 0;
  for_each_content_piece(*m, *out, [&](std::string_view piece) { m->content_bytes += piece.size(); });
  return Status::ok();
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
