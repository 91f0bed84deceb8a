#include "tools/cartridge_loading.h"

#include <fmt/format.h>

#include "library/library_lock.h"

namespace vtape {

Status load_cartridge(TapeLibrary& lib, int drive, const Cartridge& c, bool* offline) {
  std::string payload;
  return request_or_offline(
      lib, fmt::format("load {} {}", drive, c.volser), &payload,
      [&]() -> Status {
        auto loaded = lib.loaded();
        if (loaded.count(drive) != 0) {
          return Status::invalid_argument(
              fmt::format("drive {} already holds {}; unload it first", drive, loaded[drive]));
        }
        for (const auto& [d, v] : loaded) {
          if (v == c.volser) return Status::invalid_argument(fmt::format("{} is already in drive {}", c.volser, d));
        }
        return lib.set_loaded(drive, c.volser);
      },
      offline);
}

Status unload_drive(TapeLibrary& lib, int drive, bool* offline) {
  std::string payload;
  return request_or_offline(
      lib, fmt::format("unload {}", drive), &payload,
      [&]() -> Status {
        if (lib.loaded().count(drive) == 0) return Status::invalid_argument(fmt::format("drive {} is empty", drive));
        return lib.set_loaded(drive, std::nullopt);
      },
      offline);
}

}  // namespace vtape
