// Indexes a whole image (or one tape file of it) from its bytes alone: what
// `vtape index rebuild`, `vtape import` and reconciliation after a crash
// use.  Streams; memory holds one record and the members found.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "index/catalog.h"
#include "tapeformat/image_scan.h"
#include "tapeformat/tape_image.h"

namespace vtape {

struct VolumeIndex {
  std::vector<CatalogedFile> files;
  std::string label_volser;  // from a VOL1 label, if any
  std::string label_owner;
  std::vector<DamagedRegion> damage;
  uint64_t end_of_data = 0;
};

// Every tape file of the image, from the beginning.  With salvage, damaged
// regions are passed over (and listed); without, indexing stops at damage.
// Each tape file's digest is of `digest` (the library's setting).
Status index_image(TapeImage& image, bool salvage, DigestAlgorithm digest, VolumeIndex* out);

// One tape file: the image is positioned at its first object; reads up to
// and including its filemark (or end of data).
Status index_tape_file(TapeImage& image, DigestAlgorithm digest, CatalogedFile* out);

// Puts an index into the catalog for a volume (replacing what it had).
Status store_volume_index(Catalog& catalog, const std::string& volser, const VolumeIndex& index,
                          uint64_t image_size);

}  // namespace vtape
