#include "library/cartridge_door.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "library/control_protocol.h"
#include "library/drive_record_sink.h"

namespace vtape {

Status CartridgeDoor::open(const std::string& library_dir, const std::string& volser, std::optional<Format> format,
                           const std::string& door, std::unique_ptr<CartridgeDoor>* out, bool* served,
                           std::optional<DigestAlgorithm> digest, DriveOpenMode mode, bool create_missing) {
  std::unique_ptr<TapeLibrary> library;
  VTAPE_RETURN_IF_ERROR(TapeLibrary::open(library_dir, /*create=*/false, &library));
  if (digest) library->use_digest(*digest);

  // The drives the library remembers keep their cartridges (and numbers);
  // a cartridge in none of them goes into the first drive without one.
  std::unique_ptr<CartridgeDoor> d(new CartridgeDoor());
  std::map<int, std::string> remembered = library->loaded();
  int drives = 1;
  for (const auto& [n, v] : remembered) {
    if (v == volser) d->drive_ = n;
    drives = std::max(drives, n + 1);
  }
  if (d->drive_ < 0) {
    d->drive_ = 0;
    while (remembered.count(d->drive_) != 0) ++d->drive_;
    d->loaded_here_ = true;
  }
  drives = std::max(drives, d->drive_ + 1);

  d->service_ = std::make_unique<DriveService>(std::move(library), drives);
  std::string ignored;
  if (control_request(d->service_->library().socket_path(), "status", &ignored).is_ok()) {
    if (served) *served = true;
    return Status::invalid_argument(fmt::format("the library {} is served by a running vtapefs (or another door)",
                                                d->service_->library().dir()));
  }
  VTAPE_RETURN_IF_ERROR(d->service_->preflight());
  TapeLibrary& lib = d->service_->library();
  Status s = lib.find(volser, &d->cartridge_);
  if (s.code() == StatusCode::kNotFound && create_missing) {
    VTAPE_RETURN_IF_ERROR(lib.create_cartridge(volser, format.value_or(Format::kSimh), kDefaultCapacity,
                                               &d->cartridge_));
    d->created_ = true;
  } else {
    VTAPE_RETURN_IF_ERROR(s);
  }
  VTAPE_RETURN_IF_ERROR(d->service_->start());
  d->started_ = true;

  TapeDrive& drive = d->service_->drive(d->drive_);
  if (d->loaded_here_) {
    VTAPE_RETURN_IF_ERROR(drive.load(d->cartridge_));
    // The load is this process's alone: the library's record of its drives
    // is put back at once, so that not even a crash leaves the cartridge
    // "loaded" by a tool.
    VTAPE_RETURN_IF_ERROR(lib.set_loaded(d->drive_, std::nullopt));
  }
  DriveError e = d->service_->acquire(d->drive_, mode, door, &d->lease_);
  if (e == DriveError::kReadOnlyMedium || e == DriveError::kWriteProtected) {
    return Status::io_error(fmt::format("{} is write-protected ('vtape unprotect {}' allows writing)",
                                        d->cartridge_.volser, d->cartridge_.volser), to_errno(e));
  }
  VTAPE_RETURN_IF_ERROR(drive_error_status(e, fmt::format("opening drive {} with {}", d->drive_, d->cartridge_.volser)));
  *out = std::move(d);
  return Status::ok();
}

CartridgeDoor::~CartridgeDoor() {
  Status s = finish();
  if (!s.is_ok()) fmt::print(stderr, "vtape: {}\n", s.message());
}

Status CartridgeDoor::finish() {
  if (!service_) return Status::ok();
  Status result;
  if (lease_.held()) {
    result = drive_error_status(lease_.close(), fmt::format("closing drive {} with {}", drive_, cartridge_.volser));
  }
  if (started_ && loaded_here_) {
    TapeDrive& drive = service_->drive(drive_);
    if (drive.loaded_volser()) {
      Status s = drive.unload();
      if (result.is_ok()) result = s;
    }
  }
  if (started_) service_->stop();
  service_.reset();
  return result;
}

}  // namespace vtape
