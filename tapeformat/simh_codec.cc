#include "tapeformat/simh_codec.h"

#include <array>

#include <fmt/format.h>

#include "tapeformat/simh_format.h"

namespace vtape {
namespace {

std::string hex_word(uint32_t w) { return fmt::format("0x{:08X}", w); }

// Classes that carry data framed by length words but are not tape data:
// private data (1-6), reserved (9-D) and tape description (E).  They are
// skipped in both directions.
bool is_skipped_data_class(uint32_t cls) {
  return (cls >= 1 && cls <= 6) || (cls >= 9 && cls <= 0xE);
}

bool is_reverse_half_gap(uint32_t w) {
  return w >= simh::kReverseHalfGapLow && w <= simh::kReverseHalfGapHigh;
}

// Inlined into its callers: a scan of small records (vtape verify) reads two
// words a record, and a call that builds and destroys a Status for each cost
// a third of the scan's instructions.
[[gnu::always_inline]] inline Status read_word(ImageFile& file, uint64_t offset, uint32_t* word, const char* what) {
  uint8_t b[4];
  VTAPE_RETURN_IF_ERROR(file.read_exact(offset, b, 4, what));
  *word = load_le32(b);
  return Status::ok();
}

}  // namespace

Status SimhCodec::read_forward(ImageFile& file, uint64_t offset, TapeObject* obj,
                               std::vector<uint8_t>* data, uint64_t* next) {
  for (;;) {
    *obj = TapeObject{};
    obj->offset = offset;
    *next = offset;
    uint64_t size = file.size();
    if (offset >= size) {
      obj->kind = ObjectKind::kEndOfData;
      return Status::ok();
    }
    if (size - offset < 4) {
      return Status::corrupt(offset, "a 4-byte length word or the end of the tape",
                             fmt::format("{} stray byte(s) at the end of the file", size - offset));
    }
    uint32_t word = 0;
    VTAPE_RETURN_IF_ERROR(read_word(file, offset, &word, "length word"));
    if (word == simh::kTapeMark) {
      obj->kind = ObjectKind::kFilemark;
      obj->stored_size = 4;
      *next = offset + 4;
      return Status::ok();
    }
    if (word == simh::kEndOfMedium) {
      obj->kind = ObjectKind::kEndOfData;
      return Status::ok();
    }
    if (word == simh::kEraseGap) {
      offset += 4;
      continue;
    }
    if (word == simh::kForwardHalfGap) {
      offset += 2;
      continue;
    }
    uint32_t cls = simh::word_class(word);
    if (cls == simh::kClassPrivateMarker || is_reverse_half_gap(word)) {
      offset += 4;
      continue;
    }
    if (cls == simh::kClassMarker) {
      return Status::corrupt(offset, "a length word or a defined marker", hex_word(word));
    }
    uint32_t n = simh::word_length(word);
    if (n > kMaxRecordSize) {
      return Status::corrupt(offset,
                             fmt::format("a record length of at most {} bytes", kMaxRecordSize),
                             fmt::format("length word {} ({} bytes)", hex_word(word), n));
    }
    uint32_t pad = 0;
    if ((n & 1) != 0 && framing_ == SimhFraming::kDetect) {
      // Decide MTD framing: which of the two trailer positions repeats the word?
      uint8_t tail[5] = {};
      size_t got = 0;
      VTAPE_RETURN_IF_ERROR(file.read_some(offset + 4 + n, tail, 5, &got));
      if (got >= 4 && load_le32(tail) == word) {
        framing_ = SimhFraming::kUnpadded;
      } else if (got == 5 && load_le32(tail + 1) == word) {
        framing_ = SimhFraming::kPadded;
      }
    }
    if ((n & 1) != 0 && framing_ == SimhFraming::kPadded) pad = 1;
    uint64_t trailer_at = offset + 4 + n + pad;
    if (trailer_at + 4 > size) {
      return Status::corrupt(offset,
                             fmt::format("a record of {} bytes with its trailing length word "
                                         "(ending at byte {})",
                                         n, trailer_at + 4),
                             fmt::format("the end of the file at byte {}", size));
    }
    uint32_t trailer = 0;
    if (data != nullptr && !is_skipped_data_class(cls)) {
      // Data, pad and trailer in one read: large records go straight from
      // the kernel into the caller's buffer.
      data->resize(size_t(n) + pad + 4);
      VTAPE_RETURN_IF_ERROR(file.read_exact(offset + 4, data->data(), data->size(), "record"));
      trailer = load_le32(data->data() + n + pad);
      data->resize(n);
    } else {
      VTAPE_RETURN_IF_ERROR(read_word(file, trailer_at, &trailer, "trailing length word"));
    }
    if (trailer != word) {
      return Status::corrupt(
          trailer_at,
          fmt::format("a trailing length word {} repeating the one at byte {}", hex_word(word), offset),
          hex_word(trailer));
    }
    *next = trailer_at + 4;
    if (is_skipped_data_class(cls)) {
      offset = *next;
      continue;
    }
    obj->kind = ObjectKind::kRecord;
    obj->length = n;
    obj->stored_length = n;
    obj->stored_size = *next - offset;
    obj->error_flag = cls == simh::kClassBad;
    return Status::ok();
  }
}

Status SimhCodec::read_backward(ImageFile& file, uint64_t offset, TapeObject* obj,
                                uint64_t* start) {
  for (;;) {
    *obj = TapeObject{};
    *start = offset;
    obj->offset = offset;
    if (offset == 0) {
      obj->kind = ObjectKind::kBeginningOfTape;
      return Status::ok();
    }
    if (offset < 4) {
      return Status::corrupt(0, "a 4-byte object before this position",
                             fmt::format("only {} byte(s)", offset));
    }
    uint32_t word = 0;
    VTAPE_RETURN_IF_ERROR(read_word(file, offset - 4, &word, "trailing length word"));
    if (word == simh::kTapeMark) {
      obj->kind = ObjectKind::kFilemark;
      obj->offset = *start = offset - 4;
      obj->stored_size = 4;
      return Status::ok();
    }
    if (word == simh::kEraseGap || word == simh::kForwardHalfGap || word == simh::kEndOfMedium ||
        simh::word_class(word) == simh::kClassPrivateMarker) {
      offset -= 4;
      continue;
    }
    if (is_reverse_half_gap(word)) {
      offset -= 2;
      continue;
    }
    uint32_t cls = simh::word_class(word);
    uint32_t n = simh::word_length(word);
    if (cls == simh::kClassMarker || n > kMaxRecordSize) {
      return Status::corrupt(offset - 4, "a trailing length word", hex_word(word));
    }
    uint32_t pad = 0;
    if ((n & 1) != 0) {
      if (framing_ == SimhFraming::kPadded) pad = 1;
      if (framing_ == SimhFraming::kDetect) {
        uint32_t lead = 0;
        if (offset >= 8ull + n && read_word(file, offset - 8 - n, &lead, "length word").is_ok() &&
            lead == word) {
          framing_ = SimhFraming::kUnpadded;
        } else {
          framing_ = SimhFraming::kPadded;
          pad = 1;
        }
      }
    }
    uint64_t object_size = 8ull + n + pad;
    if (offset < object_size) {
      return Status::corrupt(offset - 4,
                             fmt::format("a record of {} bytes ending here, which needs {} bytes "
                                         "before this point",
                                         n, object_size),
                             fmt::format("only {} bytes", offset));
    }
    uint64_t lead_at = offset - object_size;
    uint32_t lead = 0;
    VTAPE_RETURN_IF_ERROR(read_word(file, lead_at, &lead, "length word"));
    if (lead != word) {
      return Status::corrupt(lead_at,
                             fmt::format("a length word {} matching the trailing one at byte {}",
                                         hex_word(word), offset - 4),
                             hex_word(lead));
    }
    if (is_skipped_data_class(cls)) {
      offset = lead_at;
      continue;
    }
    obj->kind = ObjectKind::kRecord;
    obj->offset = *start = lead_at;
    obj->length = obj->stored_length = n;
    obj->stored_size = object_size;
    obj->error_flag = cls == simh::kClassBad;
    return Status::ok();
  }
}

Status SimhCodec::write_record(ByteSink& sink, std::span<const uint8_t> data, bool error_flag) {
  if (data.empty()) {
    return Status::invalid_argument("a SIMH record holds at least 1 byte (length 0 is a tape mark)");
  }
  if (data.size() > kMaxRecordSize) {
    return Status::invalid_argument(fmt::format("a record of {} bytes is larger than the {} format allows ({})",
                                                data.size(), format_name(format_), kMaxRecordSize));
  }
  uint32_t word = static_cast<uint32_t>(data.size()) | (error_flag ? simh::kErrorBit : 0);
  std::array<uint8_t, 4> header{};
  store_le32(header.data(), word);
  static constexpr uint8_t kPad[1] = {0};
  bool padded = framing_ != SimhFraming::kUnpadded && (data.size() & 1) != 0;
  std::span<const uint8_t> pieces[4] = {header, data,
                                        std::span<const uint8_t>(kPad, padded ? 1 : 0), header};
  return sink.append_object(pieces);
}

Status SimhCodec::write_filemark(ByteSink& sink) {
  static constexpr uint8_t kMark[4] = {0, 0, 0, 0};
  std::span<const uint8_t> pieces[1] = {kMark};
  return sink.append_object(pieces);
}

}  // namespace vtape
