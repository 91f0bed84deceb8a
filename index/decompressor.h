// Compressed tape files: `tar -czf /dev/nst0` and its bzip2, xz and zstd
// siblings write an archive through a compressor.  Each compression is a
// Decompressor (a thin wrapper over its library, one file each:
// gzip_decompressor.cc, ...) and one row of compressions()
// (decompressor.cc).  StreamDecompressor drives one over a tape file's
// bytes as they stream past, in bounded memory, for the catalog's analyzer
// (compressed_content.cc), saved/ (fuse/decompressed_stream.h) and restore
// by member (tools/member_extractor.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vtape {

// One compressed stream at a time, from its first byte.
class Decompressor {
 public:
  enum class Result { kOk, kStreamEnd, kError };
  virtual ~Decompressor() = default;
  // Makes ready for a new stream; false (and error()) when it cannot.
  virtual bool restart() = 0;
  // Decompresses from the front of `in` into the front of `out`, and moves
  // both past what it consumed and produced.  kStreamEnd: the stream ended
  // (what follows `in` is not part of it); kError: the data is not valid
  // (error() says why).
  virtual Result step(std::span<const uint8_t>& in, std::span<uint8_t>& out) = 0;
  virtual std::string error() const = 0;
};

struct ContentCompression {
  const char* name;  // as the catalog records it: tape_files.compression
  // Whether the first record of a tape file begins a stream of this kind.
  bool (*matches)(std::span<const uint8_t> first_record);
  std::unique_ptr<Decompressor> (*make)();
};

// Every compression, in the order they are tried.
const std::vector<ContentCompression>& compressions();
const ContentCompression* find_compression(std::string_view name);

// Decompresses a tape file's bytes fed in pieces (records, or reads of a
// stream), handing the content to a sink in pieces of at most kChunk bytes.
// Streams may follow each other (pigz, pbzip2, several zstd frames); zero
// bytes between and after them are skipped (tar pads its last record with
// zeros).  Memory stays bounded: one output chunk and the library's state.
class StreamDecompressor {
 public:
  static constexpr size_t kChunk = 64 * 1024;
  // Takes content; false when no more is wanted.
  using Sink = std::function<bool(std::span<const uint8_t> content)>;

  explicit StreamDecompressor(const ContentCompression& compression);
  const ContentCompression& compression() const { return compression_; }
  // Decompresses from the front of `in` and moves it past what was used.
  // Returns when `in` is used up, when the sink wanted no more (the rest
  // of `in` is left for the next call), or on damage (false; damage()).
  bool feed(std::span<const uint8_t>& in, const Sink& sink);
  // The tape file ended: false (and damage()) when it ended in a stream.
  bool finish();
  // Stop at the end of the current stream: what follows is not wanted
  // (the archive inside has ended), but the stream's own check (gzip's
  // CRC, xz's and zstd's checksums) is still verified.
  void end_with_this_stream() { last_stream_ = true; }
  bool ended() const { return ended_; }
  const std::optional<std::string>& damage() const { return damage_; }
  uint64_t consumed() const { return consumed_; }  // compressed bytes used
  uint64_t produced() const { return produced_; }  // content bytes given out

 private:
  void fail(std::string why);

  const ContentCompression& compression_;
  std::unique_ptr<Decompressor> decompressor_;
  std::vector<uint8_t> chunk_;
  bool in_stream_ = false;
  bool started_ = false;
  bool last_stream_ = false;
  bool ended_ = false;
  uint64_t consumed_ = 0;
  uint64_t produced_ = 0;
  std::optional<std::string> damage_;
};

}  // namespace vtape
