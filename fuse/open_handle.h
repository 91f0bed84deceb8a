// OpenHandle: one open file of the mount, whatever it is (a drive, an
// image, a saved file, a spool file being written or read).  fi->fh holds
// the pointer from open/create until release.  Each kind overrides what it
// does; the defaults are what a kind without that operation answers:
// read EBADF, write EROFS, ioctl ENOTTY, flush and fsync nothing to do,
// fstat by the path.  To add a kind of open file: a subclass in the file of
// the subtree that opens it.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuse/mount_error.h"

namespace vtape {

// What a read left in a file for the adapter to pass to the kernel itself
// (a splice: the bytes never pass through the daemon's memory): `length`
// bytes at `offset` of the descriptor `fd`, which the handle keeps open.
struct FileExtent {
  int fd = -1;
  uint64_t offset = 0;
  size_t length = 0;
};

class OpenHandle {
 public:
  virtual ~OpenHandle() = default;

  // How the kernel treats the open file: no page cache (each read() and
  // write() reaches us as the caller's request), no file offset.
  virtual bool direct_io() const { return false; }
  virtual bool nonseekable() const { return false; }

  // *done: the bytes read (0 at the end).
  virtual MountError read(std::span<char> buf, off_t offset, size_t* done) {
    (void)buf, (void)offset, (void)done;
    return MountError::of_errno(EBADF);
  }
  // read(), or, for a kind whose bytes may lie in a file as they are, the
  // place of what the read gives (extent->length > 0) instead of a copy.
  virtual MountError read_or_extent(std::span<char> buf, off_t offset, size_t* done, FileExtent* extent) {
    (void)extent;
    return read(buf, offset, done);
  }
  // *done: the bytes written.
  virtual MountError write(std::span<const char> buf, off_t offset, size_t* done) {
    (void)buf, (void)offset, (void)done;
    return MountError::of_errno(EROFS);
  }
  // Every close(2) of a descriptor of this open.
  virtual MountError flush() { return {}; }
  // After the last close; the handle is deleted next.
  virtual void release() {}
  virtual MountError fsync() { return {}; }
  // `compat`: a 32-bit caller's layout (FUSE_IOCTL_COMPAT).
  virtual MountError ioctl(unsigned int cmd, bool compat, void* data) {
    (void)cmd, (void)compat, (void)data;
    return MountError::of_errno(ENOTTY);
  }
  // getattr on the open file: true with *st when the handle answers (what
  // the file was when opened), false to answer by its path.
  virtual bool fstat(struct stat* st) {
    (void)st;
    return false;
  }
};

// A read of a view's open file (SavedFile, SpoolContentFile: bytes or
// -errno) into *done.
template <typename File>
MountError read_view_file(File& file, std::span<char> buf, off_t offset, size_t* done) {
  if (offset < 0) return MountError::of_errno(EINVAL);
  int n = file.read(buf.data(), buf.size(), static_cast<uint64_t>(offset));
  if (n < 0) return MountError::of_view(n);
  *done = static_cast<size_t>(n);
  return {};
}

}  // namespace vtape
