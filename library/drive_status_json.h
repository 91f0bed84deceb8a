// DriveStatus as JSON, for the control socket and `vtape status --json`.
#pragma once

#include <string>
#include <vector>

#include "library/tape_drive.h"
#include "tapeformat/base/json_writer.h"

namespace vtape {

// Names of the GMT_* bits set in `gstat`, as mt-st prints them.
std::vector<std::string> gstat_names(uint32_t gstat);
void write_drive_status(JsonWriter& j, const DriveStatus& st);
// The same for people: a few lines per drive.
std::string format_drive_status(const DriveStatus& st);

}  // namespace vtape
