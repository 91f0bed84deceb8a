#include "index/decompressor.h"

#include <algorithm>

#include <fmt/format.h>

namespace vtape {

// The built-in decompressors, one file each.
bool is_gzip_start(std::span<const uint8_t> first);   // gzip_decompressor.cc
std::unique_ptr<Decompressor> make_gzip_decompressor();
bool is_bzip2_start(std::span<const uint8_t> first);  // bzip2_decompressor.cc
std::unique_ptr<Decompressor> make_bzip2_decompressor();
bool is_xz_start(std::span<const uint8_t> first);     // xz_decompressor.cc
std::unique_ptr<Decompressor> make_xz_decompressor();
bool is_zstd_start(std::span<const uint8_t> first);   // zstd_decompressor.cc
std::unique_ptr<Decompressor> make_zstd_decompressor();

// The table, in the order the compressions are tried.
const std::vector<ContentCompression>& compressions() {
  static const std::vector<ContentCompression> table = {
      {"gzip", is_gzip_start, make_gzip_decompressor},
      {"bzip2", is_bzip2_start, make_bzip2_decompressor},
      {"xz", is_xz_start, make_xz_decompressor},
      {"zstd", is_zstd_start, make_zstd_decompressor},
  };
  return table;
}

const ContentCompression* find_compression(std::string_view name) {
  for (const auto& c : compressions()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

StreamDecompressor::StreamDecompressor(const ContentCompression& compression)
    : compression_(compression), decompressor_(compression.make()), chunk_(kChunk) {
  if (!decompressor_) fail(fmt::format("{}: cannot start the decompressor", compression_.name));
}

void StreamDecompressor::fail(std::string why) {
  if (!damage_) damage_ = std::move(why);
}

bool StreamDecompressor::feed(std::span<const uint8_t>& in, const Sink& sink) {
  while (!damage_ && !ended_) {
    if (!in_stream_) {
      // Between streams: zero padding is skipped, anything else starts the
      // next stream.
      auto nonzero = std::find_if(in.begin(), in.end(), [](uint8_t b) { return b != 0; });
      size_t zeros = static_cast<size_t>(nonzero - in.begin());
      consumed_ += zeros;
      in = in.subspan(zeros);
      if (in.empty()) return true;
      if (started_ && !decompressor_->restart()) {
        fail(fmt::format("{}: cannot start the decompressor: {}", compression_.name, decompressor_->error()));
        break;
      }
      started_ = true;
      in_stream_ = true;
    }
    std::span<uint8_t> out(chunk_);
    size_t before = in.size();
    Decompressor::Result r = decompressor_->step(in, out);
    consumed_ += before - in.size();
    size_t made = chunk_.size() - out.size();
    if (r == Decompressor::Result::kError) {
      fail(fmt::format("{} data not valid at byte {} of the tape file ({} bytes of content before it): {}",
                       compression_.name, consumed_, produced_, decompressor_->error()));
      break;
    }
    bool more = true;
    if (made > 0) {
      produced_ += made;
      more = sink(std::span<const uint8_t>(chunk_.data(), made));
    }
    if (r == Decompressor::Result::kStreamEnd) {
      in_stream_ = false;
      ended_ = last_stream_;
    }
    if (!more) return true;
    // Nothing more comes out without more input.
    if (made == 0 && in.empty() && r == Decompressor::Result::kOk) return true;
    if (made == 0 && before == in.size() && r == Decompressor::Result::kOk) {
      fail(fmt::format("{} data not valid at byte {} of the tape file: the decompressor makes no progress",
                       compression_.name, consumed_));
      break;
    }
  }
  return !damage_;
}

bool StreamDecompressor::finish() {
  if (in_stream_) {
    fail(fmt::format("{} data ends early: the tape file ends inside a compressed stream, after {} bytes ({} bytes "
                     "of content)",
                     compression_.name, consumed_, produced_));
  }
  return !damage_;
}

}  // namespace vtape
