#include "fuse/fuse_adapter.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include <fuse3/fuse_lowlevel.h>

#include "fuse/mount_router.h"
#include "fuse/request_interrupt.h"
#include "fuse/vtapefs.h"

namespace vtape {

namespace {

// fuse_request_abandoned() for the mount (fuse/request_interrupt.h).
bool request_abandoned() {
  if (fuse_interrupted() != 0) return true;
  fuse_context* c = fuse_get_context();
  return c != nullptr && c->fuse != nullptr && fuse_session_exited(fuse_get_session(c->fuse)) != 0;
}

VtapeFs& fs() { return *static_cast<VtapeFs*>(fuse_get_context()->private_data); }
// The open file of fi->fh (null for none: directories are not opened).
OpenHandle* handle(fuse_file_info* fi) { return reinterpret_cast<OpenHandle*>(fi->fh); }

// The one place the mount's errors become FUSE's replies.
int reply(MountError e) { return -e.errno_value(); }

// A path's subtree (found once) and the request it gets.
struct Resolved {
  MountSubtree& subtree;
  MountRequest request;
};
Resolved resolve(const char* path) {
  Route route = fs().router().resolve(path);
  const fuse_context* c = fuse_get_context();
  return {*route.subtree, MountRequest{path, std::move(route.rest), c->uid, c->pid}};
}

// An open or create answered: the handle goes to fi->fh until release.
int opened(MountError e, std::unique_ptr<OpenHandle> h, fuse_file_info* fi) {
  if (!e.ok()) return reply(e);
  if (h->direct_io()) fi->direct_io = 1;
  if (h->nonseekable()) fi->nonseekable = 1;
  fi->fh = reinterpret_cast<uint64_t>(h.release());
  return 0;
}

int vt_getattr(const char* path, struct stat* st, fuse_file_info* fi) {
  std::memset(st, 0, sizeof *st);
  if (fi != nullptr && handle(fi) != nullptr && handle(fi)->fstat(st)) return 0;
  auto [subtree, request] = resolve(path);
  return reply(subtree.getattr(request, st));
}

int vt_readdir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info*, fuse_readdir_flags) {
  fill(buf, ".", nullptr, 0, FUSE_FILL_DIR_PLUS);
  fill(buf, "..", nullptr, 0, FUSE_FILL_DIR_PLUS);
  auto [subtree, request] = resolve(path);
  return reply(subtree.readdir(request, [&](const std::string& name, const struct stat* st) {
    return fill(buf, name.c_str(), st, 0, FUSE_FILL_DIR_PLUS) == 0;
  }));
}

int vt_open(const char* path, fuse_file_info* fi) {
  auto [subtree, request] = resolve(path);
  std::unique_ptr<OpenHandle> h;
  MountError e = subtree.open(request, fi->flags, &h);
  return opened(e, std::move(h), fi);
}

int vt_create(const char* path, mode_t, fuse_file_info* fi) {
  auto [subtree, request] = resolve(path);
  std::unique_ptr<OpenHandle> h;
  MountError e = subtree.create(request, &h);
  return opened(e, std::move(h), fi);
}

int vt_readlink(const char* path, char* buf, size_t size) {
  auto [subtree, request] = resolve(path);
  std::string target;
  if (MountError e = subtree.readlink(request, &target); !e.ok()) return reply(e);
  if (size == 0) return -EINVAL;
  size_t n = std::min(target.size(), size - 1);
  std::memcpy(buf, target.data(), n);
  buf[n] = '\0';
  return 0;
}

// Nothing can be made, removed or renamed anywhere in the mount but spool
// files (SpoolSubtree: created in prt/ and pun/, purged by unlink).
int vt_mknod(const char*, mode_t, dev_t) { return -EROFS; }
int vt_mkdir(const char*, mode_t) { return -EROFS; }
int vt_unlink(const char* path) {
  auto [subtree, request] = resolve(path);
  return reply(subtree.unlink(request));
}
int vt_rmdir(const char*) { return -EROFS; }
int vt_symlink(const char*, const char*) { return -EROFS; }
int vt_link(const char*, const char*) { return -EROFS; }
int vt_rename(const char*, const char*, unsigned int) { return -EROFS; }

// Reads through read_buf, so that a handle may answer with an extent of a
// file, which libfuse splices to the kernel (FUSE_CAP_SPLICE_WRITE) without
// copying it through here; other answers are in memory as read() gives.
// libfuse frees the vector and its memory buffer, never a descriptor.
int vt_read_buf(const char*, fuse_bufvec** bufp, size_t size, off_t offset, fuse_file_info* fi) {
  auto* vec = static_cast<fuse_bufvec*>(std::malloc(sizeof(fuse_bufvec)));
  void* mem = std::malloc(size > 0 ? size : 1);
  if (vec == nullptr || mem == nullptr) {
    std::free(vec);
    std::free(mem);
    return -ENOMEM;
  }
  *vec = FUSE_BUFVEC_INIT(0);
  size_t done = 0;
  FileExtent extent;
  MountError e = handle(fi)->read_or_extent(std::span<char>(static_cast<char*>(mem), size), offset, &done, &extent);
  if (!e.ok()) {
    std::free(vec);
    std::free(mem);
    return reply(e);
  }
  if (extent.length > 0) {
    std::free(mem);
    vec->buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
    vec->buf[0].fd = extent.fd;
    vec->buf[0].pos = static_cast<off_t>(extent.offset);
    vec->buf[0].size = extent.length;
  } else {
    vec->buf[0].mem = mem;
    vec->buf[0].size = done;
  }
  *bufp = vec;
  return 0;
}

int vt_write(const char*, const char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  size_t done = 0;
  MountError e = handle(fi)->write(std::span<const char>(buf, size), offset, &done);
  return e.ok() ? static_cast<int>(done) : reply(e);
}

// Every close(2) of a descriptor.
int vt_flush(const char*, fuse_file_info* fi) { return reply(handle(fi)->flush()); }

// After the last close, asynchronously.
int vt_release(const char*, fuse_file_info* fi) {
  OpenHandle* h = handle(fi);
  h->release();
  delete h;
  return 0;
}

int vt_fsync(const char*, int, fuse_file_info* fi) { return reply(handle(fi)->fsync()); }

int vt_truncate(const char* path, off_t, fuse_file_info*) {
  auto [subtree, request] = resolve(path);
  return reply(subtree.truncate(request));
}

int vt_ioctl(const char*, unsigned int cmd, void*, fuse_file_info* fi, unsigned int flags, void* data) {
  OpenHandle* h = handle(fi);
  if (h == nullptr) return -ENOTTY;
  return reply(h->ioctl(cmd, (flags & FUSE_IOCTL_COMPAT) != 0, data));
}

int vt_statfs(const char*, struct statvfs* st) {
  std::memset(st, 0, sizeof *st);
  if (statvfs(fs().library().dir().c_str(), st) != 0) return -errno;
  return 0;
}

int set_attributes(const char* path) {
  auto [subtree, request] = resolve(path);
  return reply(subtree.set_attributes(request));
}
int vt_chmod(const char* path, mode_t, fuse_file_info*) { return set_attributes(path); }
int vt_chown(const char* path, uid_t, gid_t, fuse_file_info*) { return set_attributes(path); }
int vt_utimens(const char* path, const timespec*, fuse_file_info*) { return set_attributes(path); }

// Extended attributes: the user.spool.* metadata of spool files.
int reply_xattr(const std::string& value, char* buf, size_t size) {
  if (size == 0) return static_cast<int>(value.size());
  if (value.size() > size) return -ERANGE;
  std::memcpy(buf, value.data(), value.size());
  return static_cast<int>(value.size());
}
int vt_getxattr(const char* path, const char* name, char* buf, size_t size) {
  auto [subtree, request] = resolve(path);
  std::string value;
  MountError e = subtree.getxattr(request, name, &value);
  return e.ok() ? reply_xattr(value, buf, size) : reply(e);
}
int vt_listxattr(const char* path, char* buf, size_t size) {
  auto [subtree, request] = resolve(path);
  std::string names;
  MountError e = subtree.listxattr(request, &names);
  return e.ok() ? reply_xattr(names, buf, size) : reply(e);
}
int vt_setxattr(const char* path, const char* name, const char* value, size_t size, int) {
  auto [subtree, request] = resolve(path);
  return reply(subtree.setxattr(request, name, std::string(value, size)));
}
int vt_removexattr(const char* path, const char* name) {
  auto [subtree, request] = resolve(path);
  return reply(subtree.removexattr(request, name));
}

void* vt_init(fuse_conn_info* conn, fuse_config* cfg) {
  cfg->use_ino = 0;
  cfg->nullpath_ok = 0;
  // The kernel must not cache attributes of the drives' files, the library
  // or saved/ (a tape file rewritten changes what its names show).
  cfg->attr_timeout = 0;
  cfg->entry_timeout = 0;
  // No atomic O_TRUNC: the kernel then sends truncate, which drives ignore.
  conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
  // Large drive reads are spliced from the image (vt_read_buf).
  conn->want |= conn->capable & (FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
  return fuse_get_context()->private_data;
}

fuse_operations make_operations() {
  set_request_abandoned_check(request_abandoned);
  fuse_operations ops{};
  ops.init = vt_init;
  ops.getattr = vt_getattr;
  ops.readdir = vt_readdir;
  ops.open = vt_open;
  ops.read_buf = vt_read_buf;
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
