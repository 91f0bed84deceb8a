// ByteSink: where a codec's writer puts the framed bytes of tape objects, as
// leveldb's log writer writes to a WritableFile.  A codec encodes a record or
// a filemark into pieces (header, data, trailer) and appends them as one
// object; the sink decides where they go: ImageFile into an image on disk
// (image_file.h), a stream sink could send them over a connection.
#pragma once

#include <cstdint>
#include <span>

#include "tapeformat/base/status.h"

namespace vtape {

class ByteSink {
 public:
  virtual ~ByteSink() = default;

  // Byte offset at which the next appended object starts (the tape's end so
  // far).  Formats whose framing refers back to earlier bytes (AWS: the
  // previous chunk's length) check that they know what ends here.
  virtual uint64_t position() const = 0;

  // Appends one encoded object, given in pieces to avoid copying the data.
  // An object is appended whole or, on failure, not at all.
  virtual Status append_object(std::span<const std::span<const uint8_t>> pieces) = 0;
};

}  // namespace vtape
