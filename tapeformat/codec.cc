#include "tapeformat/codec.h"

#include <fmt/format.h>


namespace vtape {

Status Codec::write_record(ByteSink&, std::span<const uint8_t>, bool) {
  return Status::not_supported(fmt::format("the {} format is read only", format_name(format())));
}

Status Codec::write_filemark(ByteSink&) {
  return Status::not_supported(fmt::format("the {} format is read only", format_name(format())));
}

bool Codec::plausible_object_at(ImageFile& file, uint64_t offset) {
  // A resynchronisation point must be corroborated by framing that was
  // checked: a record (SIMH repeats its length word after the data, AWS
  // chains each header to the one before) that the next object also reads
  // after.  Tape marks alone are no evidence: any four zero bytes read as a
  // SIMH one, and resynchronising into the zeros inside record data would
  // invent a tape file for every word of them.  So at most a tape's usual
  // two tape marks may come before that record.
  constexpr int kMaxFilemarksBefore = 2;
  uint64_t at = offset;
  for (int filemarks = 0;; ++filemarks) {
    TapeObject obj;
    uint64_t next = 0;
    if (!read_forward(file, at, &obj, nullptr, &next).is_ok()) return false;
    if (filemarks == 0 && obj.offset != offset) return false;
    if (obj.kind == ObjectKind::kEndOfData) return false;
    if (obj.kind == ObjectKind::kRecord) {
      TapeObject after;
      uint64_t after_next = 0;
      return read_forward(file, next, &after, nullptr, &after_next).is_ok();
    }
    if (filemarks == kMaxFilemarksBefore) return false;
    at = next;
  }
}

}  // namespace vtape
