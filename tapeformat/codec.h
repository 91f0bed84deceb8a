// Codec: one tape image format's framing.  A codec reads single objects at a
// byte offset of an ImageFile and writes framed objects into a ByteSink (an
// image file, or any other sink of bytes); TapeImage (tape_image.h) keeps the
// position and gives tape semantics on top.  Each format's row in
// format_table.cc names its codec.  Every codec documents its bytes in
// man/vtape-formats.5.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "tapeformat/byte_sink.h"
#include "tapeformat/image_file.h"
#include "tapeformat/base/status.h"
#include "tapeformat/tape_format.h"
#include "tapeformat/tape_object.h"

namespace vtape {

class Codec {
 public:
  virtual ~Codec() = default;

  virtual Format format() const = 0;

  // Called once after open: lets a codec scan or index the image (TPC builds
  // its backward-motion index here).
  virtual Status attach(ImageFile& file) {
    (void)file;
    return Status::ok();
  }

  // Reads the object that starts at `offset` (after skipping anything the
  // format says to skip, such as SIMH erase gaps).  Fills `obj` (obj->offset
  // is where the object really starts) and `*next` with the offset just past
  // it.  `data`, when not null, receives the record's bytes.  At the end of
  // the recorded data obj->kind is kEndOfData and *next == offset.
  virtual Status read_forward(ImageFile& file, uint64_t offset, TapeObject* obj,
                              std::vector<uint8_t>* data, uint64_t* next) = 0;

  // Finds the object that ends at `offset` and sets `*start` to its offset.
  // At the beginning of the tape obj->kind is kBeginningOfTape.
  virtual Status read_backward(ImageFile& file, uint64_t offset, TapeObject* obj,
                               uint64_t* start) = 0;

  // Before objects are appended to an existing image at its end (the caller
  // has already truncated the tape at the write position): lets a codec
  // learn what its framing refers back to (AWS: the last chunk's length).
  // Not needed before writing into an empty sink.
  virtual Status prepare_append(ImageFile& file) {
    (void)file;
    return Status::ok();
  }

  // Appends a framed record / filemark to the sink.  Read-only formats
  // refuse.
  virtual Status write_record(ByteSink& sink, std::span<const uint8_t> data, bool error_flag);
  virtual Status write_filemark(ByteSink& sink);

  // True when a well-formed object seems to start at `offset`: used to find
  // the next good object after damage.
  virtual bool plausible_object_at(ImageFile& file, uint64_t offset);

  // Whether every record's bytes are stored as they are, in one piece
  // right after the object's 4-byte length word (the SIMH framings), so
  // that a reader can take them straight from the file without the codec
  // copying them (TapeImage::read_in_place).
  virtual bool records_in_place() const { return false; }
};

std::unique_ptr<Codec> make_codec(Format format, const WriteOptions& options);

}  // namespace vtape
