// bzip2 through libbz2: `tar -j`, pbzip2 (several streams one after another).
#include <bzlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "index/decompressor.h"

namespace vtape {
namespace {

class Bzip2Decompressor : public Decompressor {
 public:
  Bzip2Decompressor() { ready_ = BZ2_bzDecompressInit(&s_, 0, 0) == BZ_OK; }
  ~Bzip2Decompressor() override {
    if (ready_) BZ2_bzDecompressEnd(&s_);
  }
  bool ready() const { return ready_; }
  bool restart() override {
    if (ready_) BZ2_bzDecompressEnd(&s_);
    s_ = bz_stream{};
    ready_ = BZ2_bzDecompressInit(&s_, 0, 0) == BZ_OK;
    return ready_;
  }
  Result step(std::span<const uint8_t>& in, std::span<uint8_t>& out) override {
    s_.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
    s_.avail_in = static_cast<unsigned>(std::min<size_t>(in.size(), UINT32_MAX));
    s_.next_out = reinterpret_cast<char*>(out.data());
    s_.avail_out = static_cast<unsigned>(std::min<size_t>(out.size(), UINT32_MAX));
    int rc = BZ2_bzDecompress(&s_);
    in = in.subspan(static_cast<size_t>(reinterpret_cast<const uint8_t*>(s_.next_in) - in.data()));
    out = out.subspan(static_cast<size_t>(reinterpret_cast<uint8_t*>(s_.next_out) - out.data()));
    if (rc == BZ_STREAM_END) return Result::kStreamEnd;
    if (rc == BZ_OK) return Result::kOk;
    error_ = rc == BZ_DATA_ERROR || rc == BZ_DATA_ERROR_MAGIC ? "not bzip2 data, or damaged"
                                                              : fmt::format("libbz2 error {}", rc);
    return Result::kError;
  }
  std::string error() const override { return error_; }

 private:
  bz_stream s_{};
  bool ready_ = false;
  std::string error_;
};

}  // namespace

// "BZh", the block size digit, then the magic of a block or of the end of
// an empty stream.
bool is_bzip2_start(std::span<const uint8_t> first) {
  static constexpr uint8_t kBlock[] = {0x31, 0x41, 0x59, 0x26, 0x53, 0x59};
  static constexpr uint8_t kEnd[] = {0x17, 0x72, 0x45, 0x38, 0x50, 0x90};
  if (first.size() < 10 || std::memcmp(first.data(), "BZh", 3) != 0 || first[3] < '1' || first[3] > '9') return false;
  return std::memcmp(first.data() + 4, kBlock, 6) == 0 || std::memcmp(first.data() + 4, kEnd, 6) == 0;
}

std::unique_ptr<Decompressor> make_bzip2_decompressor() {
  auto d = std::make_unique<Bzip2Decompressor>();
  if (!d->ready()) return nullptr;
  return d;
}

}  // namespace vtape
