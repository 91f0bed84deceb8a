// What the catalog commands (ls, find, index, import, and new) share:
// finding and opening a library's catalog, times as the catalog shows them,
// and putting a cartridge into the catalog.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "library/tape_library.h"
#include "index/catalog.h"
#include "tapeformat/image_scan.h"
#include "tools/command_line.h"

namespace vtape {

// The library directory: --library DIR, else the library of `-f DEVICE`
// (vtape mtx: a vtapefs mount or a library), else $VTAPE_LIBRARY (which
// `vtape -C MNT` sets), else the library of the vtapefs mount the current
// directory is in, else the default (~/.local/share/vtapefs).
std::string library_dir_option(const CommandLine& cl);
// The library a vtapefs mounted at `path` (or above it) serves; nullopt
// and a message when `path` is not in a vtapefs mount.
std::optional<std::string> library_of_mount(const std::string& path, std::string* error);

// Opens DIR/catalog.db, which must exist already (ls and find never make
// one).  SQLite's WAL lets it be read while vtapefs writes to it.  On
// failure prints why (as "vtape COMMAND: ...") and returns false.
bool open_existing_catalog(const std::string& command, const std::string& dir, std::unique_ptr<Catalog>* out);

// Seconds since the epoch as the catalog writes times: 2024-05-01T10:00:00Z.
std::string iso_utc(int64_t epoch);
void append_iso_utc(std::string* out, int64_t epoch);  // the same, appended
// YYYY-MM-DD (midnight UTC), or YYYY-MM-DDTHH:MM[:SS] with an optional Z or
// +HH:MM / -HH:MM (UTC when none; a space may stand for the T).
std::optional<int64_t> parse_iso_time(std::string_view text);

// The image's file name extension in a library for its format (the same
// names TapeLibrary gives the images it creates).
std::string library_extension(Format format);

// Indexes the cartridge's image into the catalog (sync_volume_to_catalog
// with force), then, if the catalog knows no time of last writing and the
// image holds tape files, takes the image file's modification time for it.
// The image's damage, if any, is listed in `damage` when given.
Status catalog_cartridge(Catalog& catalog, const Cartridge& cartridge, std::vector<DamagedRegion>* damage = nullptr);

// Adds every cartridge of the library the catalog has never seen (with
// sync_volume_to_catalog, not forced).
Status catalog_unseen_cartridges(Catalog& catalog, const TapeLibrary& library);

// After `vtape new`: records the new cartridge in the catalog, and any other
// cartridge of the library the catalog has never seen (such as the scratch
// cartridge a new library starts with).  Problems are warnings: the
// cartridge exists, and vtapefs catalogs it when it mounts the library.
void catalog_new_cartridge(const TapeLibrary& library, const Cartridge& cartridge);

// Whether a vtapefs daemon answers on the library's control socket.
bool daemon_running(const TapeLibrary& library);

}  // namespace vtape
