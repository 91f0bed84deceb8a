// DriveStatus as JSON, for the control socket and `vtape status --json`.
#pragma once

#include <string>
#include <vector>

#include "library/tape_drive.h"
#include "tapeformat/base/json_writer.h"

namespace vtape {

// The drive's state as the names of the GMT_* bits mt-st prints ("BOT",
// "ONLINE", ...): the words `vtape status` has always shown.
std::vector<std::string> status_bit_names(const DriveStatus& st);
// "buffered" (st's buffer-writes) or "write-through".
const char* write_mode_name(const DriveStatus& st);
void write_drive_status(JsonWriter& j, const DriveStatus& st);
// The same for people: a few lines per drive.
std::string format_drive_status(const DriveStatus& st);

}  // namespace vtape
