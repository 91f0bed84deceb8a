// drives/: the mount's door onto the drives.  nstN and stN are drive N
// (stN rewinds at the last close), reached through leases of the
// DriveService; MTIOCTOP, MTIOCGET and MTIOCPOS speak <sys/mtio.h> through
// mtio_mapping.h.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fuse/mount_subtree.h"
#include "library/drive_service.h"

namespace vtape {

class VtapeFs;

struct DrivePath {
  int drive = -1;
  bool rewind_on_close = false;
};

class DrivesSubtree : public MountSubtree {
 public:
  explicit DrivesSubtree(VtapeFs& fs) : fs_(fs) {}

  // "nst0" -> drive 0, no rewind; "st3" -> drive 3, rewind; nothing for a
  // drive beyond `drive_count` or a number not written plainly ("nst01").
  static std::optional<DrivePath> parse_drive_name(const std::string& name, int drive_count);

  MountError getattr(const MountRequest& r, struct stat* st) override;
  MountError readdir(const MountRequest& r, const DirFiller& fill) override;
  MountError open(const MountRequest& r, int flags, std::unique_ptr<OpenHandle>* out) override;
  // tar -c and dd open with O_TRUNC: a tape has nothing to truncate.
  MountError truncate(const MountRequest& r) override;
  // Accepted and ignored (touch).
  MountError set_attributes(const MountRequest& r) override;
  // O_CREAT of a drive this mount does not have (nst7 of two drives): no
  // such drive, ENOENT, as for a device node that is not there; any other
  // name: EROFS.
  MountError create(const MountRequest& r, std::unique_ptr<OpenHandle>* out) override;

 private:
  std::optional<DrivePath> drive_of(const MountRequest& r) const;

  VtapeFs& fs_;
};

// An open drive: the mount's lease on it.
class DriveHandle : public OpenHandle {
 public:
  explicit DriveHandle(DriveLease lease) : lease_(std::move(lease)) {}

  // One read() or write() is one request of exactly the caller's size,
  // and there is no file offset to seek (lseek fails with ESPIPE).  Unlike
  // st, whose lseek succeeds and moves nothing: a drive file is a regular
  // file (a device node in a FUSE mount would be opened by the kernel's own
  // driver), and GNU tar seeks over members of a regular file it reads
  // unless lseek fails, so a succeeding lseek would make tar -t skip by
  // seeking and lose its place.  (tar -W then cannot verify; see BUGS in
  // vtapefs(8).)
  bool direct_io() const override { return true; }
  bool nonseekable() const override { return true; }
  MountError read(std::span<char> buf, off_t offset, size_t* done) override;
  // Records of 64 KiB and more of a SIMH-framed cartridge are spliced from
  // the image to the kernel.
  MountError read_or_extent(std::span<char> buf, off_t offset, size_t* done, FileExtent* extent) override;
  MountError write(std::span<const char> buf, off_t offset, size_t* done) override;
  // Every close(2), of duplicates too (dd dup2()s its output and closes
  // the original): the data written so far is on disk before close returns.
  MountError flush() override { return lease_.flush(); }
  // After the last close: the filemark after writing, rewind for stN, and
  // the drive is free.
  void release() override { lease_.release(); }
  MountError fsync() override { return lease_.drive().fsync(); }
  MountError ioctl(unsigned int cmd, bool compat, void* data) override;

 private:
  DriveLease lease_;
  // The image descriptors extents were given from: open until release, as
  // the kernel may still be splicing from them after the read returned.
  std::mutex extent_files_mu_;
  std::vector<std::shared_ptr<const ImageDescriptor>> extent_files_;
};

}  // namespace vtape
