// MountError: what went wrong in a callback of the mount, one type for the
// subtrees (mount_subtree.h) and the open files (open_handle.h) alike.  It
// holds either a drive's error (library/drive_error.h, mapped by its table)
// or an errno value from a view or a system call; errno_value() is the one
// place both become the number FUSE replies with, and only the FUSE adapter
// (fuse_adapter.cc) asks for it.
#pragma once

#include "library/drive_error.h"

namespace vtape {

class MountError {
 public:
  // No error.
  MountError() = default;
  // A drive's answer (kNone: no error).
  MountError(DriveError e) : drive_(e) {}  // NOLINT: implicit, drives answer with DriveError
  // An errno value: MountError::of_errno(EROFS).
  static MountError of_errno(int e) {
    MountError m;
    m.errno_ = e;
    return m;
  }
  // What the views (SavedView, SpoolView, SpoolDevices, SpoolWriter)
  // return: 0, or -errno.
  static MountError of_view(int result) { return of_errno(result < 0 ? -result : 0); }

  bool ok() const { return drive_ == DriveError::kNone && errno_ == 0; }
  // The errno value for FUSE (0 when ok).
  int errno_value() const { return drive_ != DriveError::kNone ? to_errno(drive_) : errno_; }

 private:
  DriveError drive_ = DriveError::kNone;
  int errno_ = 0;
};

}  // namespace vtape
