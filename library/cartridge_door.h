// CartridgeDoor: a process other than the mount (`vtape restore
// --to-cartridge`, later a receiver) becomes the library's one door for a
// while, to write onto one cartridge.  It runs a DriveService on the
// library (refused when a vtapefs, or another door, serves it already),
// loads the cartridge into a free drive (creating the cartridge when it does
// not exist, unless told not to) and leases that drive (for writing, unless
// told otherwise).  finish() closes the lease
// as the mount's close does (a filemark after records), unloads what it
// loaded and stops the service: the library's remembered drives
// (drives.state) are left as they were, even if the process dies midway.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "library/drive_service.h"
#include "library/tape_library.h"
#include "tapeformat/tape_format.h"

namespace vtape {

class CartridgeDoor {
 public:
  // `format`: for a cartridge made here (else SIMH).  `door`: the name the
  // drive status shows for it ("vtape restore (pid N)").  When a vtapefs
  // (or another door) serves the library, nothing is changed, the error
  // says so and `*served`, if given, is set: that process's drives are the
  // way in.  `digest`: what the tape files written are digested with in the
  // catalog (else the library's setting).
  // `mode`: how the drive is opened (a reader such as an rmt session opens
  // it read-only); `create_missing`: false makes a cartridge that does not
  // exist a kNotFound error instead of a new cartridge.
  static Status open(const std::string& library_dir, const std::string& volser, std::optional<Format> format,
                     const std::string& door, std::unique_ptr<CartridgeDoor>* out, bool* served = nullptr,
                     std::optional<DigestAlgorithm> digest = std::nullopt,
                     DriveOpenMode mode = DriveOpenMode{.writable = true}, bool create_missing = true);
  ~CartridgeDoor();

  DriveLease& lease() { return lease_; }
  const Cartridge& cartridge() const { return cartridge_; }
  bool created() const { return created_; }
  Catalog* catalog() { return service_->catalog(); }

  // Closes the drive, unloads what open() loaded, stops the service; the
  // first error.  Called by the destructor if not before.
  Status finish();

 private:
  CartridgeDoor() = default;

  std::unique_ptr<DriveService> service_;
  DriveLease lease_;
  Cartridge cartridge_;
  int drive_ = -1;
  bool created_ = false;
  bool loaded_here_ = false;  // the library did not have it in a drive before
  bool started_ = false;
};

}  // namespace vtape
