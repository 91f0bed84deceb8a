// TapeFileStream: the bytes of one tape file (all its records, end to end)
// as a stream that can be read at any offset, straight from the image
// (opened read-only; the drives keep their own handle).
//
// A tape image has no index: to find the record holding stream offset X one
// must walk the records before it.  A RecordIndex, shared by every stream
// of the same tape file, remembers record boundaries as streams pass them
// (a checkpoint every 64 records and the furthest boundary seen), so a
// read far into the file starts at most 64 records before its target, and
// only the first reader ever walks a region (headers only, without reading
// the data, except for compressed HET records whose length is only known
// once they are decompressed).
//
// One stream is one read position: its methods are serialised by a mutex,
// so one stream may serve a FUSE file handle read by several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tapeformat/base/status.h"
#include "tapeformat/tape_format.h"
#include "tapeformat/tape_image.h"

namespace vtape {

// Where a tape file is, as the catalog recorded it.
struct TapeFileLocation {
  std::string image_path;
  Format format = Format::kSimh;
  uint64_t image_offset = 0;  // byte offset of its first object in the image
  uint64_t bytes = 0;         // the sum of its record lengths
  uint32_t largest = 0;       // its largest record
};

class RecordIndex {
 public:
  // A record boundary: record number `record` starts at `stream_offset` of
  // the tape file and at `image_offset` of the image.
  struct Boundary {
    uint64_t record = 0;
    uint64_t stream_offset = 0;
    uint64_t image_offset = 0;
  };
  static constexpr uint64_t kStride = 64;

  explicit RecordIndex(uint64_t first_image_offset);
  // The known boundary with the highest record number at or before `offset`.
  Boundary nearest(uint64_t offset) const;
  // A boundary a stream passed.
  void learn(const Boundary& b);
  size_t checkpoints() const;

 private:
  mutable std::mutex mu_;
  std::vector<Boundary> checkpoints_;  // checkpoints_[k] is record k * kStride
  Boundary frontier_;                  // the furthest boundary known
};

// A tape file's content, readable at any offset: its bytes as they are
// (TapeFileStream), or decompressed (fuse/decompressed_stream.h).
class ContentStream {
 public:
  virtual ~ContentStream() = default;
  // Reads up to `n` bytes at `offset` into `dst`; `*got` is less than `n`
  // only at the end of the content.
  virtual Status read(uint64_t offset, size_t n, uint8_t* dst, size_t* got) = 0;
};

class TapeFileStream : public ContentStream {
 public:
  static Status open(const TapeFileLocation& location, std::shared_ptr<RecordIndex> index,
                     std::unique_ptr<TapeFileStream>* out);

  // Reads up to `n` bytes at `offset` into `dst`; `*got` is less than `n`
  // only at the end of the tape file.  An image that no longer holds what
  // the catalog says is a Corrupt status.
  Status read(uint64_t offset, size_t n, uint8_t* dst, size_t* got) override;
  uint64_t size() const { return location_.bytes; }
  // Records read or passed so far (for tests of the index).
  uint64_t records_walked() const { return walked_; }

 private:
  TapeFileStream() = default;
  Status position_for(uint64_t offset);
  Status next_record(uint64_t target);
  void pass(uint64_t length);

  std::mutex mu_;
  TapeFileLocation location_;
  std::shared_ptr<RecordIndex> index_;
  std::unique_ptr<TapeImage> image_;
  RecordIndex::Boundary at_;                // the next record starts here
  std::vector<RecordIndex::Boundary> recent_;  // boundaries since the last checkpoint
  std::vector<uint8_t> record_;             // the last record read with its data
  uint64_t record_start_ = 0;
  bool have_record_ = false;
  uint64_t walked_ = 0;
};

}  // namespace vtape
