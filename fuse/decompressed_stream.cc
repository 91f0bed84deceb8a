#include "fuse/decompressed_stream.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vtape {

DecompressedStream::DecompressedStream(std::unique_ptr<TapeFileStream> raw, const ContentCompression& compression)
    : raw_(std::move(raw)), compression_(compression) {
  start_over();
}

void DecompressedStream::start_over() {
  decompressor_ = std::make_unique<StreamDecompressor>(compression_);
  input_.clear();
  input_used_ = 0;
  raw_offset_ = 0;
  window_.clear();
  window_start_ = 0;
  ended_ = false;
  ++starts_;
}

Status DecompressedStream::decompress_to(uint64_t until, uint64_t keep_from) {
  auto sink = [&](std::span<const uint8_t> content) {
    window_.insert(window_.end(), content.begin(), content.end());
    // Keep at least the last kWindow bytes, and everything from keep_from.
    if (window_.size() > 2 * kWindow) {
      uint64_t wanted_from = std::min<uint64_t>(keep_from, window_start_ + window_.size() - kWindow);
      if (wanted_from > window_start_) {
        auto drop = static_cast<size_t>(wanted_from - window_start_);
        window_.erase(window_.begin(), window_.begin() + static_cast<ptrdiff_t>(drop));
        window_start_ += drop;
      }
    }
    return window_start_ + window_.size() < until;
  };
  while (window_start_ + window_.size() < until && !ended_ && !decompressor_->damage()) {
    if (input_used_ == input_.size()) {
      input_.resize(kRawChunk);
      size_t got = 0;
      Status s = raw_->read(raw_offset_, input_.size(), input_.data(), &got);
      input_.resize(s.is_ok() ? got : 0);
      input_used_ = 0;
      VTAPE_RETURN_IF_ERROR(s);
      raw_offset_ += got;
      if (got == 0) {
        ended_ = true;
        decompressor_->finish();
        break;
      }
    }
    std::span<const uint8_t> in(input_.data() + input_used_, input_.size() - input_used_);
    decompressor_->feed(in, sink);
    input_used_ = input_.size() - in.size();
  }
  // Every read that wants content past the damage gets the error (not only
  // the first: the kernel drops the errors of its read-ahead).
  if (window_start_ + window_.size() < until && decompressor_->damage()) {
    return Status::io_error(*decompressor_->damage(), EIO);
  }
  return Status::ok();
}

Status DecompressedStream::read(uint64_t offset, size_t n, uint8_t* dst, size_t* got) {
  std::lock_guard lock(mu_);
  *got = 0;
  if (offset < window_start_) start_over();
  Status s = decompress_to(offset + n, offset);
  uint64_t window_end = window_start_ + window_.size();
  if (offset < window_end) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, window_end - offset));
    std::memcpy(dst, window_.data() + (offset - window_start_), take);
    *got = take;
  }
  // Damage after what was asked for does not matter to this read.
  return *got == n ? Status::ok() : s;
}

}  // namespace vtape
