// Spacing over records and files, built on TapeImage's one-object steps, with
// the stopping rules of a tape drive:
//  - spacing records forward stops past a filemark, backward stops before one
//    (the filemark is crossed and counted in `stopped_at`);
//  - spacing files forward stops past the n-th filemark, backward before it;
//  - end of data and beginning of tape stop any motion.
#pragma once

#include <cstdint>

#include "tapeformat/tape_image.h"

namespace vtape {

struct Motion {
  uint64_t done = 0;                          // records or filemarks passed
  ObjectKind stopped_at = ObjectKind::kRecord; // kRecord: all done; else what stopped it
};

Status space_records_forward(TapeImage& tape, uint64_t count, Motion* motion);
Status space_records_backward(TapeImage& tape, uint64_t count, Motion* motion);
Status space_files_forward(TapeImage& tape, uint64_t count, Motion* motion);
Status space_files_backward(TapeImage& tape, uint64_t count, Motion* motion);

}  // namespace vtape
