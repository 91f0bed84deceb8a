#include "fuse/fuse_adapter.h"

#include <fcntl.h>
#include <sys/mtio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fuse/mtio_mapping.h"
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

// What an open file handle (fi->fh) refers to.
struct OpenFile {
  enum class Kind { kDrive, kImage, kSaved, kSpoolWrite, kSpoolRead } kind;
  int drive = -1;
  int fd = -1;
  DriveLease lease;  // kDrive: the mount's hold on the drive
  std::unique_ptr<SavedFile> saved;  // kSaved: a tape file's data or a member
  std::shared_ptr<SpoolWriter> spool_writer;      // kSpoolWrite: a new spool file
  std::unique_ptr<SpoolContentFile> spool_content;  // kSpoolRead: an archived one
};

VtapeFs& fs() { return *static_cast<VtapeFs*>(fuse_get_context()->private_data); }
OpenFile* open_file(fuse_file_info* fi) { return reinterpret_cast<OpenFile*>(fi->fh); }
bool is_saved(const std::string& path) { return SavedView::is_saved_path(path); }
SavedView* saved_view() { return fs().saved_view(); }
bool is_spool(const std::string& path) { return SpoolDevices::is_spool_path(path); }
bool is_spool_view(const std::string& path) { return SpoolView::is_view_path(path); }
SpoolDevices* spool() { return fs().spool_devices(); }
SpoolView* spool_view() { return fs().spool_view(); }
// The spool user id of the process making the request.
std::string caller() { return spool_user_of_uid(fuse_get_context()->uid); }

int vt_getattr(const char* path, struct stat* st, fuse_file_info* fi) {
  std::memset(st, 0, sizeof *st);
  if (fi != nullptr && open_file(fi) != nullptr && open_file(fi)->kind == OpenFile::Kind::kSaved) {
    *st = open_file(fi)->saved->stat_at_open();
    return 0;
  }
  if (fi != nullptr && open_file(fi) != nullptr && open_file(fi)->kind == OpenFile::Kind::kSpoolWrite) {
    *st = open_file(fi)->spool_writer->stat();
    return 0;
  }
  if (fi != nullptr && open_file(fi) != nullptr && open_file(fi)->kind == OpenFile::Kind::kSpoolRead) {
    *st = open_file(fi)->spool_content->stat_at_open();
    return 0;
  }
  std::string p = path;
  if (is_spool(p)) return spool() == nullptr ? -ENOENT : spool()->getattr(p, caller(), st);
  if (is_spool_view(p)) return spool_view() == nullptr ? -ENOENT : spool_view()->getattr(p, st);
  // The mount is mounted with default_permissions: the kernel lets a
  // caller at what these owners and modes allow.  The drives and the
  // images are the library's: its owner's, and its group's when shared.
  const TapeLibrary& library = fs().library();
  st->st_uid = library.owner();
  st->st_gid = library.group();
  if (p == "/" || p == "/drives" || p == "/library") {
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
    return 0;
  }
  if (is_saved(p)) {
    if (saved_view() == nullptr) return -ENOENT;
    return saved_view()->getattr(p, st);
  }
  if (fs().parse_drive_path(p)) {
    // Regular files, not device nodes: a device node in a FUSE mount would
    // be opened by the kernel's own driver for its number.
    st->st_mode = S_IFREG | library.file_mode();
    st->st_nlink = 1;
    return 0;
  }
  if (auto c = fs().parse_library_path(p)) {
    struct stat img {};
    if (stat(c->image_path.c_str(), &img) != 0) return -errno;
    st->st_mode = S_IFREG | (library.file_mode() & 0444);
    st->st_nlink = 1;
    st->st_size = img.st_size;
    st->st_mtim = img.st_mtim;
    return 0;
  }
  return -ENOENT;
}

int vt_readdir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info*, fuse_readdir_flags) {
  std::string p = path;
  fill(buf, ".", nullptr, 0, FUSE_FILL_DIR_PLUS);
  fill(buf, "..", nullptr, 0, FUSE_FILL_DIR_PLUS);
  if (p == "/") {
    fill(buf, "drives", nullptr, 0, FUSE_FILL_DIR_PLUS);
    fill(buf, "library", nullptr, 0, FUSE_FILL_DIR_PLUS);
    fill(buf, "saved", nullptr, 0, FUSE_FILL_DIR_PLUS);
    fill(buf, "spool", nullptr, 0, FUSE_FILL_DIR_PLUS);
  } else if (is_spool(p) || is_saved(p)) {
    if (saved_view() == nullptr || spool() == nullptr) return -ENOENT;
    std::vector<std::pair<std::string, struct stat>> entries;
    int e = is_spool(p)        ? spool()->readdir(p, caller(), &entries)
            : is_spool_view(p) ? spool_view()->readdir(p, &entries)
                               : saved_view()->readdir(p, &entries);
    if (e != 0) return e;
    if (p == SavedView::kRoot) {
      struct stat st {};
      (void)spool_view()->getattr(SpoolView::kRoot, &st);
      entries.emplace_back("spool", st);
    }
    for (const auto& [name, st] : entries) {
      if (fill(buf, name.c_str(), &st, 0, FUSE_FILL_DIR_PLUS) != 0) break;
    }
  } else if (p == "/drives") {
    for (int i = 0; i < fs().drive_count(); ++i) {
      fill(buf, ("nst" + std::to_string(i)).c_str(), nullptr, 0, FUSE_FILL_DIR_PLUS);
      fill(buf, ("st" + std::to_string(i)).c_str(), nullptr, 0, FUSE_FILL_DIR_PLUS);
    }
  } else if (p == "/library") {
    for (const auto& c : fs().library().list()) {
      fill(buf, c.image_path.substr(c.image_path.rfind('/') + 1).c_str(), nullptr, 0, FUSE_FILL_DIR_PLUS);
    }
  } else {
    return -ENOTDIR;
  }
  return 0;
}

int vt_open(const char* path, fuse_file_info* fi) {
  std::string p = path;
  if (auto dp = fs().parse_drive_path(p)) {
    DriveOpenMode mode;
    mode.rewind_on_close = dp->rewind_on_close;
    mode.writable = (fi->flags & O_ACCMODE) != O_RDONLY;
    mode.nonblocking = (fi->flags & O_NONBLOCK) != 0;
    DriveLease lease;
    std::string door = fmt::format("mount (pid {})", fuse_get_context()->pid);
    DriveError e = fs().service().acquire(dp->drive, mode, door, &lease);
    if (e != DriveError::kNone) return -to_errno(e);
    // One read() or write() is one request of exactly the caller's size,
    // and there is no file offset to seek (lseek fails with ESPIPE).
    fi->direct_io = 1;
    fi->nonseekable = 1;
    fi->fh = reinterpret_cast<uint64_t>(new OpenFile{OpenFile::Kind::kDrive, dp->drive, -1, std::move(lease), nullptr, nullptr, nullptr});
    return 0;
  }
  if (auto c = fs().parse_library_path(p)) {
    if ((fi->flags & O_ACCMODE) != O_RDONLY) return -EROFS;
    int fd = ::open(c->image_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    fi->fh = reinterpret_cast<uint64_t>(new OpenFile{OpenFile::Kind::kImage, -1, fd, {}, nullptr, nullptr, nullptr});
    return 0;
  }
  if (is_spool(p) || is_spool_view(p)) {
    if (spool() == nullptr) return -ENOENT;
    bool writing = (fi->flags & O_ACCMODE) != O_RDONLY;
    auto* f = new OpenFile{OpenFile::Kind::kSpoolRead, -1, -1, {}, nullptr, nullptr, nullptr};
    int e = 0;
    if (writing && is_spool(p)) {
      // Opening a name in prt/ or pun/ for writing makes a new spool file
      // (the spool files listed there are not written over).
      f->kind = OpenFile::Kind::kSpoolWrite;
      e = spool()->is_new_file_path(p, caller()) ? spool()->create(p, caller(), &f->spool_writer) : -EACCES;
    } else if (writing) {
      e = -EROFS;
    } else {
      e = is_spool(p) ? spool()->open_read(p, caller(), &f->spool_content) : spool_view()->open(p, &f->spool_content);
    }
    if (e != 0) {
      delete f;
      return e;
    }
    fi->direct_io = 1;  // the size of a file being written changes under the page cache
    fi->fh = reinterpret_cast<uint64_t>(f);
    return 0;
  }
  if (is_saved(p)) {
    if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC) != 0) return -EROFS;
    if (saved_view() == nullptr) return -ENOENT;
    std::unique_ptr<SavedFile> file;
    if (int e = saved_view()->open(p, &file); e != 0) return e;
    auto* f = new OpenFile{OpenFile::Kind::kSaved, -1, -1, {}, std::move(file), nullptr, nullptr};
    fi->fh = reinterpret_cast<uint64_t>(f);
    return 0;
  }
  return p == "/" || p == "/drives" || p == "/library" ? -EISDIR : -ENOENT;
}

int vt_readlink(const char* path, char* buf, size_t size) {
  std::string p = path;
  if (!is_saved(p) || saved_view() == nullptr) return -EINVAL;
  std::string target;
  if (int e = saved_view()->readlink(p, &target); e != 0) return e;
  if (size == 0) return -EINVAL;
  size_t n = std::min(target.size(), size - 1);
  std::memcpy(buf, target.data(), n);
  buf[n] = '\0';
  return 0;
}

// Nothing can be made, removed or renamed anywhere in the mount but spool
// files: created in prt/ and pun/, purged by unlink.
int vt_create(const char* path, mode_t, fuse_file_info* fi) {
  std::string p = path;
  if (!is_spool(p)) return -EROFS;
  if (spool() == nullptr) return -ENOENT;
  auto* f = new OpenFile{OpenFile::Kind::kSpoolWrite, -1, -1, {}, nullptr, nullptr, nullptr};
  if (int e = spool()->create(p, caller(), &f->spool_writer); e != 0) {
    delete f;
    return e;
  }
  fi->direct_io = 1;
  fi->fh = reinterpret_cast<uint64_t>(f);
  return 0;
}
int vt_mknod(const char*, mode_t, dev_t) { return -EROFS; }
int vt_mkdir(const char*, mode_t) { return -EROFS; }
int vt_unlink(const char* path) {
  std::string p = path;
  if (!is_spool(p)) return -EROFS;
  return spool() == nullptr ? -ENOENT : spool()->unlink(p, caller());
}
int vt_rmdir(const char*) { return -EROFS; }
int vt_symlink(const char*, const char*) { return -EROFS; }
int vt_link(const char*, const char*) { return -EROFS; }
int vt_rename(const char*, const char*, unsigned int) { return -EROFS; }

int vt_read(const char*, char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  OpenFile* f = open_file(fi);
  if (f->kind == OpenFile::Kind::kImage) {
    ssize_t n = pread(f->fd, buf, size, offset);
    return n < 0 ? -errno : static_cast<int>(n);
  }
  if (f->kind == OpenFile::Kind::kSaved) {
    if (offset < 0) return -EINVAL;
    return f->saved->read(buf, size, static_cast<uint64_t>(offset));
  }
  if (f->kind == OpenFile::Kind::kSpoolRead) {
    if (offset < 0) return -EINVAL;
    return f->spool_content->read(buf, size, static_cast<uint64_t>(offset));
  }
  if (f->kind == OpenFile::Kind::kSpoolWrite) return -EBADF;
  // Straight into the request's buffer (one record, or blocks).
  size_t length = 0;
  DriveError e = f->lease.drive().read(std::span<uint8_t>(reinterpret_cast<uint8_t*>(buf), size), &length);
  if (e != DriveError::kNone) return -to_errno(e);
  return static_cast<int>(length);
}

int vt_write(const char*, const char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  OpenFile* f = open_file(fi);
  if (f->kind == OpenFile::Kind::kSpoolWrite) {
    if (offset < 0) return -EINVAL;
    return f->spool_writer->write(buf, size, static_cast<uint64_t>(offset));
  }
  if (f->kind != OpenFile::Kind::kDrive) return -EROFS;
  DriveError e = f->lease.drive().write(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf), size));
  if (e != DriveError::kNone) return -to_errno(e);
  return static_cast<int>(size);
}

// Every close(2), of duplicates too (dd dup2()s its output and closes the
// original): the data written so far is on disk before close returns.
int vt_flush(const char*, fuse_file_info* fi) {
  OpenFile* f = open_file(fi);
  // A spool file is archived before close returns.
  if (f->kind == OpenFile::Kind::kSpoolWrite) return f->spool_writer->flush();
  if (f->kind != OpenFile::Kind::kDrive) return 0;
  DriveError e = f->lease.flush();
  return e == DriveError::kNone ? 0 : -to_errno(e);
}

// After the last close, asynchronously: the filemark after writing, rewind
// for stN, and the drive is free.
int vt_release(const char*, fuse_file_info* fi) {
  OpenFile* f = open_file(fi);
  if (f->kind == OpenFile::Kind::kDrive) {
    f->lease.release();
  } else if (f->kind == OpenFile::Kind::kImage) {
    ::close(f->fd);
  } else if (f->kind == OpenFile::Kind::kSpoolWrite) {
    f->spool_writer->release();
    if (spool() != nullptr) spool()->released(f->spool_writer);
  }
  delete f;
  return 0;
}

int vt_fsync(const char*, int, fuse_file_info* fi) {
  OpenFile* f = open_file(fi);
  if (f->kind != OpenFile::Kind::kDrive) return 0;
  DriveError e = f->lease.drive().fsync();
  return e == DriveError::kNone ? 0 : -to_errno(e);
}

int vt_truncate(const char* path, off_t, fuse_file_info*) {
  // tar -c and dd open with O_TRUNC: a tape has nothing to truncate.
  if (fs().parse_drive_path(path)) return 0;
  // O_TRUNC on a name in prt/ or pun/: the new spool file is empty anyway.
  if (is_spool(path) && spool() != nullptr && spool()->is_new_file_path(path, caller())) return 0;
  return -EROFS;
}

int vt_ioctl(const char*, unsigned int cmd, void*, fuse_file_info* fi, unsigned int flags, void* data) {
  OpenFile* f = open_file(fi);
  if (f == nullptr || f->kind != OpenFile::Kind::kDrive) return -ENOTTY;
  TapeDrive& drive = f->lease.drive();
  bool compat = (flags & FUSE_IOCTL_COMPAT) != 0;
  if (cmd == MTIOCTOP) {
    const auto* op = static_cast<const mtop*>(data);
    DriveError e = mt_operation(drive, op->mt_op, op->mt_count);
    return e == DriveError::kNone ? 0 : -to_errno(e);
  }
  if (cmd == MTIOCGET || cmd == kMtiocget32) {
    DriveStatus st = drive.status();
    if (cmd == kMtiocget32 || compat) {
      auto* g = static_cast<Mtget32*>(data);
      *g = Mtget32{MT_ISSCSI2, 0, static_cast<int32_t>(mt_dsreg(st)), static_cast<int32_t>(mt_gstat(st)), 0,
                   static_cast<int32_t>(st.file), static_cast<int32_t>(st.block)};
      return 0;
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
    return 0;
  }
  if (cmd == MTIOCPOS || cmd == kMtiocpos32) {
    DriveStatus st = drive.status();
    if (!st.loaded) return -ENOMEDIUM;
    if (cmd == kMtiocpos32 || compat) {
      static_cast<Mtpos32*>(data)->mt_blkno = static_cast<int32_t>(st.block_address);
    } else {
      static_cast<mtpos*>(data)->mt_blkno = static_cast<long>(st.block_address);
    }
    return 0;
  }
  return -ENOTTY;
}

int vt_statfs(const char*, struct statvfs* st) {
  std::memset(st, 0, sizeof *st);
  if (statvfs(fs().library().dir().c_str(), st) != 0) return -errno;
  return 0;
}

// Accepted and ignored on the drives and on spool files (touch, cp -p).
bool settable(const char* path) { return fs().parse_drive_path(path) || is_spool(path); }
int vt_chmod(const char* path, mode_t, fuse_file_info*) { return settable(path) ? 0 : -EROFS; }
int vt_chown(const char* path, uid_t, gid_t, fuse_file_info*) { return settable(path) ? 0 : -EROFS; }
int vt_utimens(const char* path, const timespec*, fuse_file_info*) { return settable(path) ? 0 : -EROFS; }

// Extended attributes: the user.spool.* metadata of spool files.
int reply_xattr(const std::string& value, char* buf, size_t size) {
  if (size == 0) return static_cast<int>(value.size());
  if (value.size() > size) return -ERANGE;
  std::memcpy(buf, value.data(), value.size());
  return static_cast<int>(value.size());
}
int vt_getxattr(const char* path, const char* name, char* buf, size_t size) {
  std::string p = path, value;
  int e = -ENODATA;
  if (is_spool(p) && spool() != nullptr) {
    e = spool()->getxattr(p, caller(), name, &value);
  } else if (is_spool_view(p) && spool_view() != nullptr) {
    e = spool_view()->getxattr(p, name, &value);
  }
  return e != 0 ? e : reply_xattr(value, buf, size);
}
int vt_listxattr(const char* path, char* buf, size_t size) {
  std::string p = path, names;
  int e = 0;
  if (is_spool(p) && spool() != nullptr) {
    e = spool()->listxattr(p, caller(), &names);
  } else if (is_spool_view(p) && spool_view() != nullptr) {
    e = spool_view()->listxattr(p, &names);
  }
  return e != 0 ? e : reply_xattr(names, buf, size);
}
int vt_setxattr(const char* path, const char* name, const char* value, size_t size, int) {
  std::string p = path;
  if (is_spool(p) && spool() != nullptr) return spool()->setxattr(p, caller(), name, std::string(value, size));
  return is_spool_view(p) || is_saved(p) ? -EROFS : -ENOTSUP;
}
int vt_removexattr(const char* path, const char*) { return is_spool(path) ? -EPERM : -ENOTSUP; }

void* vt_init(fuse_conn_info* conn, fuse_config* cfg) {
  cfg->use_ino = 0;
  cfg->nullpath_ok = 0;
  // The kernel must not cache attributes of the drives' files, the library
  // or saved/ (a tape file rewritten changes what its names show).
  cfg->attr_timeout = 0;
  cfg->entry_timeout = 0;
  // No atomic O_TRUNC: the kernel then sends truncate, which drives ignore.
  conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
  return fuse_get_context()->private_data;
}

fuse_operations make_operations() {
  fuse_operations ops{};
  ops.init = vt_init;
  ops.getattr = vt_getattr;
  ops.readdir = vt_readdir;
  ops.open = vt_open;
  ops.read = vt_read;
  ops.write = vt_write;
  ops.flush = vt_flush;
  ops.release = vt_release;
  ops.fsync = vt_fsync;
  ops.truncate = vt_truncate;
  ops.ioctl = vt_ioctl;
  ops.statfs = vt_statfs;
  ops.chmod = vt_chmod;
  ops.chown = vt_chown;
  ops.utimens = vt_utimens;
  ops.readlink = vt_readlink;
  ops.create = vt_create;
  ops.mknod = vt_mknod;
  ops.mkdir = vt_mkdir;
  ops.unlink = vt_unlink;
  ops.rmdir = vt_rmdir;
  ops.symlink = vt_symlink;
  ops.link = vt_link;
  ops.rename = vt_rename;
  ops.getxattr = vt_getxattr;
  ops.listxattr = vt_listxattr;
  ops.setxattr = vt_setxattr;
  ops.removexattr = vt_removexattr;
  return ops;
}

}  // namespace

const fuse_operations& vtapefs_operations() {
  static const fuse_operations ops = make_operations();
  return ops;
}

}  // namespace vtape
