// MigrationObserver: what a migration (library/cartridge_migration.h)
// learns from the drive that holds the cartridge it copies (DriveObserver):
// from which object on the tape changed (a rewrite after positioning, an
// erase, a step back over a filemark: the copy must cut there and copy
// again), whether the cartridge left the drive, and, in the synchronous
// phase, every record and filemark written, which it appends to the copy
// before the drive's call returns.  The drive calls it under its mutex; the
// migration's thread asks it under its own.
#pragma once

#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>

#include "library/drive_observer.h"
#include "library/image_copier.h"

namespace vtape {

class MigrationObserver : public DriveObserver {
 public:
  static constexpr uint64_t kNoChange = std::numeric_limits<uint64_t>::max();

  // The lowest object index the tape changed at since the last call
  // (kNoChange: it only grew), and forgets it.
  uint64_t take_changed_from();
  // Whether anything below `objects` changed (without forgetting it).
  bool changed_below(uint64_t objects);
  bool unloaded();
  // The copy's failure in the synchronous phase (the writer never sees it).
  std::optional<Status> failure();
  // The longest a record or filemark of the writer waited for the copy.
  double longest_hold_ms();

  // Only with the drive's mutex held (TapeDrive::with_flushed_image): the
  // copy stands at the tape's end; from now on each new record and filemark
  // goes to it too, until the tape is cut below its end (then the phase
  // ends and the copy goes back to before where it began).
  void start_synchronous(ImageCopier* copier);
  // Whether the phase ran unbroken until now: every object the drive wrote
  // since it began is in the copy, which then stands at the tape's end.
  bool stop_synchronous();
  // In the synchronous phase: the copy (at `path`) on disk up to where it
  // stands now.  The writer waits only while the copy's buffer goes to the
  // file, not for the disk.
  // *synced: the copy's size that is on disk now.
  Status sync_copy(const std::string& path, uint64_t* synced);
  bool synchronous();

  void loaded(const Cartridge&) override {}
  void unloading() override;
  Status changing() override { return Status::ok(); }
  void tape_file_begins(const TapePosition& at) override;
  void record(std::span<const uint8_t> data) override;
  Status filemark(const TapePosition& after, uint64_t image_size) override;
  Status stopped(uint64_t) override { return Status::ok(); }
  Status erased(const TapePosition& at, uint64_t image_size) override;
  void event(const std::string&, const std::string&) override {}

 private:
  void changed_at_locked(uint64_t object_index);
  void end_synchronous_locked();

  std::mutex mu_;
  uint64_t changed_from_ = kNoChange;
  bool unloaded_ = false;
  ImageCopier* copier_ = nullptr;  // the synchronous phase
  uint64_t synchronous_from_ = 0;  // the object index it began at
  std::optional<Status> failure_;
  double longest_hold_ms_ = 0;
};

}  // namespace vtape
