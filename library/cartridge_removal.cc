#include "library/cartridge_removal.h"

#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "library/dirty_marker.h"

namespace vtape {

Status remove_cartridge(TapeLibrary& library, Catalog* catalog, const std::string& volser,
                        const std::map<int, std::string>& loaded, const std::string& spool_volser) {
  Cartridge c;
  VTAPE_RETURN_IF_ERROR(library.find(volser, &c));
  for (const auto& [drive, v] : loaded) {
    if (v == c.volser) {
      return Status::invalid_argument(fmt::format("{} is in drive {}; unload it first", c.volser, drive));
    }
  }
  if (c.write_protected) {
    return Status::invalid_argument(
        fmt::format("{} is write-protected; 'vtape unprotect {}' first if it is really to go", c.volser, c.volser));
  }
  if (c.volser == spool_volser) {
    return Status::invalid_argument(fmt::format("{} holds the spool files; it cannot be removed", c.volser));
  }
  std::string description = library.cartridges_dir() + "/" + c.volser + ".cartridge";
  if (::unlink(description.c_str()) != 0) {
    return Status::io_error(fmt::format("cannot remove {}", description), errno);
  }
  if (::unlink(c.image_path.c_str()) != 0 && errno != ENOENT) {
    return Status::io_error(fmt::format("{} is out of the library, but its image {} could not be removed", c.volser,
                                        c.image_path),
                            errno);
  }
  remove_dirty_marker(c.image_path);
  if (catalog != nullptr) {
    VTAPE_RETURN_IF_ERROR(catalog->delete_volume(c.volser));
    VTAPE_RETURN_IF_ERROR(catalog->add_event(c.volser, -1, "remove", "removed from the library, image " + c.image_path));
  }
  return Status::ok();
}

}  // namespace vtape
