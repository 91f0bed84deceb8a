#include "fuse/vtapefs.h"

#include <optional>

namespace vtape {

VtapeFs::VtapeFs(std::unique_ptr<TapeLibrary> library, int drives) : service_(std::move(library), drives) {}

Status VtapeFs::start() {
  VTAPE_RETURN_IF_ERROR(service_.start());
  saved_view_ = std::make_unique<SavedView>(library(), *catalog());
  spool_devices_ = std::make_unique<SpoolDevices>(*service_.spool_store(), spool_system_name());
  spool_view_ = std::make_unique<SpoolView>(*service_.spool_store());
  return Status::ok();
}

std::optional<DrivePath> VtapeFs::parse_drive_path(const std::string& path) const {
  DrivePath dp;
  std::string name;
  if (path.rfind("/drives/nst", 0) == 0) {
    name = path.substr(11);
  } else if (path.rfind("/drives/st", 0) == 0) {
    name = path.substr(10);
    dp.rewind_on_close = true;
  } else {
    return std::nullopt;
  }
  if (name.empty() || name.size() > 3 || name.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  dp.drive = std::stoi(name);
  if (dp.drive >= drive_count() || std::to_string(dp.drive) != name) return std::nullopt;
  return dp;
}

std::optional<Cartridge> VtapeFs::parse_library_path(const std::string& path) const {
  if (path.rfind("/library/", 0) != 0) return std::nullopt;
  std::string name = path.substr(9);
  auto dot = name.rfind('.');
  if (dot == std::string::npos) return std::nullopt;
  Cartridge c;
  if (!library().find(name.substr(0, dot), &c).is_ok()) return std::nullopt;
  if (c.image_path.substr(c.image_path.rfind('/') + 1) != name) return std::nullopt;
  return c;
}

}  // namespace vtape
