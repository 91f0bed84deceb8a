#include "tapeformat/aws_codec.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "tapeformat/record_compression.h"

namespace vtape {
namespace {

Compression method_of(uint8_t flags1) {
  switch (flags1 & aws::kCompressionMask) {
    case aws::kZlib: return Compression::kZlib;
    case aws::kBzip2: return Compression::kBzip2;
    default: return Compression::kNone;
  }
}

std::string describe_header(const aws::ChunkHeader& h) {
  return fmt::format("length {}, previous length {}, flags 0x{:02X} 0x{:02X}", h.length,
                     h.prev_length, h.flags1, h.flags2);
}

}  // namespace

Status AwsCodec::read_header(ImageFile& file, uint64_t offset, aws::ChunkHeader* h) {
  uint8_t b[aws::kHeaderSize];
  size_t got = 0;
  VTAPE_RETURN_IF_ERROR(file.read_some(offset, b, sizeof b, &got));
  if (got != sizeof b) {
    return Status::corrupt(offset, "a 6-byte chunk header",
                           fmt::format("{} stray byte(s) at the end of the file", got));
  }
  h->length = load_le16(b);
  h->prev_length = load_le16(b + 2);
  h->flags1 = b[4];
  h->flags2 = b[5];
  if ((h->flags1 & ~aws::kKnownFlags) != 0 || (h->flags1 & aws::kCompressionMask) == 3) {
    return Status::corrupt(offset, "chunk flags made of 0x80, 0x40, 0x20 and one of 0x01/0x02",
                           fmt::format("flags1 0x{:02X}", h->flags1));
  }
  if ((h->flags1 & aws::kTapeMark) != 0 &&
      ((h->flags1 & ~aws::kTapeMark) != 0 || h->length != 0)) {
    return Status::corrupt(offset, "a tape mark header (length 0, flags1 0x40)", describe_header(*h));
  }
  return Status::ok();
}

Status AwsCodec::chunk_length_before(ImageFile& file, uint64_t offset, uint16_t* length) {
  if (offset == 0) {
    *length = 0;
    return Status::ok();
  }
  if (known_valid_ && known_end_ == offset) {
    *length = known_length_;
    return Status::ok();
  }
  if (offset + aws::kHeaderSize <= file.size()) {
    aws::ChunkHeader h;
    VTAPE_RETURN_IF_ERROR(read_header(file, offset, &h));
    *length = h.prev_length;
    return Status::ok();
  }
  // Rare: asked about the end of the tape without having walked there.
  // Walk the chain from the beginning.
  uint64_t at = 0;
  uint16_t last = 0;
  while (at < offset) {
    aws::ChunkHeader h;
    VTAPE_RETURN_IF_ERROR(read_header(file, at, &h));
    last = h.length;
    at += aws::kHeaderSize + h.length;
  }
  if (at != offset) {
    return Status::corrupt(offset, "a chunk boundary", "the middle of a chunk");
  }
  *length = last;
  return Status::ok();
}

Status AwsCodec::read_forward(ImageFile& file, uint64_t offset, TapeObject* obj,
                              std::vector<uint8_t>* data, uint64_t* next) {
  *obj = TapeObject{};
  obj->offset = offset;
  *next = offset;
  if (offset >= file.size()) {
    obj->kind = ObjectKind::kEndOfData;
    return Status::ok();
  }
  // The previous-length chain is checked only where we know the previous
  // chunk (always, except right after resynchronising past damage).
  bool check_chain = offset == 0 || (known_valid_ && known_end_ == offset);
  uint16_t expected_prev = offset == 0 ? 0 : known_length_;

  uint64_t at = offset;
  uint64_t stored = 0;
  uint8_t first_flags = 0;
  bool first = true;
  if (data != nullptr) data->clear();
  std::vector<uint8_t>* sink = data;
  for (;;) {
    aws::ChunkHeader h;
    VTAPE_RETURN_IF_ERROR(read_header(file, at, &h));
    if (check_chain && h.prev_length != expected_prev) {
      return Status::corrupt(at + 2, fmt::format("previous chunk length {}", expected_prev),
                             fmt::format("{}", h.prev_length));
    }
    if (first) {
      if (h.flags1 & aws::kTapeMark) {
        obj->kind = ObjectKind::kFilemark;
        obj->stored_size = aws::kHeaderSize;
        *next = at + aws::kHeaderSize;
        remember_chunk_end(*next, 0);
        return Status::ok();
      }
      if ((h.flags1 & aws::kStartOfRecord) == 0) {
        return Status::corrupt(at, "a chunk that starts a record (flags1 bit 0x80) or a tape mark",
                               describe_header(h));
      }
      first_flags = h.flags1;
      if (method_of(h.flags1) != Compression::kNone) {
        obj->compressed = true;
        sink = data != nullptr ? &scratch_ : nullptr;
        if (sink) sink->clear();
      }
    } else {
      if (h.flags1 & (aws::kStartOfRecord | aws::kTapeMark)) {
        return Status::corrupt(at, "the next chunk of the record begun at byte " + std::to_string(offset),
                               describe_header(h));
      }
      if ((h.flags1 & aws::kCompressionMask) != (first_flags & aws::kCompressionMask)) {
        return Status::corrupt(at, "the same compression flags in every chunk of a record",
                               describe_header(h));
      }
    }
    uint64_t data_at = at + aws::kHeaderSize;
    if (data_at + h.length > file.size()) {
      return Status::corrupt(at, fmt::format("a chunk of {} bytes after its header", h.length),
                             fmt::format("the end of the file at byte {}", file.size()));
    }
    stored += h.length;
    if (stored > kMaxRecordSize) {
      return Status::corrupt(at, fmt::format("a record of at most {} bytes", kMaxRecordSize),
                             "a chunk chain longer than that");
    }
    if (sink != nullptr && h.length > 0) {
      size_t old = sink->size();
      sink->resize(old + h.length);
      VTAPE_RETURN_IF_ERROR(file.read_exact(data_at, sink->data() + old, h.length, "chunk data"));
    }
    at = data_at + h.length;
    expected_prev = h.length;
    check_chain = true;
    remember_chunk_end(at, h.length);
    first = false;
    if (h.flags1 & aws::kEndOfRecord) break;
  }
  obj->kind = ObjectKind::kRecord;
  obj->stored_size = at - offset;
  obj->stored_length = static_cast<uint32_t>(stored);
  obj->length = obj->stored_length;
  *next = at;
  if (obj->compressed && data != nullptr) {
    VTAPE_RETURN_IF_ERROR(
        decompress_record(method_of(first_flags), scratch_, offset, kMaxRecordSize, data));
    obj->length = static_cast<uint32_t>(data->size());
  }
  return Status::ok();
}

Status AwsCodec::read_backward(ImageFile& file, uint64_t offset, TapeObject* obj,
                               uint64_t* start) {
  *obj = TapeObject{};
  *start = offset;
  obj->offset = offset;
  if (offset == 0) {
    obj->kind = ObjectKind::kBeginningOfTape;
    return Status::ok();
  }
  uint16_t length = 0;
  VTAPE_RETURN_IF_ERROR(chunk_length_before(file, offset, &length));
  uint64_t end = offset;
  uint64_t stored = 0;
  for (;;) {
    if (end < aws::kHeaderSize + uint64_t(length)) {
      return Status::corrupt(end, fmt::format("a chunk of {} bytes ending here", length),
                             fmt::format("only {} bytes before this point", end));
    }
    uint64_t at = end - aws::kHeaderSize - length;
    aws::ChunkHeader h;
    VTAPE_RETURN_IF_ERROR(read_header(file, at, &h));
    if (h.length != length) {
      return Status::corrupt(at, fmt::format("a chunk header of length {} (the previous length "
                                             "given after it)", length),
                             describe_header(h));
    }
    if (h.flags1 & aws::kTapeMark) {
      if (stored != 0) {
        return Status::corrupt(at, "the first chunk of the record that follows", "a tape mark");
      }
      obj->kind = ObjectKind::kFilemark;
      obj->stored_size = aws::kHeaderSize;
    } else {
      stored += h.length;
      if (stored > kMaxRecordSize) {
        return Status::corrupt(at, "the start of a record within 16 MiB", "a longer chunk chain");
      }
      if ((h.flags1 & aws::kStartOfRecord) == 0) {
        if (at == 0) return Status::corrupt(0, "a chunk starting a record at the beginning", describe_header(h));
        end = at;
        length = h.prev_length;
        continue;
      }
      obj->kind = ObjectKind::kRecord;
      obj->stored_length = obj->length = static_cast<uint32_t>(stored);
      obj->compressed = method_of(h.flags1) != Compression::kNone;
      obj->stored_size = offset - at;
    }
    obj->offset = *start = at;
    remember_chunk_end(at, h.prev_length);
    return Status::ok();
  }
}

Status AwsCodec::prepare_append(ImageFile& file) {
  uint16_t prev = 0;
  VTAPE_RETURN_IF_ERROR(chunk_length_before(file, file.size(), &prev));
  remember_chunk_end(file.size(), prev);
  return Status::ok();
}

Status AwsCodec::chunk_length_at_sink_end(const ByteSink& sink, uint16_t* length) const {
  if (sink.position() == 0) {
    *length = 0;
    return Status::ok();
  }
  if (known_valid_ && known_end_ == sink.position()) {
    *length = known_length_;
    return Status::ok();
  }
  return Status::invalid_argument(fmt::format(
      "cannot append an AWS chunk at byte {}: the previous chunk's length is not known (prepare_append)",
      sink.position()));
}

Status AwsCodec::append_chunks(ByteSink& sink, std::span<const uint8_t> stored,
                               uint8_t method_flags) {
  uint16_t prev = 0;
  VTAPE_RETURN_IF_ERROR(chunk_length_at_sink_end(sink, &prev));
  uint32_t chunk = std::clamp<uint32_t>(options_.chunk_size, 1, aws::kMaxChunk);
  size_t count = stored.empty() ? 1 : (stored.size() + chunk - 1) / chunk;
  std::vector<std::array<uint8_t, aws::kHeaderSize>> headers(count);
  std::vector<std::span<const uint8_t>> pieces;
  pieces.reserve(count * 2);
  size_t pos = 0;
  uint16_t last = prev;
  for (size_t i = 0; i < count; ++i) {
    size_t len = std::min<size_t>(chunk, stored.size() - pos);
    uint8_t flags = method_flags;
    if (i == 0) flags |= aws::kStartOfRecord;
    if (i + 1 == count) flags |= aws::kEndOfRecord;
    store_le16(headers[i].data(), static_cast<uint16_t>(len));
    store_le16(headers[i].data() + 2, last);
    headers[i][4] = flags;
    headers[i][5] = 0;
    pieces.emplace_back(headers[i]);
    pieces.push_back(stored.subspan(pos, len));
    pos += len;
    last = static_cast<uint16_t>(len);
  }
  VTAPE_RETURN_IF_ERROR(sink.append_object(pieces));
  remember_chunk_end(sink.position(), last);
  return Status::ok();
}

Status AwsCodec::write_record(ByteSink& sink, std::span<const uint8_t> data, bool error_flag) {
  if (error_flag) {
    return Status::not_supported(fmt::format(
        "the {} format cannot mark a record as read with an error", format_name(format_)));
  }
  if (data.size() > kMaxRecordSize) {
    return Status::invalid_argument(
        fmt::format("a record of {} bytes is larger than vtape allows ({})", data.size(), kMaxRecordSize));
  }
  if (format_ == Format::kHet && options_.compression != Compression::kNone &&
      compress_record(options_.compression, options_.level, data, &scratch_)) {
    uint8_t method = options_.compression == Compression::kZlib ? aws::kZlib : aws::kBzip2;
    return append_chunks(sink, scratch_, method);
  }
  return append_chunks(sink, data, 0);
}

Status AwsCodec::write_filemark(ByteSink& sink) {
  uint16_t prev = 0;
  VTAPE_RETURN_IF_ERROR(chunk_length_at_sink_end(sink, &prev));
  std::array<uint8_t, aws::kHeaderSize> header{};
  store_le16(header.data() + 2, prev);
  header[4] = aws::kTapeMark;
  std::span<const uint8_t> pieces[1] = {header};
  VTAPE_RETURN_IF_ERROR(sink.append_object(pieces));
  remember_chunk_end(sink.position(), 0);
  return Status::ok();
}

}  // namespace vtape
