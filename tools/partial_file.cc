#include "tools/partial_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace vtape {
namespace {

// Why the thing described by `st` is not a partial file we may use, or "".
std::string not_ours_reason(const struct stat& st) {
  if (S_ISLNK(st.st_mode)) return "a symbolic link";
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (st.st_uid != geteuid()) return fmt::format("a file of another user (uid {})", st.st_uid);
  return "";
}

Status refused(const std::string& path, const std::string& what) {
  return Status::invalid_argument(
      fmt::format("{} exists and is {}: it is not written through; remove it and run again", path, what));
}

}  // namespace

Status clear_partial_file(const std::string& path) {
  struct stat st{};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::ok();
    return Status::io_error(fmt::format("cannot look at {}", path), errno);
  }
  std::string why = not_ours_reason(st);
  if (!why.empty()) return refused(path, why);
  // Unlinking never touches what a link leads to; a name replaced in
  // between is caught by the O_EXCL that follows.
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::io_error(fmt::format("cannot remove the partial file {} an earlier run left", path), errno);
  }
  return Status::ok();
}

Status create_partial_file(const std::string& path, int* fd) {
  VTAPE_RETURN_IF_ERROR(clear_partial_file(path));
  *fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (*fd < 0) return Status::io_error(fmt::format("cannot create {}", path), errno);
  return Status::ok();
}

bool partial_file_exists(const std::string& path) {
  struct stat st{};
  return lstat(path.c_str(), &st) == 0;
}

Status open_partial_for_resume(const std::string& path, int* fd) {
  *fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (*fd < 0) {
    if (errno == ELOOP) return refused(path, "a symbolic link");
    return Status::io_error(fmt::format("cannot open {} to continue it", path), errno);
  }
  struct stat st{};
  std::string why;
  if (fstat(*fd, &st) != 0) why = "not readable";
  else why = not_ours_reason(st);
  if (why.empty() && st.st_nlink != 1) why = fmt::format("a file with {} names (a hard link)", st.st_nlink);
  if (!why.empty()) {
    ::close(*fd);
    *fd = -1;
    return refused(path, why);
  }
  // Back to blocking I/O (O_NONBLOCK only kept a planted FIFO from hanging the open).
  (void)fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK);
  return Status::ok();
}

}  // namespace vtape
