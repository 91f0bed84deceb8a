#include "fuse/vtapefs.h"

#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "library/catalog_sync.h"
#include "library/control_protocol.h"
#include "library/drive_status_json.h"

namespace vtape {

VtapeFs::VtapeFs(std::unique_ptr<TapeLibrary> library, int drives) : library_(std::move(library)) {
  for (int i = 0; i < drives; ++i) {
    drives_.push_back(std::make_unique<TapeDrive>(i));
    drives_.back()->set_listener([this](int drive, const std::optional<std::string>& volser) {
      Status s = library_->set_loaded(drive, volser);
      if (!s.is_ok()) fmt::print(stderr, "vtapefs: cannot record drive {}: {}\n", drive, s.message());
    });
  }
}

Status VtapeFs::preflight() {
  std::string ignored;
  if (control_request(library_->socket_path(), "status json", &ignored).is_ok()) {
    return Status::invalid_argument(
        fmt::format("another vtapefs is already serving the library {}", library_->dir()));
  }
  // Opened (created, migrated) and closed again: an SQLite connection must
  // not cross the fork into the daemon.
  std::unique_ptr<Catalog> catalog;
  return Catalog::open(library_->catalog_path(), &catalog);
}

Status VtapeFs::start() {
  VTAPE_RETURN_IF_ERROR(Catalog::open(library_->catalog_path(), &catalog_));
  saved_view_ = std::make_unique<SavedView>(*library_, *catalog_);
  spool_store_ = std::make_unique<SpoolStore>(*library_, *catalog_);
  // A spool file whose writing a crash cut short is not kept.
  if (Status s = spool_store_->recover(); !s.is_ok()) fmt::print(stderr, "vtapefs: spool: {}\n", s.message());
  spool_devices_ = std::make_unique<SpoolDevices>(*spool_store_, spool_system_name());
  spool_view_ = std::make_unique<SpoolView>(*spool_store_);
  // VTAPEFS_NO_CATALOG=1 (bench/catalog.sh only): drives keep no catalog,
  // to measure what the upkeep costs.
  const char* no_catalog = std::getenv("VTAPEFS_NO_CATALOG");
  bool upkeep = no_catalog == nullptr || std::string(no_catalog) != "1";
  for (auto& d : drives_) d->set_catalog(upkeep ? catalog_.get() : nullptr);
  for (const auto& [n, volser] : library_->loaded()) {
    if (n < 0 || n >= drive_count()) {
      fmt::print(stderr, "vtapefs: {} stays in drive {}, which this mount does not have (--drives)\n", volser, n);
      continue;
    }
    Cartridge c;
    Status s = library_->find(volser, &c);
    if (s.is_ok()) s = drives_[static_cast<size_t>(n)]->load(c);
    if (!s.is_ok()) fmt::print(stderr, "vtapefs: drive {}: cannot load {}: {}\n", n, volser, s.message());
  }
  reconcile_catalog();
  return control_.start(
      library_->socket_path(), [this](const std::string& r) { return handle_control(r); }, library_->file_mode());
}

void VtapeFs::reconcile_catalog() {
  for (const auto& c : library_->list()) {
    Status s = sync_volume_to_catalog(*catalog_, c, /*force=*/false);
    if (!s.is_ok()) fmt::print(stderr, "vtapefs: catalog: {}: {}\n", c.volser, s.message());
  }
}

void VtapeFs::stop() {
  control_.stop();
  for (auto& d : drives_) {
    // Unmounting closes every open file first; what is left is the image.
    d->release();
    d->set_catalog(nullptr);
  }
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
  if (!library_->find(name.substr(0, dot), &c).is_ok()) return std::nullopt;
  if (c.image_path.substr(c.image_path.rfind('/') + 1) != name) return std::nullopt;
  return c;
}

std::string VtapeFs::handle_control(const std::string& request) {
  std::istringstream in(request);
  std::string verb;
  in >> verb;
  auto error = [](const std::string& m) { return "error " + m + "\n"; };
  if (verb == "status") {
    std::string form;
    in >> form;
    int only = -1;
    if (in >> only && (only < 0 || only >= drive_count())) {
      return error(fmt::format("no drive {} (drives 0 to {})", only, drive_count() - 1));
    }
    std::vector<DriveStatus> list;
    for (const auto& d : drives_) {
      if (only < 0 || d->number() == only) list.push_back(d->status());
    }
    if (form == "json") {
      JsonWriter j;
      j.begin_object().field("library", library_->dir()).key("drives").begin_array();
      for (const auto& st : list) write_drive_status(j, st);
      j.end_array().end_object();
      return "ok\n" + j.str() + "\n";
    }
    std::string text;
    for (const auto& st : list) text += format_drive_status(st);
    return "ok\n" + text;
  }
  if (verb == "load" || verb == "unload") {
    int n = -1;
    if (!(in >> n) || n < 0 || n >= drive_count()) return error(fmt::format("no drive '{}' (drives 0 to {})", n, drive_count() - 1));
    if (verb == "unload") {
      Status s = drives_[static_cast<size_t>(n)]->unload();
      return s.is_ok() ? "ok\n" : error(s.message());
    }
    std::string volser;
    in >> volser;
    Cartridge c;
    Status s = library_->find(volser, &c);
    if (!s.is_ok()) return error(s.message());
    for (const auto& d : drives_) {
      if (d->loaded_volser() == c.volser) return error(fmt::format("{} is already in drive {}", c.volser, d->number()));
    }
    s = drives_[static_cast<size_t>(n)]->load(c);
    return s.is_ok() ? "ok\n" : error(s.message());
  }
  if (verb == "protect") {
    std::string volser;
    int on = 0;
    in >> volser >> on;
    Status s = library_->set_protected(volser, on != 0);
    if (!s.is_ok()) return error(s.message());
    Cartridge c;
    (void)library_->find(volser, &c);
    for (const auto& d : drives_) {
      if (d->loaded_volser() == c.volser) d->set_write_protected(on != 0);
    }
    if (catalog_) {
      if (Status cs = catalog_->upsert_volume(volume_row(c)); !cs.is_ok()) return error(cs.message());
    }
    return "ok\n";
  }
  return error(fmt::format("unknown request '{}'", verb));
}

}  // namespace vtape
