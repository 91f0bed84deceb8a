// Zstandard through libzstd: `tar --zstd`.
#include <zstd.h>

#include <cstring>

#include "index/decompressor.h"

namespace vtape {
namespace {

// Bounded memory: windows up to 128 MiB (zstd's own default limit; larger
// ones need --long and are reported, not obeyed).
constexpr int kWindowLogMax = 27;

class ZstdDecompressor : public Decompressor {
 public:
  ZstdDecompressor() : ctx_(ZSTD_createDCtx()) {
    if (ctx_ != nullptr) ZSTD_DCtx_setParameter(ctx_, ZSTD_d_windowLogMax, kWindowLogMax);
  }
  ~ZstdDecompressor() override { ZSTD_freeDCtx(ctx_); }
  bool ready() const { return ctx_ != nullptr; }
  bool restart() override { return !ZSTD_isError(ZSTD_DCtx_reset(ctx_, ZSTD_reset_session_only)); }
  Result step(std::span<const uint8_t>& in, std::span<uint8_t>& out) override {
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    ZSTD_outBuffer output{out.data(), out.size(), 0};
    size_t rc = ZSTD_decompressStream(ctx_, &output, &input);
    in = in.subspan(input.pos);
    out = out.subspan(output.pos);
    if (ZSTD_isError(rc)) {
      error_ = ZSTD_getErrorName(rc);
      return Result::kError;
    }
    return rc == 0 ? Result::kStreamEnd : Result::kOk;  // 0: a frame ended and is all given out
  }
  std::string error() const override { return error_; }

 private:
  ZSTD_DCtx* ctx_;
  std::string error_;
};

}  // namespace

// The magic of a Zstandard frame.
bool is_zstd_start(std::span<const uint8_t> first) {
  static constexpr uint8_t kMagic[] = {0x28, 0xB5, 0x2F, 0xFD};
  return first.size() >= 9 && std::memcmp(first.data(), kMagic, sizeof kMagic) == 0;
}

std::unique_ptr<Decompressor> make_zstd_decompressor() {
  auto d = std::make_unique<ZstdDecompressor>();
  if (!d->ready()) return nullptr;
  return d;
}

}  // namespace vtape
