// Keeping a library's catalog in line with its cartridges: used by the
// daemon at start (reconciliation after a crash) and by `vtape index` and
// `vtape new`.
#pragma once

#include "library/tape_library.h"
#include "index/catalog.h"

namespace vtape {

// Records the cartridge as a volume; indexes its image when the catalog
// has never seen it, when the image size differs from what the catalog
// recorded, or when `force`.
Status sync_volume_to_catalog(Catalog& catalog, const Cartridge& cartridge, bool force);

// The catalog's volume row for a cartridge (without counts).
VolumeRow volume_row(const Cartridge& cartridge);

}  // namespace vtape
