// vtape rm: taking a cartridge out of the library for good.
#pragma once

#include <map>
#include <string>

#include "index/catalog.h"
#include "library/tape_library.h"
#include "tapeformat/base/status.h"

namespace vtape {

// Removes cartridge `volser` from the library.  Refused while it is in a
// drive (`loaded`: drive -> volser, from the daemon's drives or, with no
// daemon, drives.state), while it is write-protected (protection is the
// owner's "keep this"), and for the spool cartridge (`spool_volser`, whose
// files the catalog's spool tables point into).  Its description goes first,
// so the cartridge is gone at once, then its image and any .dirty marker,
// then its rows in the catalog (when given), recorded as a "remove" event.
Status remove_cartridge(TapeLibrary& library, Catalog* catalog, const std::string& volser,
                        const std::map<int, std::string>& loaded, const std::string& spool_volser);

}  // namespace vtape
