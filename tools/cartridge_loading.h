// Loading and unloading a drive, for `vtape load/unload` and `vtape changer`:
// the running vtapefs is asked through its control socket; with none
// running, the change is recorded in the library (drives.state) under the
// library's lock, so the next mount starts with it.
#pragma once

#include "library/tape_library.h"
#include "tapeformat/base/status.h"

namespace vtape {

// Puts cartridge `c` into `drive`.  *offline says no vtapefs ran (only the
// saved state changed).
Status load_cartridge(TapeLibrary& library, int drive, const Cartridge& c, bool* offline);
// Takes the cartridge out of `drive`.
Status unload_drive(TapeLibrary& library, int drive, bool* offline);

}  // namespace vtape
