// gzip (RFC 1952) through zlib: `tar -z`, pigz.
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "index/decompressor.h"

namespace vtape {
namespace {

class GzipDecompressor : public Decompressor {
 public:
  GzipDecompressor() { ready_ = inflateInit2(&z_, 16 + MAX_WBITS) == Z_OK; }
  ~GzipDecompressor() override {
    if (ready_) inflateEnd(&z_);
  }
  bool ready() const { return ready_; }
  bool restart() override { return inflateReset(&z_) == Z_OK; }
  Result step(std::span<const uint8_t>& in, std::span<uint8_t>& out) override {
    z_.next_in = const_cast<Bytef*>(in.data());
    z_.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT32_MAX));
    z_.next_out = out.data();
    z_.avail_out = static_cast<uInt>(std::min<size_t>(out.size(), UINT32_MAX));
    int rc = inflate(&z_, Z_NO_FLUSH);
    in = in.subspan(static_cast<size_t>(z_.next_in - in.data()));
    out = out.subspan(static_cast<size_t>(z_.next_out - out.data()));
    if (rc == Z_STREAM_END) return Result::kStreamEnd;
    if (rc == Z_OK || rc == Z_BUF_ERROR) return Result::kOk;  // Z_BUF_ERROR: no progress possible yet
    error_ = z_.msg != nullptr ? z_.msg : zError(rc);
    return Result::kError;
  }
  std::string error() const override { return error_; }

 private:
  z_stream z_{};
  bool ready_ = false;
  std::string error_;
};

}  // namespace

// The gzip magic and the deflate method (the only one defined).
bool is_gzip_start(std::span<const uint8_t> first) {
  return first.size() >= 10 && first[0] == 0x1F && first[1] == 0x8B && first[2] == 8;
}

std::unique_ptr<Decompressor> make_gzip_decompressor() {
  auto d = std::make_unique<GzipDecompressor>();
  if (!d->ready()) return nullptr;
  return d;
}

}  // namespace vtape
