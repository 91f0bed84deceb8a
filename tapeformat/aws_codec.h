// AWSTAPE and HET: records as chains of chunks, each behind a 6-byte header
// that also gives the previous chunk's length (which is what lets a reader
// move backwards).  HET adds per-record zlib or bzip2 compression; the same
// reader reads both.
#pragma once

#include "tapeformat/aws_format.h"
#include "tapeformat/codec.h"

namespace vtape {

class AwsCodec : public Codec {
 public:
  AwsCodec(Format format, const WriteOptions& options) : format_(format), options_(options) {}

  Format format() const override { return format_; }
  Status read_forward(ImageFile& file, uint64_t offset, TapeObject* obj,
                      std::vector<uint8_t>* data, uint64_t* next) override;
  Status read_backward(ImageFile& file, uint64_t offset, TapeObject* obj,
                       uint64_t* start) override;
  Status prepare_append(ImageFile& file) override;
  Status write_record(ByteSink& sink, std::span<const uint8_t> data, bool error_flag) override;
  Status write_filemark(ByteSink& sink) override;

 private:
  Status read_header(ImageFile& file, uint64_t offset, aws::ChunkHeader* h);
  // Length of the chunk that ends at `offset` (0 at the beginning of tape).
  Status chunk_length_before(ImageFile& file, uint64_t offset, uint16_t* length);
  void remember_chunk_end(uint64_t end, uint16_t length) {
    known_end_ = end;
    known_length_ = length;
    known_valid_ = true;
  }
  // The length of the chunk that ends where the sink appends next: known
  // from this codec's last read or write there (prepare_append), or 0 at
  // the beginning of the tape.
  Status chunk_length_at_sink_end(const ByteSink& sink, uint16_t* length) const;
  Status append_chunks(ByteSink& sink, std::span<const uint8_t> stored, uint8_t method_flags);

  Format format_;
  WriteOptions options_;
  // The last chunk this codec read or wrote: where it ends and its length.
  // Lets the codec check the previous-length chain going forward and write
  // the right previous length at the end of the tape without a rescan.
  bool known_valid_ = false;
  uint64_t known_end_ = 0;
  uint16_t known_length_ = 0;
  std::vector<uint8_t> scratch_;
};

}  // namespace vtape
