// What a tape image holds, object by object, and where a reader stands.
#pragma once

#include <cstdint>

namespace vtape {

enum class ObjectKind {
  kRecord,            // a data record (a "block" on the tape)
  kFilemark,          // a tape mark
  kEndOfData,         // nothing more is recorded (reading forward)
  kBeginningOfTape,   // nothing before this point (reading backward)
};

struct TapeObject {
  ObjectKind kind = ObjectKind::kEndOfData;
  uint64_t offset = 0;        // byte offset of the object in the image
  uint64_t stored_size = 0;   // bytes the object occupies in the image, framing included
  uint32_t length = 0;        // record length in bytes (uncompressed)
  uint32_t stored_length = 0; // bytes of data as stored (compressed size for HET)
  bool error_flag = false;    // SIMH: the record was read with an error on the source tape
  bool compressed = false;    // HET: the data was stored compressed
};

// Where the tape stands.  `block` counts records since the last filemark, as
// the Linux st driver does, and is -1 when unknown (after moving backwards
// over a filemark).  `object_index` counts records and filemarks from the
// beginning of tape: the logical block address MTIOCPOS reports.
struct TapePosition {
  uint64_t file = 0;
  int64_t block = 0;
  uint64_t object_index = 0;
  uint64_t offset = 0;
  bool at_bot() const { return object_index == 0; }
};

}  // namespace vtape
