// VtapeFs: one mounted vtapefs: the mount's views (saved/, spool/) and its
// router on top of a DriveService, which owns the library, its drives, the
// catalog, the spool store and the control socket.  The FUSE callbacks
// (fuse_adapter.cc) find a path's subtree through router() once, call it,
// and reach the drives through leases of the service, as the mount's door.
//
// Mount layout, one subtree each (the table is in mount_router.cc):
//   /                     the top-level directories (root_subtree.h)
//   /drives/nstN          drive N, no rewind on close (drives_subtree.h)
//   /drives/stN           drive N, rewind on close (the same drive)
//   /library/VOLSER.EXT   read-only view of each cartridge's image (library_subtree.h)
//   /saved/VOLSER/NNNN/{data,members/...}   read-only view of the cataloged
//                         tape files and their members (saved_subtree.h, saved_view.h)
//   /saved/spool/...      read-only views of the archived spool files
//                         (saved_spool_subtree.h, spool_view.h)
//   /spool/USER/{prt,pun,rdr}/   spool devices (spool_subtree.h, spool_devices.h)
// An open file is an OpenHandle (open_handle.h) of its subtree's kind.
#pragma once

#include <memory>

#include "fuse/mount_router.h"
#include "fuse/saved_view.h"
#include "fuse/spool_devices.h"
#include "fuse/spool_view.h"
#include "index/catalog.h"
#include "library/drive_service.h"
#include "library/tape_library.h"

namespace vtape {

class VtapeFs {
 public:
  VtapeFs(std::unique_ptr<TapeLibrary> library, int drives);
  // DriveService::preflight: before the daemon forks.
  Status preflight() { return service_.preflight(); }
  // Starts the service, then makes the views.
  Status start();
  void stop() { service_.stop(); }

  DriveService& service() { return service_; }
  TapeLibrary& library() { return service_.library(); }
  const TapeLibrary& library() const { return service_.library(); }
  Catalog* catalog() { return service_.catalog(); }
  // The saved/ tree; null until start() opened the catalog.
  SavedView* saved_view() { return saved_view_.get(); }
  // The spool/ and saved/spool/ trees; null until start().
  SpoolDevices* spool_devices() { return spool_devices_.get(); }
  SpoolView* spool_view() { return spool_view_.get(); }
  int drive_count() const { return service_.drive_count(); }
  // Which subtree serves a path.
  const MountRouter& router() const { return router_; }

 private:
  DriveService service_;
  // The views use the service's catalog and spool store: declared after it.
  std::unique_ptr<SavedView> saved_view_;
  std::unique_ptr<SpoolDevices> spool_devices_;
  std::unique_ptr<SpoolView> spool_view_;
  // Its subtrees reach the service and the views through *this.
  MountRouter router_;
};

}  // namespace vtape
