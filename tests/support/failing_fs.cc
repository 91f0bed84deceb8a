// failing_fs: a FUSE pass-through file system for the tests that fails
// writes with EIO once a number of bytes have been written through it, as
// a disk that goes bad does.  It shows that a drive reports an I/O error of
// its image to the writer (at the write, the filemark or close) and leaves
// an image that verifies up to its last good record.
//
//   failing_fs -o source=DIR,fail_after=BYTES[,fail_suffix=.tap] [-f] MOUNTPOINT
//
// Everything under MOUNTPOINT is DIR's.  Writes to files whose name ends in
// fail_suffix (every file without it) are counted; the first write that
// would take the count past fail_after fails with EIO, and so does every
// later one to such a file.  Nothing else fails.  Single-threaded (-s is
// added), so the count needs no lock.

#define FUSE_USE_VERSION 35

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fuse3/fuse.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

struct Options {
  char* source = nullptr;
  char* fail_after = nullptr;
  char* fail_suffix = nullptr;
};

const fuse_opt kOptions[] = {
    {"source=%s", offsetof(Options, source), 0},
    {"fail_after=%s", offsetof(Options, fail_after), 0},
    {"fail_suffix=%s", offsetof(Options, fail_suffix), 0},
    FUSE_OPT_END,
};

std::string g_source;
unsigned long long g_fail_after = 0;
std::string g_fail_suffix;
unsigned long long g_written = 0;  // bytes written to counted files

std::string real(const char* path) { return g_source + path; }

bool counted(const char* path) {
  std::string p = path;
  return p.size() >= g_fail_suffix.size() && p.compare(p.size() - g_fail_suffix.size(), g_fail_suffix.size(), g_fail_suffix) == 0;
}

int result(int rc) { return rc < 0 ? -errno : rc; }

int fs_getattr(const char* path, struct stat* st, fuse_file_info*) { return result(lstat(real(path).c_str(), st)); }

int fs_readdir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info*, fuse_readdir_flags) {
  DIR* d = opendir(real(path).c_str());
  if (d == nullptr) return -errno;
  while (dirent* e = readdir(d)) fill(buf, e->d_name, nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  closedir(d);
  return 0;
}

int fs_mkdir(const char* path, mode_t mode) { return result(mkdir(real(path).c_str(), mode)); }
int fs_rmdir(const char* path) { return result(rmdir(real(path).c_str())); }
int fs_unlink(const char* path) { return result(unlink(real(path).c_str())); }
int fs_rename(const char* from, const char* to, unsigned int flags) {
  return flags != 0 ? -EINVAL : result(rename(real(from).c_str(), real(to).c_str()));
}
int fs_chmod(const char* path, mode_t mode, fuse_file_info*) { return result(chmod(real(path).c_str(), mode)); }
int fs_chown(const char* path, uid_t uid, gid_t gid, fuse_file_info*) {
  return result(lchown(real(path).c_str(), uid, gid));
}
int fs_truncate(const char* path, off_t size, fuse_file_info* fi) {
  return result(fi != nullptr ? ftruncate(static_cast<int>(fi->fh), size) : truncate(real(path).c_str(), size));
}
int fs_utimens(const char* path, const timespec tv[2], fuse_file_info*) {
  return result(utimensat(AT_FDCWD, real(path).c_str(), tv, AT_SYMLINK_NOFOLLOW));
}
int fs_statfs(const char* path, struct statvfs* st) { return result(statvfs(real(path).c_str(), st)); }

int fs_open(const char* path, fuse_file_info* fi) {
  int fd = open(real(path).c_str(), fi->flags & ~O_NOFOLLOW);
  if (fd < 0) return -errno;
  fi->fh = static_cast<uint64_t>(fd);
  return 0;
}

int fs_create(const char* path, mode_t mode, fuse_file_info* fi) {
  int fd = open(real(path).c_str(), fi->flags & ~O_NOFOLLOW, mode);
  if (fd < 0) return -errno;
  fi->fh = static_cast<uint64_t>(fd);
  return 0;
}

int fs_read(const char*, char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  return result(static_cast<int>(pread(static_cast<int>(fi->fh), buf, size, offset)));
}

int fs_write(const char* path, const char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  if (counted(path)) {
    if (g_written + size > g_fail_after) {
      g_written = g_fail_after;  // the disk stays bad
      return -EIO;
    }
    g_written += size;
  }
  return result(static_cast<int>(pwrite(static_cast<int>(fi->fh), buf, size, offset)));
}

int fs_fsync(const char*, int datasync, fuse_file_info* fi) {
  int fd = static_cast<int>(fi->fh);
  return result(datasync ? fdatasync(fd) : fsync(fd));
}

int fs_release(const char*, fuse_file_info* fi) { return result(close(static_cast<int>(fi->fh))); }

int fs_fallocate(const char*, int mode, off_t offset, off_t length, fuse_file_info* fi) {
  return result(fallocate(static_cast<int>(fi->fh), mode, offset, length));
}

void* fs_init(fuse_conn_info*, fuse_config* cfg) {
  // What the tests check must be what the source directory holds at once.
  cfg->use_ino = 1;
  cfg->entry_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->negative_timeout = 0;
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  fuse_args args = FUSE_ARGS_INIT(argc, argv);
  Options options;
  if (fuse_opt_parse(&args, &options, kOptions, nullptr) != 0) return 2;
  if (options.source == nullptr || options.fail_after == nullptr) {
    std::fprintf(stderr, "usage: failing_fs -o source=DIR,fail_after=BYTES[,fail_suffix=SUFFIX] MOUNTPOINT\n");
    return 2;
  }
  g_source = options.source;
  g_fail_after = std::strtoull(options.fail_after, nullptr, 10);
  if (options.fail_suffix != nullptr) g_fail_suffix = options.fail_suffix;
  fuse_opt_add_arg(&args, "-s");
  fuse_operations ops{};
  ops.getattr = fs_getattr;
  ops.readdir = fs_readdir;
  ops.mkdir = fs_mkdir;
  ops.rmdir = fs_rmdir;
  ops.unlink = fs_unlink;
  ops.rename = fs_rename;
  ops.chmod = fs_chmod;
  ops.chown = fs_chown;
  ops.truncate = fs_truncate;
  ops.utimens = fs_utimens;
  ops.statfs = fs_statfs;
  ops.open = fs_open;
  ops.create = fs_create;
  ops.read = fs_read;
  ops.write = fs_write;
  ops.fsync = fs_fsync;
  ops.release = fs_release;
  ops.fallocate = fs_fallocate;
  ops.init = fs_init;
  int rc = fuse_main(args.argc, args.argv, &ops, nullptr);
  fuse_opt_free_args(&args);
  return rc;
}
