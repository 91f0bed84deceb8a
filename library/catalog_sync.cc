#include "library/catalog_sync.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include "index/volume_indexer.h"
#include "tapeformat/tape_image.h"

namespace vtape {

VolumeRow volume_row(const Cartridge& c) {
  VolumeRow v;
  v.volser = c.volser;
  v.image_path = c.image_path;
  v.format = std::string(format_name(c.format));
  v.capacity = c.capacity;
  v.created = c.created;
  v.write_protected = c.write_protected;
  return v;
}

Status open_library_catalog(const TapeLibrary& library, std::unique_ptr<Catalog>* out) {
  VTAPE_RETURN_IF_ERROR(Catalog::open(library.catalog_path(), out));
  (*out)->set_digest_for_new_files(library.digest());
  return Status::ok();
}

bool catalog_row_is_current(const VolumeRow& v, uint64_t image_size) {
  if (v.write_pending || v.image_size != image_size) return false;
  if (image_size > 0 && v.tape_files == 0) return false;
  return v.file_number_end == v.tape_files;
}

Status sync_volume_to_catalog(Catalog& catalog, const Cartridge& c, bool force, std::vector<DamagedRegion>* damage) {
  VTAPE_RETURN_IF_ERROR(catalog.upsert_volume(volume_row(c)));
  struct stat st {};
  if (stat(c.image_path.c_str(), &st) != 0) {
    return Status::io_error(fmt::format("cannot stat {}", c.image_path), errno);
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (!force) {
    // This volume's row alone: listing every volume for each cartridge made
    // a mount of N cartridges cost N * N.
    VolumeRow v;
    bool found = false;
    VTAPE_RETURN_IF_ERROR(catalog.volume(c.volser, &v, &found));
    if (found && catalog_row_is_current(v, size)) return Status::ok();
  }
  OpenOptions options;
  options.format = c.format;
  std::unique_ptr<TapeImage> image;
  VTAPE_RETURN_IF_ERROR(TapeImage::open(c.image_path, options, &image));
  VolumeIndex index;
  VTAPE_RETURN_IF_ERROR(index_image(*image, /*salvage=*/true, catalog.digest_for_new_files(), &index));
  VTAPE_RETURN_IF_ERROR(store_volume_index(catalog, c.volser, index, size));
  std::string detail = fmt::format("indexed from the image: {} tape files", index.files.size());
  for (const auto& d : index.damage) detail += "; " + d.error.message_for(c.image_path);
  if (damage != nullptr) *damage = index.damage;
  return catalog.add_event(c.volser, -1, index.damage.empty() ? "reconcile" : "error", detail);
}

}  // namespace vtape
