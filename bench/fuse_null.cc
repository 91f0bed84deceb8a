// fuse_null: the fastest a FUSE file system can take writes and give reads
// on this machine, for bench/drive_throughput.sh to set beside vtapefs.
// One file, /sink, opened with direct_io as vtapefs opens its drives (one
// write() is one request, as for a tape): writes are acknowledged without
// touching the data, reads return zeros.  What vtapefs does beyond this
// (framing, writing the image, the catalog) is its own cost; what this
// costs is FUSE's (copying each request in and out of the kernel, two
// context switches per request).
//
//   g++ -O2 -std=c++20 fuse_null.cc $(pkg-config --cflags --libs fuse3) -o fuse_null
//   ./fuse_null -f MOUNTPOINT
#define FUSE_USE_VERSION 312
#include <fuse3/fuse.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace {

int null_getattr(const char* path, struct stat* st, fuse_file_info*) {
  std::memset(st, 0, sizeof *st);
  if (std::strcmp(path, "/") == 0) {
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
    return 0;
  }
  if (std::strcmp(path, "/sink") == 0) {
    st->st_mode = S_IFREG | 0666;
    st->st_nlink = 1;
    return 0;
  }
  return -ENOENT;
}

int null_open(const char* path, fuse_file_info* fi) {
  if (std::strcmp(path, "/sink") != 0) return -ENOENT;
  fi->direct_io = 1;
  return 0;
}

int null_read(const char*, char* buf, size_t size, off_t, fuse_file_info*) {
  std::memset(buf, 0, size);
  return static_cast<int>(size);
}

int null_write(const char*, const char*, size_t size, off_t, fuse_file_info*) { return static_cast<int>(size); }

int null_truncate(const char*, off_t, fuse_file_info*) { return 0; }

}  // namespace

int main(int argc, char** argv) {
  fuse_operations ops{};
  ops.getattr = null_getattr;
  ops.open = null_open;
  ops.read = null_read;
  ops.write = null_write;
  ops.truncate = null_truncate;
  return fuse_main(argc, argv, &ops, nullptr);
}
