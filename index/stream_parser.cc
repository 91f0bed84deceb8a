#include "index/stream_parser.h"

#include <algorithm>

namespace vtape {

void StreamParser::feed(std::span<const uint8_t> data) {
  size_t pos = 0;
  while (pos < data.size() && !done_) {
    if (skip_ > 0) {
      uint64_t take = std::min<uint64_t>(skip_, data.size() - pos);
      skip_ -= take;
      pos += static_cast<size_t>(take);
      offset_ += take;
      continue;
    }
    if (want_ == 0) return;  // the parser asked for nothing more
    if (buf_.empty()) chunk_offset_ = offset_;
    if (buf_.empty() && data.size() - pos >= want_) {
      // The whole piece is in this record (nearly every header): the
      // parser reads it where it is, with no copy and no allocation per
      // member.
      std::span<const uint8_t> piece = data.subspan(pos, want_);
      pos += want_;
      offset_ += want_;
      want_ = 0;
      on_bytes(piece);
      continue;
    }
    size_t take = std::min(want_ - buf_.size(), data.size() - pos);
    buf_.insert(buf_.end(), data.begin() + static_cast<ptrdiff_t>(pos),
                data.begin() + static_cast<ptrdiff_t>(pos + take));
    pos += take;
    offset_ += take;
    if (buf_.size() == want_) {
      std::vector<uint8_t> chunk;
      chunk.swap(buf_);
      want_ = 0;
      on_bytes(chunk);
    }
  }
}

}  // namespace vtape
