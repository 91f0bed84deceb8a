#include "fuse/drives_subtree.h"

#include <fcntl.h>
#include <sys/mtio.h>

#include <cstring>

#include <fmt/format.h>

#include "library/mtio_mapping.h"
#include "fuse/request_interrupt.h"
#include "fuse/root_subtree.h"
#include "fuse/vtapefs.h"

namespace vtape {
namespace {

// 32-bit callers' layouts (FUSE_IOCTL_COMPAT): longs are 4 bytes.
struct Mtget32 {
  int32_t mt_type, mt_resid, mt_dsreg, mt_gstat, mt_erreg;
  int32_t mt_fileno, mt_blkno;
};
static_assert(sizeof(Mtget32) == 28);
struct Mtpos32 {
  int32_t mt_blkno;
};
constexpr unsigned kMtiocget32 = _IOR('m', 2, Mtget32);
constexpr unsigned kMtiocpos32 = _IOR('m', 3, Mtpos32);
static_assert(sizeof(mtget) == 48 && sizeof(mtop) == 8 && sizeof(mtpos) == 8);

}  // namespace

std::optional<DrivePath> DrivesSubtree::parse_drive_name(const std::string& name, int drive_count) {
  DrivePath dp;
  std::string number;
  if (name.rfind("nst", 0) == 0) {
    number = name.substr(3);
  } else if (name.rfind("st", 0) == 0) {
    number = name.substr(2);
    dp.rewind_on_close = true;
  } else {
    return std::nullopt;
  }
  if (number.empty() || number.size() > 3 || number.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  dp.drive = std::stoi(number);
  if (dp.drive >= drive_count || std::to_string(dp.drive) != number) return std::nullopt;
  return dp;
}

std::optional<DrivePath> DrivesSubtree::drive_of(const MountRequest& r) const {
  return parse_drive_name(r.rest, fs_.drive_count());
}

MountError DrivesSubtree::getattr(const MountRequest& r, struct stat* st) {
  if (r.rest.empty()) {
    library_directory_stat(fs_, st);
    return {};
  }
  if (!drive_of(r)) return MountError::of_errno(ENOENT);
  // Regular files, not device nodes: a device node in a FUSE mount would
  // be opened by the kernel's own driver for its number.  The library's
  // (its owner's, and its group's when shared): the mount is mounted with
  // default_permissions, the kernel lets a caller at what these allow.
  const TapeLibrary& library = fs_.library();
  st->st_uid = library.owner();
  st->st_gid = library.group();
  st->st_mode = S_IFREG | library.file_mode();
  st->st_nlink = 1;
  return {};
}

MountError DrivesSubtree::readdir(const MountRequest& r, const DirFiller& fill) {
  if (!r.rest.empty()) return MountError::of_errno(ENOTDIR);
  for (int i = 0; i < fs_.drive_count(); ++i) {
    fill("nst" + std::to_string(i), nullptr);
    fill("st" + std::to_string(i), nullptr);
  }
  return {};
}

MountError DrivesSubtree::open(const MountRequest& r, int flags, std::unique_ptr<OpenHandle>* out) {
  if (r.rest.empty()) return MountError::of_errno(EISDIR);
  std::optional<DrivePath> dp = drive_of(r);
  if (!dp) return MountError::of_errno(ENOENT);
  DriveOpenMode mode;
  mode.rewind_on_close = dp->rewind_on_close;
  mode.writable = (flags & O_ACCMODE) != O_RDONLY;
  mode.nonblocking = (flags & O_NONBLOCK) != 0;
  DriveLease lease;
  std::string door = fmt::format("mount (pid {})", r.pid);
  DriveError e = fs_.service().acquire(dp->drive, mode, door, &lease);
  if (e != DriveError::kNone) return e;
  *out = std::make_unique<DriveHandle>(std::move(lease));
  return {};
}

MountError DrivesSubtree::create(const MountRequest& r, std::unique_ptr<OpenHandle>*) {
  constexpr int kAnyNumber = 1000;  // parse_drive_name takes up to 3 digits
  return MountError::of_errno(parse_drive_name(r.rest, kAnyNumber) ? ENOENT : EROFS);
}

MountError DrivesSubtree::truncate(const MountRequest& r) {
  return drive_of(r) ? MountError() : MountError::of_errno(EROFS);
}

MountError DrivesSubtree::set_attributes(const MountRequest& r) {
  return drive_of(r) ? MountError() : MountError::of_errno(EROFS);
}

MountError DriveHandle::read(std::span<char> buf, off_t, size_t* done) {
  // Straight into the request's buffer (one record, or blocks).
  // A read that waits for a feed gives up when the request is abandoned.
  return lease_.drive().read(std::span<uint8_t>(reinterpret_cast<uint8_t*>(buf.data()), buf.size()), done, SIZE_MAX,
                             nullptr, fuse_request_abandoned);
}

MountError DriveHandle::read_or_extent(std::span<char> buf, off_t, size_t* done, FileExtent* extent) {
  // Below this a splice costs more system calls than the copy it saves.
  constexpr size_t kSpliceMinimum = 64 << 10;
  RecordExtent record;
  DriveError e = lease_.drive().read(std::span<uint8_t>(reinterpret_cast<uint8_t*>(buf.data()), buf.size()), done,
                                     kSpliceMinimum, &record, fuse_request_abandoned);
  if (e != DriveError::kNone) return e;
  if (record.length > 0) {
    std::lock_guard lock(extent_files_mu_);
    if (extent_files_.empty() || extent_files_.back() != record.file) extent_files_.push_back(record.file);
    *extent = FileExtent{record.file->fd(), record.offset, record.length};
  }
  return {};
}

MountError DriveHandle::write(std::span<const char> buf, off_t, size_t* done) {
  DriveError e = lease_.drive().write(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf.data()), buf.size()));
  if (e != DriveError::kNone) return e;
  *done = buf.size();
  return {};
}

MountError DriveHandle::ioctl(unsigned int cmd, bool compat, void* data) {
  TapeDrive& drive = lease_.drive();
  if (cmd == MTIOCTOP) {
    const auto* op = static_cast<const mtop*>(data);
    return mt_operation(drive, op->mt_op, op->mt_count);
  }
  // st writes its buffer out before it says where the tape is (a failure
  // is reported by the next write, filemark or close).
  if (cmd == MTIOCGET || cmd == kMtiocget32) {
    drive.flush_buffer();
    DriveStatus st = drive.status();
    if (cmd == kMtiocget32 || compat) {
      auto* g = static_cast<Mtget32*>(data);
      *g = Mtget32{MT_ISSCSI2, 0, static_cast<int32_t>(mt_dsreg(st)), static_cast<int32_t>(mt_gstat(st)), 0,
                   static_cast<int32_t>(st.file), static_cast<int32_t>(st.block)};
      return {};
    }
    auto* g = static_cast<mtget*>(data);
    std::memset(g, 0, sizeof *g);
    g->mt_type = MT_ISSCSI2;
    g->mt_resid = 0;  // st reports the partition here
    g->mt_dsreg = mt_dsreg(st);
    g->mt_gstat = mt_gstat(st);
    g->mt_erreg = 0;
    g->mt_fileno = static_cast<__daddr_t>(st.file);
    g->mt_blkno = static_cast<__daddr_t>(st.block);
    return {};
  }
  if (cmd == MTIOCPOS || cmd == kMtiocpos32) {
    drive.flush_buffer();
    DriveStatus st = drive.status();
    if (!st.loaded) return MountError::of_errno(ENOMEDIUM);
    if (cmd == kMtiocpos32 || compat) {
      static_cast<Mtpos32*>(data)->mt_blkno = static_cast<int32_t>(st.block_address);
    } else {
      static_cast<mtpos*>(data)->mt_blkno = static_cast<long>(st.block_address);
    }
    return {};
  }
  return MountError::of_errno(ENOTTY);
}

}  // namespace vtape
