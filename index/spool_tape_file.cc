#include "index/spool_tape_file.h"

#include <fmt/format.h>

#include "index/spool_blocks.h"
#include "index/spool_header.h"

namespace vtape {
namespace {

// The largest framing a record may get in a writable format (as the drives
// reckon it: SIMH 8 + pad, AWS 6 per 64 KiB chunk).
uint64_t framing(uint64_t n) { return 9 + 6 * (n / 65535 + 1); }

// Skips to just past the next filemark (or to the end of data).
Status skip_tape_file(TapeImage& image) {
  std::vector<uint8_t> data;
  for (;;) {
    TapeObject obj;
    VTAPE_RETURN_IF_ERROR(image.read(&obj, &data));
    if (obj.kind != ObjectKind::kRecord) return Status::ok();
  }
}

}  // namespace

uint64_t spool_tape_file_bound(const SpoolMetadata& m) {
  SpoolBlocksBound b = spool_blocks_bound(m.records, m.data_bytes);
  uint64_t total = 256 + framing(256) + framing(0);  // header, filemark
  // framing() per block, its AWS chunks counted over all the bytes.
  return total + b.bytes + b.blocks * framing(0) + 6 * (b.bytes / 65535 + 1);
}

SpoolRecordSource spool_records_source(const SpoolRecords& records) {
  return [&records](const SpoolRecordSink& put) {
    for (const auto& r : records) VTAPE_RETURN_IF_ERROR(put(r));
    return Status::ok();
  };
}

Status write_spool_tape_file(TapeImage& image, const SpoolMetadata& m, const SpoolRecordSource& records,
                             const std::function<void(std::span<const uint8_t>)>& on_record) {
  SpoolMetadata blocked = m;
  blocked.blocked = true;
  std::vector<uint8_t> header = encode_spool_header(blocked);
  VTAPE_RETURN_IF_ERROR(image.write_record(header));
  if (on_record) on_record(header);
  SpoolBlockWriter blocks([&](std::span<const uint8_t> block) {
    VTAPE_RETURN_IF_ERROR(image.write_record(block));
    if (on_record) on_record(block);
    return Status::ok();
  });
  uint64_t count = 0;
  VTAPE_RETURN_IF_ERROR(records([&](std::string_view r) {
    ++count;
    return blocks.add(r);
  }));
  if (count != m.records) {
    return Status::invalid_argument(
        fmt::format("spool file {}: {} data records given, the header says {}", m.name_type(), count, m.records));
  }
  VTAPE_RETURN_IF_ERROR(blocks.finish());
  return image.write_filemark();
}

Status write_spool_tape_file(TapeImage& image, const SpoolFile& f,
                             const std::function<void(std::span<const uint8_t>)>& on_record) {
  return write_spool_tape_file(image, f.meta, spool_records_source(f.records), on_record);
}

Status read_spool_tape_file(TapeImage& image, SpoolFile* out, bool* end) {
  *end = false;
  std::vector<uint8_t> data;
  TapeObject obj;
  VTAPE_RETURN_IF_ERROR(image.read(&obj, &data));
  if (obj.kind == ObjectKind::kEndOfData) {
    *end = true;
    return Status::ok();
  }
  if (obj.kind != ObjectKind::kRecord) {
    return Status::corrupt(obj.offset, "a spool header record", "a filemark (an empty tape file)");
  }
  SpoolFile f;
  if (Status s = decode_spool_header(data, &f.meta); !s.is_ok()) {
    // The record's offset in the image, and the byte within the header.
    return Status::corrupt(obj.offset,
                           fmt::format("a spool header record (byte {} of the header: {})",
                                       s.has_offset() ? s.offset() : 0, s.expected()),
                           s.found());
  }
  for (;;) {
    VTAPE_RETURN_IF_ERROR(image.read(&obj, &data));
    if (obj.kind != ObjectKind::kRecord) break;
    if (!f.meta.blocked) {
      f.records.emplace_back(reinterpret_cast<const char*>(data.data()), data.size());
      continue;
    }
    Status s = unpack_spool_block(data, [&](std::string_view r) { f.records.emplace_back(r); });
    if (!s.is_ok()) {
      // The record's offset in the image, and the byte within the block.
      return Status::corrupt(obj.offset, fmt::format("a block of spool data records (byte {} of the block: {})",
                                                     s.has_offset() ? s.offset() : 0, s.expected()),
                             s.found());
    }
  }
  if (f.records.size() != f.meta.records) {
    return Status::corrupt(obj.offset, fmt::format("{} data records, as the spool header says", f.meta.records),
                           fmt::format("{} before {}", f.records.size(),
                                       obj.kind == ObjectKind::kFilemark ? "the filemark" : "the end of the data"));
  }
  if (obj.kind != ObjectKind::kFilemark) {
    return Status::corrupt(obj.offset, "the filemark that ends a spool file", "the end of the data");
  }
  *out = std::move(f);
  return Status::ok();
}

Status scan_spool_image(TapeImage& image, const std::function<Status(ScannedSpoolFile&)>& found,
                        const std::function<void(uint64_t, uint64_t, const std::string&)>& skipped) {
  VTAPE_RETURN_IF_ERROR(image.rewind());
  for (;;) {
    ScannedSpoolFile s;
    s.file_number = image.position().file;
    s.image_offset = image.position().offset;
    TapeObject peek;
    VTAPE_RETURN_IF_ERROR(image.peek(&peek));
    if (peek.kind == ObjectKind::kEndOfData) return Status::ok();
    bool end = false;
    Status st = read_spool_tape_file(image, &s.file, &end);
    if (end) return Status::ok();
    if (!st.is_ok()) {
      if (st.code() != StatusCode::kCorrupt) return st;
      // Not a spool file (or a damaged one): go on with the next tape file.
      if (skipped) skipped(s.file_number, s.image_offset, st.message());
      if (image.position().file == s.file_number) VTAPE_RETURN_IF_ERROR(skip_tape_file(image));
      continue;
    }
    VTAPE_RETURN_IF_ERROR(found(s));
  }
}

}  // namespace vtape
