// VtapeFs: all state of one mounted vtapefs: the library, its drives and
// the control socket.  The FUSE callbacks (fuse_adapter.cc) resolve paths
// here and call the drives.
//
// Mount layout:
//   /drives/nstN   drive N, no rewind on close
//   /drives/stN    drive N, rewind on close (the same drive)
//   /library/VOLSER.EXT   read-only view of each cartridge's image
//   /saved/VOLSER/NNNN/{data,members/...}   read-only view of the cataloged
//                         tape files and their members (saved_view.h)
//   /saved/spool/...     read-only views of the archived spool files (spool_view.h)
//   /spool/USER/{prt,pun,rdr}/   spool devices (spool_devices.h)
//
// Lock order: a drive's mutex, then the library's; never the reverse.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "library/control_server.h"
#include "fuse/saved_view.h"
#include "fuse/spool_devices.h"
#include "library/spool_store.h"
#include "fuse/spool_view.h"
#include "library/tape_drive.h"
#include "library/tape_library.h"
#include "index/catalog.h"

namespace vtape {

struct DrivePath {
  int drive = -1;
  bool rewind_on_close = false;
};

class VtapeFs {
 public:
  VtapeFs(std::unique_ptr<TapeLibrary> library, int drives);
  // What can fail before mounting, checked before the daemon forks so that
  // vtapefs exits non-zero: another daemon serving the library, a catalog
  // that cannot be opened.
  Status preflight();
  // Loads the cartridges the library remembers and opens the control socket.
  Status start();
  void stop();

  TapeLibrary& library() { return *library_; }
  Catalog* catalog() { return catalog_.get(); }
  // The saved/ tree; null until start() opened the catalog.
  SavedView* saved_view() { return saved_view_.get(); }
  // The spool/ and saved/spool/ trees; null until start().
  SpoolDevices* spool_devices() { return spool_devices_.get(); }
  SpoolView* spool_view() { return spool_view_.get(); }
  int drive_count() const { return static_cast<int>(drives_.size()); }
  TapeDrive& drive(int n) { return *drives_[static_cast<size_t>(n)]; }

  // "/drives/nst0" -> drive 0, no rewind.
  std::optional<DrivePath> parse_drive_path(const std::string& path) const;
  // "/library/VOL001.tap" -> the cartridge.
  std::optional<Cartridge> parse_library_path(const std::string& path) const;

 private:
  std::string handle_control(const std::string& request);
  // Brings the catalog in line with the images: volumes it lacks, and
  // volumes whose image changed since it was last cataloged (a crash, or
  // an image replaced behind our back), are indexed from the image.
  void reconcile_catalog();

  std::unique_ptr<TapeLibrary> library_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<SavedView> saved_view_;  // uses catalog_: declared after it
  std::unique_ptr<SpoolStore> spool_store_;  // likewise
  std::unique_ptr<SpoolDevices> spool_devices_;
  std::unique_ptr<SpoolView> spool_view_;
  std::vector<std::unique_ptr<TapeDrive>> drives_;
  ControlServer control_;
};

}  // namespace vtape
