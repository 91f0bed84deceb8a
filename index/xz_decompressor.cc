// xz through liblzma: `tar -J`.
#include <lzma.h>

#include <cstring>

#include <fmt/format.h>

#include "index/decompressor.h"

namespace vtape {
namespace {

// Bounded memory: xz -9 needs 65 MiB to decompress; a stream that asks for
// more than this is reported, not obeyed.
constexpr uint64_t kMemoryLimit = 256ull << 20;

const char* lzma_error_text(lzma_ret rc) {
  switch (rc) {
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_MEMLIMIT_ERROR: return "the stream needs more than 256 MiB of memory to decompress";
    case LZMA_FORMAT_ERROR: return "not xz data";
    case LZMA_OPTIONS_ERROR: return "unsupported compression options";
    case LZMA_DATA_ERROR: return "damaged compressed data";
    case LZMA_BUF_ERROR: return "compressed data cut short";
    default: return "liblzma error";
  }
}

class XzDecompressor : public Decompressor {
 public:
  XzDecompressor() { ready_ = restart(); }
  ~XzDecompressor() override { lzma_end(&s_); }
  bool ready() const { return ready_; }
  bool restart() override {
    lzma_ret rc = lzma_stream_decoder(&s_, kMemoryLimit, 0);
    if (rc != LZMA_OK) error_ = lzma_error_text(rc);
    return rc == LZMA_OK;
  }
  Result step(std::span<const uint8_t>& in, std::span<uint8_t>& out) override {
    s_.next_in = in.data();
    s_.avail_in = in.size();
    s_.next_out = out.data();
    s_.avail_out = out.size();
    lzma_ret rc = lzma_code(&s_, LZMA_RUN);
    in = in.subspan(static_cast<size_t>(s_.next_in - in.data()));
    out = out.subspan(static_cast<size_t>(s_.next_out - out.data()));
    if (rc == LZMA_STREAM_END) return Result::kStreamEnd;
    if (rc == LZMA_OK || rc == LZMA_BUF_ERROR) return Result::kOk;  // LZMA_BUF_ERROR: no progress possible yet
    error_ = lzma_error_text(rc);
    return Result::kError;
  }
  std::string error() const override { return error_; }

 private:
  lzma_stream s_ = LZMA_STREAM_INIT;
  bool ready_ = false;
  std::string error_;
};

}  // namespace

// The xz stream header magic.
bool is_xz_start(std::span<const uint8_t> first) {
  static constexpr uint8_t kMagic[] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
  return first.size() >= 12 && std::memcmp(first.data(), kMagic, sizeof kMagic) == 0;
}

std::unique_ptr<Decompressor> make_xz_decompressor() {
  auto d = std::make_unique<XzDecompressor>();
  if (!d->ready()) return nullptr;
  return d;
}

}  // namespace vtape
