#include "tapeformat/image_scan.h"

namespace vtape {
namespace {

// The first offset after `from` where a well-formed object starts, or the
// file size.
uint64_t find_resync_point(TapeImage& tape, uint64_t from) {
  for (uint64_t at = from + 1; at < tape.size(); ++at) {
    if (tape.plausible_object_at(at)) return at;
  }
  return tape.size();
}

}  // namespace

Status scan_image(TapeImage& tape, const ScanOptions& options, const ObjectVisitor& on_object,
                  const DamageVisitor& on_damage, ScanSummary* summary) {
  *summary = ScanSummary{};
  VTAPE_RETURN_IF_ERROR(tape.rewind());
  std::vector<uint8_t> data;
  for (;;) {
    TapeObject obj;
    TapePosition before = tape.position();
    Status s = tape.read(&obj, options.read_data ? &data : nullptr);
    if (!s.is_ok()) {
      if (s.code() != StatusCode::kCorrupt) return s;
      DamagedRegion region{s.offset(), tape.size(), s};
      // Resynchronise from where the damaged object began, not from the
      // byte the error names (that may lie inside the object).
      uint64_t from = std::min(before.offset, s.offset());
      region.start = from;
      if (options.salvage) region.end = find_resync_point(tape, from);
      summary->damage.push_back(region);
      if (on_damage) on_damage(region);
      if (!options.salvage || region.end >= tape.size()) {
        summary->end_offset = region.start;
        return Status::ok();
      }
      tape.seek_to_offset(region.end);
      continue;
    }
    if (obj.kind == ObjectKind::kEndOfData) {
      summary->end_offset = tape.position().offset;
      return Status::ok();
    }
    if (obj.kind == ObjectKind::kRecord) {
      ++summary->records;
      summary->bytes += obj.length;
      if (obj.error_flag) ++summary->error_records;
    } else {
      ++summary->filemarks;
    }
    if (on_object && !on_object(obj, before, options.read_data ? &data : nullptr)) {
      summary->end_offset = tape.position().offset;
      return Status::ok();
    }
  }
}

}  // namespace vtape
