#include "tapeformat/tpc_codec.h"

#include <algorithm>

#include <fmt/format.h>

namespace vtape {

Status TpcCodec::attach(ImageFile& file) {
  // Index every 256th object.  Damage stops the index where it is; reading
  // forward reports the damage when it gets there.
  checkpoints_.clear();
  uint64_t offset = 0;
  uint64_t count = 0;
  for (;;) {
    TapeObject obj;
    uint64_t next = 0;
    if (!read_forward(file, offset, &obj, nullptr, &next).is_ok()) break;
    if (obj.kind == ObjectKind::kEndOfData) break;
    if (count % kCheckpointEvery == 0) checkpoints_.push_back(offset);
    ++count;
    offset = next;
  }
  indexed_end_ = offset;
  return Status::ok();
}

Status TpcCodec::read_forward(ImageFile& file, uint64_t offset, TapeObject* obj,
                              std::vector<uint8_t>* data, uint64_t* next) {
  *obj = TapeObject{};
  obj->offset = offset;
  *next = offset;
  uint64_t size = file.size();
  if (offset >= size) {
    obj->kind = ObjectKind::kEndOfData;
    return Status::ok();
  }
  if (size - offset < 2) {
    return Status::corrupt(offset, "a 2-byte length word or the end of the tape",
                           "1 stray byte at the end of the file");
  }
  uint8_t b[2];
  VTAPE_RETURN_IF_ERROR(file.read_exact(offset, b, 2, "length word"));
  uint16_t n = load_le16(b);
  if (n == 0) {
    obj->kind = ObjectKind::kFilemark;
    obj->stored_size = 2;
    *next = offset + 2;
    return Status::ok();
  }
  if (n == 0xFFFF && offset + 2 == size) {  // end-of-medium marker, only as the last word
    obj->kind = ObjectKind::kEndOfData;
    return Status::ok();
  }
  uint64_t stored = 2ull + n + (n & 1);
  if (offset + stored > size) {
    return Status::corrupt(offset,
                           fmt::format("a record of {} bytes (ending at byte {})", n, offset + stored),
                           fmt::format("the end of the file at byte {}", size));
  }
  if (data != nullptr) {
    data->resize(n);
    VTAPE_RETURN_IF_ERROR(file.read_exact(offset + 2, data->data(), n, "record"));
  }
  obj->kind = ObjectKind::kRecord;
  obj->length = obj->stored_length = n;
  obj->stored_size = stored;
  *next = offset + stored;
  return Status::ok();
}

Status TpcCodec::read_backward(ImageFile& file, uint64_t offset, TapeObject* obj,
                               uint64_t* start) {
  *obj = TapeObject{};
  *start = offset;
  obj->offset = offset;
  if (offset == 0) {
    obj->kind = ObjectKind::kBeginningOfTape;
    return Status::ok();
  }
  // The last checkpoint before `offset`, then forward to the object ending there.
  auto it = std::lower_bound(checkpoints_.begin(), checkpoints_.end(), offset);
  if (it == checkpoints_.begin() || offset > indexed_end_) {
    return Status::corrupt(offset, "an object boundary found by the index built on open",
                           "a position the index does not cover");
  }
  uint64_t at = *std::prev(it);
  for (;;) {
    TapeObject cur;
    uint64_t next = 0;
    VTAPE_RETURN_IF_ERROR(read_forward(file, at, &cur, nullptr, &next));
    if (cur.kind == ObjectKind::kEndOfData || next > offset) {
      return Status::corrupt(offset, "the end of an object", "the middle of one");
    }
    if (next == offset) {
      *obj = cur;
      *start = at;
      return Status::ok();
    }
    at = next;
  }
}

}  // namespace vtape
