// DriveService: the drives of one library and everything they keep up to
// date (the catalog, the spool store, the control socket), without FUSE.
// Every door onto a drive (the mount, an rmt session, a receiver) gets it
// here, one door at a time, under the drive's own open rules: a second
// acquire gets kBusy (EBUSY) whoever asks, and one that comes between a
// close and its release waits for the release.
//
// Lock order: a drive's mutex, then the library's; never the reverse.  The
// service's own mutex (who holds which drive) is taken with no drive's.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "index/catalog.h"
#include "library/drive_mirror.h"
#include "library/control_request.h"
#include "library/control_server.h"
#include "library/library_lock.h"
#include "library/migration_service.h"
#include "library/spool_store.h"
#include "library/tape_drive.h"
#include "library/tape_library.h"

namespace vtape {

class DriveService;

// One door's hold on one drive, from DriveService::acquire() until
// release() or its destruction.  Movable, not copyable.
class DriveLease {
 public:
  DriveLease() = default;
  DriveLease(DriveLease&& other) noexcept { *this = std::move(other); }
  DriveLease& operator=(DriveLease&& other) noexcept;
  DriveLease(const DriveLease&) = delete;
  DriveLease& operator=(const DriveLease&) = delete;
  ~DriveLease() { release(); }

  bool held() const { return service_ != nullptr; }
  int number() const { return drive_; }
  TapeDrive& drive() const;
  // A close(2) of the door: what was written is on disk, ended by its
  // filemark, before this returns; the drive stays held (FUSE's flush).
  DriveError flush();
  // Frees the drive (what st does at the last close: the filemark after
  // writing, the rewind of stN); errors are logged (FUSE's release).
  void release();
  // flush and release together, for doors whose close is one step.
  DriveError close();

 private:
  friend class DriveService;
  DriveService* service_ = nullptr;
  int drive_ = -1;
  uint64_t handle_ = 0;
};

class DriveService {
 public:
  DriveService(std::unique_ptr<TapeLibrary> library, int drives);
  // The write mode every drive starts in (TapeDrive::set_buffered_writes;
  // vtapefs --write-through); a door may switch one drive later.
  void set_buffered_writes(bool on) {
    for (auto& d : drives_) d->set_buffered_writes(on);
  }
  // What can fail before mounting, checked before the daemon forks so that
  // vtapefs exits non-zero: another daemon serving the library, a catalog
  // that cannot be opened.  Takes the library's lock (library_lock.h) and
  // keeps it for the service's life; a command holding it for a moment is
  // waited for.
  Status preflight();
  // After the daemon forked: the lock file names the daemon, not the
  // process that took the lock.
  void note_lock_holder() {
    if (lock_) lock_->note_holder();
  }
  // vtapefs --mirror: every drive's writes also go to a remote library
  // (DriveMirror); given before start().
  void set_mirror(MirrorOptions options) { mirror_ = std::move(options); }
  // Opens the catalog and the spool store, loads the cartridges the library
  // remembers, brings the catalog in line and opens the control socket.
  Status start();
  // Closes the control socket and every drive still open.
  void stop();

  TapeLibrary& library() { return *library_; }
  const TapeLibrary& library() const { return *library_; }
  // Null until start().
  Catalog* catalog() { return catalog_.get(); }
  SpoolStore* spool_store() { return spool_store_.get(); }
  int drive_count() const { return static_cast<int>(drives_.size()); }
  TapeDrive& drive(int n) { return *drives_[static_cast<size_t>(n)]; }

  // Opens drive `n` for `door` (a name for people: "mount (pid 42)").
  // kBusy when any door holds it; otherwise the drive's open errors.
  DriveError acquire(int n, const DriveOpenMode& mode, const std::string& door, DriveLease* lease);
  // The drives' status (one drive, or all for -1), each with the door that
  // holds it.
  std::vector<DriveStatus> status(int only = -1) const;

 private:
  friend class DriveLease;
  struct Holder {
    std::string door;
    uint64_t handle = 0;  // the drive's handle of that open
  };
  void released(int n, uint64_t handle);
  // Answers one control request line: parse_control_request reads it, the
  // control_* functions below carry it out.
  std::string handle_control(const std::string& line);
  std::string control_status(const ControlRequest& request) const;
  std::string control_load(int drive, const std::string& volser);
  // `client_gone` (null: no client to watch) set: the snapshot stops and is removed.
  std::string control_snapshot(const std::string& volser, const std::string& new_volser, uint64_t max_rate,
                               const std::atomic<bool>* client_gone);
  // The cartridge's write protection, in the library, its drive and the catalog.
  Status set_protected(const std::string& volser, bool on);
  // Requests answered on their connection's thread, outside the control
  // server's one-request-at-a-time lock (nullopt: any other request).
  std::optional<ControlServer::Session> snapshot_session(const std::string& line);
  std::optional<ControlServer::Session> mirrored_unload(const std::string& line);
  std::optional<ControlServer::Session> migration_wait_session(const std::string& line);
  // Deletes old images a migration retired that a daemon's end left behind.
  void remove_retired_images();
  // Brings the catalog in line with the images: volumes it lacks, and
  // volumes whose image changed since it was last cataloged (a crash, or
  // an image replaced behind our back), are indexed from the image.
  void reconcile_catalog();

  std::unique_ptr<TapeLibrary> library_;
  std::unique_ptr<LibraryLock> lock_;  // from preflight() on
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<SpoolStore> spool_store_;  // uses catalog_: declared after it
  std::optional<MirrorOptions> mirror_;
  // Their observers' wake descriptor is the mirror's: declared before the
  // drives, so the drives (and their observers) go first.
  std::vector<std::unique_ptr<DriveMirror>> mirrors_;
  std::vector<std::unique_ptr<TapeDrive>> drives_;
  mutable std::mutex holders_mu_;
  std::vector<Holder> holders_;  // per drive; door empty when free
  ControlServer control_;
  // Last: its threads end before the drives they migrate go.
  std::unique_ptr<MigrationService> migrations_;
};

}  // namespace vtape
