// Which container format an image is, told from its first objects.  A
// framed format (AWS, SIMH, E11) that reads cleanly decides; the file name's
// extension settles what such content cannot (an empty image, or a
// SIMH-framed image without odd-length records, which reads the same as E11
// and MTD).  A damaged image is judged as the framed format its extension
// names, else as the framed format that read records before the damage.
// TPC, which has no framing to check, comes last: only when the name says
// .tpc or no framed format reads anything.
#pragma once

#include <string>

#include "tapeformat/image_file.h"
#include "tapeformat/base/status.h"
#include "tapeformat/tape_format.h"

namespace vtape {

Status detect_format(ImageFile& file, Format* format);

}  // namespace vtape
