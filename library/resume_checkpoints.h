// The checkpoints below the point a resumed migration (vtape migrate
// --resume) goes on from: BOT and the start of every tape file the copy
// holds already.  The copier of a fresh migration makes them as it copies;
// one resumed knows only its resume point, yet it needs them to say where
// every tape file begins in the new image (the catalog's offsets, and the
// drive's recorder, move to those at the switch when the format changes)
// and to go back below the resume point when the tape is cut there.
#pragma once

#include <string>
#include <vector>

#include "library/image_copier.h"
#include "tapeformat/base/status.h"
#include "tapeformat/tape_format.h"

namespace vtape {

// Reads the source and its copy side by side (record and filemark
// headers, not their data) up to `resume`, a checkpoint of the copy.
// *out: BOT, then the start of each tape file before `resume`, ascending.
// An error names both images and the object where they differ: the source
// changed since the copy was made (the migration is to be aborted).
Status find_resume_checkpoints(const std::string& source_path, Format source_format, const std::string& target_path,
                               Format target_format, const ImageCopier::Checkpoint& resume,
                               std::vector<ImageCopier::Checkpoint>* out);

}  // namespace vtape
