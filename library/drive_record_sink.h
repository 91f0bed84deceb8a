// DriveRecordSink: replays records onto a drive of the library through the
// neutral operations (a write per record, kWriteFilemarks per filemark), on
// a drive a door leased from DriveService.  The drive does the rest as it
// does for the mount: st semantics (early warning as ENOSPC, a protected
// cartridge refused), the catalog kept by its CatalogObserver, each tape
// file committed at its filemark.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>

#include "library/drive_error.h"
#include "library/drive_service.h"
#include "library/restore_replay.h"

namespace vtape {

// A drive's refusal as a Status naming what was asked: "writing VOL002 in
// drive 1: end of medium" (kNoSpace for ENOSPC, else an I/O error with the
// errno the mount would give).
Status drive_error_status(DriveError e, const std::string& what);

class DriveRecordSink : public RecordSink {
 public:
  // `lease`: a drive opened for writing, positioned where writing starts.
  // `cancel`, when given: once it is true, the next record or filemark is
  // refused (a door's Ctrl-C), so the door closes the drive as after an error.
  DriveRecordSink(DriveLease& lease, std::string volser, const std::atomic<bool>* cancel = nullptr);

  Status record(std::span<const uint8_t> data, bool error_flag) override;
  Status filemark() override;

  // Records that were flagged as read with an error: a drive cannot say so.
  uint64_t lost_error_flags() const { return lost_error_flags_; }

 private:
  Status cancelled() const;
  Status failed(DriveError e, const char* doing) const;

  DriveLease& lease_;
  std::string volser_;
  const std::atomic<bool>* cancel_;
  uint64_t lost_error_flags_ = 0;
};

}  // namespace vtape
