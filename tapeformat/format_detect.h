// Which container format an image is, told from its first objects; the file
// name's extension only settles what the content cannot (an empty image, or
// a SIMH-framed image without odd-length records, which reads the same as
// E11 and MTD).
#pragma once

#include <string>

#include "tapeformat/image_file.h"
#include "tapeformat/status.h"
#include "tapeformat/tape_format.h"

namespace vtape {

Status detect_format(ImageFile& file, Format* format);

}  // namespace vtape
