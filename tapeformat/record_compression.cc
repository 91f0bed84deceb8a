#include "tapeformat/record_compression.h"

#include <bzlib.h>
#include <zlib.h>

#include <fmt/format.h>

namespace vtape {

bool compress_record(Compression method, int level, std::span<const uint8_t> in,
                     std::vector<uint8_t>* out) {
  if (in.empty()) return false;
  if (method == Compression::kZlib) {
    uLongf len = compressBound(static_cast<uLong>(in.size()));
    out->resize(len);
    if (compress2(out->data(), &len, in.data(), static_cast<uLong>(in.size()), level) != Z_OK) {
      return false;
    }
    out->resize(len);
    return len < in.size();
  }
  if (method == Compression::kBzip2) {
    // bzip2's documented worst case: 1% + 600 bytes.
    unsigned int len = static_cast<unsigned int>(in.size() + in.size() / 100 + 600);
    out->resize(len);
    int rc = BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(out->data()), &len,
                                      const_cast<char*>(reinterpret_cast<const char*>(in.data())),
                                      static_cast<unsigned int>(in.size()), level, 0, 0);
    if (rc != BZ_OK) return false;
    out->resize(len);
    return len < in.size();
  }
  return false;
}

namespace {

Status inflate_zlib(std::span<const uint8_t> in, uint64_t offset, uint32_t max_size,
                    std::vector<uint8_t>* out) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return Status::io_error("zlib inflateInit", ENOMEM);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  out->resize(std::min<size_t>(max_size, std::max<size_t>(in.size() * 4, 4096)));
  size_t produced = 0;
  int rc = Z_OK;
  for (;;) {
    if (produced == out->size()) {
      if (out->size() >= max_size) break;
      out->resize(std::min<size_t>(max_size, out->size() * 2));
    }
    zs.next_out = out->data() + produced;
    zs.avail_out = static_cast<uInt>(out->size() - produced);
    rc = inflate(&zs, Z_NO_FLUSH);
    produced = out->size() - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    out->clear();
    std::string found = produced >= max_size
                            ? fmt::format("more than {} bytes of decompressed data", max_size)
                            : fmt::format("a damaged zlib stream (zlib code {})", rc);
    return Status::corrupt(offset, "a zlib-compressed record", found);
  }
  out->resize(produced);
  return Status::ok();
}

Status inflate_bzip2(std::span<const uint8_t> in, uint64_t offset, uint32_t max_size,
                     std::vector<uint8_t>* out) {
  bz_stream bs{};
  if (BZ2_bzDecompressInit(&bs, 0, 0) != BZ_OK) return Status::io_error("bzip2 init", ENOMEM);
  bs.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
  bs.avail_in = static_cast<unsigned int>(in.size());
  out->resize(std::min<size_t>(max_size, std::max<size_t>(in.size() * 4, 4096)));
  size_t produced = 0;
  int rc = BZ_OK;
  for (;;) {
    if (produced == out->size()) {
      if (out->size() >= max_size) break;
      out->resize(std::min<size_t>(max_size, out->size() * 2));
    }
    bs.next_out = reinterpret_cast<char*>(out->data() + produced);
    bs.avail_out = static_cast<unsigned int>(out->size() - produced);
    rc = BZ2_bzDecompress(&bs);
    produced = out->size() - bs.avail_out;
    if (rc != BZ_OK) break;
    if (bs.avail_in == 0 && bs.avail_out != 0) break;  // input ended mid-stream
  }
  BZ2_bzDecompressEnd(&bs);
  if (rc != BZ_STREAM_END) {
    out->clear();
    std::string found = produced >= max_size
                            ? fmt::format("more than {} bytes of decompressed data", max_size)
                            : fmt::format("a damaged bzip2 stream (bzip2 code {})", rc);
    return Status::corrupt(offset, "a bzip2-compressed record", found);
  }
  out->resize(produced);
  return Status::ok();
}

}  // namespace

Status decompress_record(Compression method, std::span<const uint8_t> in, uint64_t offset,
                         uint32_t max_size, std::vector<uint8_t>* out) {
  if (method == Compression::kZlib) return inflate_zlib(in, offset, max_size, out);
  if (method == Compression::kBzip2) return inflate_bzip2(in, offset, max_size, out);
  out->assign(in.begin(), in.end());
  return Status::ok();
}

}  // namespace vtape
