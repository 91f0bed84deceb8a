// DecompressedStream: the content of a compressed tape file (tar -z, -j,
// -J, --zstd; index/decompressor.h) as a stream that can be read at any
// offset, for the members of such an archive under saved/.
//
// Compressed data can only be decompressed from the start of a stream, so
// a read goes forward from where the last one stopped, and a read before
// what it still holds starts again from the beginning of the tape file.
// It keeps the last kWindow bytes of content, so the kernel's read-ahead
// and reads a little out of order do not start again; reading a member
// costs decompressing everything before it in the tape file, once per
// open file read in order.  Memory stays bounded: the window, one chunk of
// the tape file and the decompressor's state.
//
// One stream is one read position: its methods are serialised by a mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "fuse/tape_file_stream.h"
#include "index/decompressor.h"

namespace vtape {

class DecompressedStream : public ContentStream {
 public:
  static constexpr size_t kWindow = 1 << 20;
  static constexpr size_t kRawChunk = 256 * 1024;

  DecompressedStream(std::unique_ptr<TapeFileStream> raw, const ContentCompression& compression);
  // Damaged compressed data before `offset + n` is an I/O error naming
  // where the damage is.
  Status read(uint64_t offset, size_t n, uint8_t* dst, size_t* got) override;
  // How often decompression started from the beginning (for tests).
  uint64_t starts() const { return starts_; }

 private:
  void start_over();
  // Decompresses until the content reaches `until`, the tape file ends, or
  // the data is damaged.
  Status decompress_to(uint64_t until, uint64_t keep_from);

  std::mutex mu_;
  std::unique_ptr<TapeFileStream> raw_;
  const ContentCompression& compression_;
  std::unique_ptr<StreamDecompressor> decompressor_;
  std::vector<uint8_t> input_;      // bytes of the tape file read, input_[input_used_..] not yet used
  size_t input_used_ = 0;
  uint64_t raw_offset_ = 0;         // of the tape file, read so far
  std::vector<uint8_t> window_;     // the last content decompressed
  uint64_t window_start_ = 0;       // content offset of window_[0]
  bool ended_ = false;              // the tape file was read to its end
  uint64_t starts_ = 0;
};

}  // namespace vtape
