// Keeping a library's catalog in line with its cartridges: used by the
// daemon at start (reconciliation after a crash) and by `vtape index` and
// `vtape new`.
#pragma once

#include "library/tape_library.h"
#include <memory>
#include <vector>

#include "index/catalog.h"
#include "tapeformat/image_scan.h"

namespace vtape {

// Opens (making or migrating it when needed) the library's catalog, which
// digests the tape files it catalogs with the library's digest
// (TapeLibrary::digest()).  Every opener that may catalog tape files uses
// this, not Catalog::open.
Status open_library_catalog(const TapeLibrary& library, std::unique_ptr<Catalog>* out);

// Records the cartridge as a volume; indexes its image when `force` or when
// the catalog's row cannot be trusted (catalog_row_is_current).  A damaged
// image is indexed up to its damage and past it (salvage), the damage is an
// "error" event, and, when `damage` is given, is listed there for the caller.
Status sync_volume_to_catalog(Catalog& catalog, const Cartridge& cartridge, bool force,
                              std::vector<DamagedRegion>* damage = nullptr);

// Whether the catalog's row still describes an image of `image_size` bytes,
// judged without reading the image (a mount checks every cartridge): the
// catalog knows the volume, no write is pending on it (a drive started
// changing the image and the catalog never recorded the change: a crash or
// a failed commit), the size is the one recorded, and the tape files are
// numbered 0 to N-1 without a gap (a tape file whose commit was lost).
bool catalog_row_is_current(const VolumeRow& row, uint64_t image_size);

// The catalog's volume row for a cartridge (without counts).
VolumeRow volume_row(const Cartridge& cartridge);

}  // namespace vtape
