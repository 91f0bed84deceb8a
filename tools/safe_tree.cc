#include "tools/safe_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <system_error>
#include <vector>

#include <fmt/format.h>

namespace vtape {
namespace {

std::vector<std::string_view> components(std::string_view name) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view part = name.substr(start, slash - start);
    if (!part.empty() && part != ".") parts.push_back(part);
    start = slash + 1;
  }
  return parts;
}

}  // namespace

std::string unsafe_name_reason(std::string_view name) {
  if (name.empty()) return "an empty name";
  if (name.find('\0') != std::string_view::npos) return "a NUL byte in the name";
  if (name.front() == '/') return "an absolute name";
  auto parts = components(name);
  if (parts.empty()) return "a name that is only the top directory";
  for (auto part : parts) {
    if (part == "..") return "a '..' component";
  }
  return "";
}

std::string escaping_link_reason(std::string_view name, std::string_view target) {
  if (target.empty()) return "a symbolic link with an empty target";
  if (target.front() == '/') return "a symbolic link to an absolute path";
  // Depth of the link's directory below the top, then walk the target.
  int64_t depth = static_cast<int64_t>(components(name).size()) - 1;
  for (auto part : components(target)) {
    depth += part == ".." ? -1 : 1;
    if (depth < 0) return "a symbolic link that leads above the restore directory";
  }
  return "";
}

namespace {

// Components still to walk and the directories walked into (each opened
// with O_NOFOLLOW relative to the one before; the first is the top).
struct Walk {
  std::deque<std::string> todo;
  std::vector<int> dirs;
  ~Walk() {
    for (int fd : dirs) close(fd);
  }
  void push_front(std::string_view path) {
    auto parts = components(path);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.emplace_front(*it);
  }
};

constexpr int kMaxLinks = 40;  // as the kernel's MAXSYMLINKS

int resolve_by_openat2(int root_fd, std::string_view path) {
  struct open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  std::string p(path);
  long fd;
  int tries = 0;
  do {  // EAGAIN: a rename elsewhere raced with the lookup; the kernel asks to retry
    fd = syscall(SYS_openat2, root_fd, p.c_str(), &how, sizeof how);
  } while (fd < 0 && errno == EAGAIN && ++tries < 8);
  if (fd >= 0) {
    close(static_cast<int>(fd));
    return 0;
  }
  return errno;
}

}  // namespace

int walk_beneath(int root_fd, std::string_view path) {
  Walk w;
  int top = dup(root_fd);
  if (top < 0) return errno;
  w.dirs.push_back(top);
  w.push_front(path);
  int links = 0;
  while (!w.todo.empty()) {
    std::string part = std::move(w.todo.front());
    w.todo.pop_front();
    if (part == "..") {
      if (w.dirs.size() == 1) return EXDEV;  // above the top
      close(w.dirs.back());
      w.dirs.pop_back();
      continue;
    }
    struct stat st{};
    if (fstatat(w.dirs.back(), part.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno;
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxLinks) return ELOOP;
      std::vector<char> target(static_cast<size_t>(st.st_size) + 1);
      ssize_t n = readlinkat(w.dirs.back(), part.c_str(), target.data(), target.size());
      if (n < 0) return errno;
      std::string_view text(target.data(), static_cast<size_t>(n));
      if (text.empty()) return ENOENT;
      if (text.front() == '/') return EXDEV;  // absolute: outside by definition
      w.push_front(text);
      continue;
    }
    if (!S_ISDIR(st.st_mode)) return w.todo.empty() ? 0 : ENOTDIR;
    int next = openat(w.dirs.back(), part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return errno;
    w.dirs.push_back(next);
  }
  return 0;
}

namespace {

// openat2 where the kernel has it (Linux 5.6), the walk above otherwise.
int resolve_beneath(int root_fd, std::string_view path) {
  static const bool kernel_has_openat2 = [] {
    struct open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    long fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how);
    if (fd >= 0) close(static_cast<int>(fd));
    return fd >= 0 || (errno != ENOSYS && errno != EPERM);
  }();
  return kernel_has_openat2 ? resolve_by_openat2(root_fd, path) : walk_beneath(root_fd, path);
}

}  // namespace

Status SafeTree::open(const std::string& root, SafeTree* out) {
  std::error_code ec;
  std::filesystem::create_directories(root, ec);  // the target itself is the user's word: made with its parents
  if (ec) return Status::io_error(fmt::format("cannot create the directory {}", root), ec.value());
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::io_error(fmt::format("cannot open the directory {}", root), errno);
  SafeTree tree;
  tree.root_fd_ = fd;
  tree.root_ = root;
  *out = std::move(tree);
  return Status::ok();
}

SafeTree::SafeTree(SafeTree&& other) noexcept : root_fd_(other.root_fd_), root_(std::move(other.root_)) {
  other.root_fd_ = -1;
}

SafeTree& SafeTree::operator=(SafeTree&& other) noexcept {
  if (this != &other) {
    if (root_fd_ >= 0) close(root_fd_);
    root_fd_ = other.root_fd_;
    root_ = std::move(other.root_);
    other.root_fd_ = -1;
  }
  return *this;
}

SafeTree::~SafeTree() {
  if (root_fd_ >= 0) close(root_fd_);
}

Status SafeTree::open_parent(std::string_view name, int* dirfd, std::string* leaf) const {
  std::string reason = unsafe_name_reason(name);
  if (!reason.empty()) return Status::invalid_argument(fmt::format("{}: {}", name, reason));
  auto parts = components(name);
  int fd = dup(root_fd_);
  if (fd < 0) return Status::io_error("dup", errno);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    std::string part(parts[i]);
    int next = openat(fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT) {
      if (mkdirat(fd, part.c_str(), 0755) != 0 && errno != EEXIST) {
        int e = errno;
        close(fd);
        return Status::io_error(fmt::format("cannot create the directory {} on the way to {}", part, where(name)), e);
      }
      next = openat(fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (next < 0) {
      int e = errno;
      close(fd);
      if (e == ELOOP || e == ENOTDIR) {
        return Status::invalid_argument(
            fmt::format("{}: '{}' on the way is a symbolic link or not a directory", name, part));
      }
      return Status::io_error(fmt::format("cannot open the directory {} of {}", part, where(name)), e);
    }
    close(fd);
    fd = next;
  }
  *dirfd = fd;
  *leaf = std::string(parts.back());
  return Status::ok();
}

namespace {

// Runs `op(dirfd, leaf)` in the parent directory of `name`.
template <typename Op>
Status in_parent(const SafeTree& tree, std::string_view name, Op op) {
  int dirfd = -1;
  std::string leaf;
  VTAPE_RETURN_IF_ERROR(tree.open_parent(name, &dirfd, &leaf));
  Status s = op(dirfd, leaf);
  close(dirfd);
  return s;
}

}  // namespace

bool SafeTree::exists(std::string_view name, uint64_t* size) const {
  bool found = false;
  Status s = in_parent(*this, name, [&](int dirfd, const std::string& leaf) {
    struct stat st{};
    if (fstatat(dirfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      found = true;
      if (size) *size = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
    }
    return Status::ok();
  });
  return s.is_ok() && found;
}

Status SafeTree::remove(std::string_view name) const {
  return in_parent(*this, name, [&](int dirfd, const std::string& leaf) {
    if (unlinkat(dirfd, leaf.c_str(), 0) == 0 || errno == ENOENT) return Status::ok();
    if ((errno == EISDIR || errno == EPERM) && unlinkat(dirfd, leaf.c_str(), AT_REMOVEDIR) == 0) return Status::ok();
    return Status::io_error(fmt::format("cannot remove {}", where(name)), errno);
  });
}

Status SafeTree::make_directory(std::string_view name, uint32_t mode) const {
  return in_parent(*this, name, [&](int dirfd, const std::string& leaf) {
    if (mkdirat(dirfd, leaf.c_str(), mode & 07777) == 0) return Status::ok();
    struct stat st{};
    if (errno == EEXIST && fstatat(dirfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
      return Status::ok();
    }
    return Status::io_error(fmt::format("cannot create the directory {}", where(name)), errno);
  });
}

Status SafeTree::make_symlink(std::string_view name, const std::string& target) const {
  return in_parent(*this, name, [&](int dirfd, const std::string& leaf) {
    if (symlinkat(target.c_str(), dirfd, leaf.c_str()) == 0) return Status::ok();
    return Status::io_error(fmt::format("cannot create the symbolic link {}", where(name)), errno);
  });
}

Status SafeTree::make_hardlink(std::string_view name, std::string_view existing) const {
  int from_dir = -1;
  std::string from_leaf;
  VTAPE_RETURN_IF_ERROR(open_parent(existing, &from_dir, &from_leaf));
  Status s = in_parent(*this, name, [&](int dirfd, const std::string& leaf) {
    // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself.
    if (linkat(from_dir, from_leaf.c_str(), dirfd, leaf.c_str(), 0) == 0) return Status::ok();
    return Status::io_error(fmt::format("cannot link {} to {}", where(name), where(existing)), errno);
  });
  close(from_dir);
  return s;
}

std::string SafeTree::link_escape_reason(std::string_view name) const {
  int e = resolve_beneath(root_fd_, name);
  if (e == EXDEV) return "a link that leads outside the restore directory (through what is on disk)";
  if (e == ELOOP) return "a link that loops";
  return "";  // inside, or not there yet
}

namespace {

// Sets the modification time (access time left alone) of `leaf` in `dirfd`
// without following a link, or of the open file `dirfd` when leaf is null.
Status set_time(int dirfd, const char* leaf, int64_t mtime, const std::string& what) {
  if (mtime == 0) return Status::ok();
  struct timespec times[2];
  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_OMIT;
  times[1].tv_sec = static_cast<time_t>(mtime);
  times[1].tv_nsec = 0;
  int rc = leaf ? utimensat(dirfd, leaf, times, AT_SYMLINK_NOFOLLOW) : futimens(dirfd, times);
  if (rc != 0) return Status::io_error(fmt::format("cannot set the time of {}", what), errno);
  return Status::ok();
}

}  // namespace

Status SafeTree::set_file_attributes(int fd, uint32_t mode, int64_t mtime, const std::string& what) {
  if (fchmod(fd, mode & 07777) != 0) return Status::io_error(fmt::format("cannot set the mode of {}", what), errno);
  return set_time(fd, nullptr, mtime, what);
}

Status SafeTree::set_directory_attributes(std::string_view name, uint32_t mode, int64_t mtime) const {
  return in_parent(*this, name, [&](int dirfd, const std::string& leaf) {
    int fd = openat(dirfd, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ELOOP || errno == ENOTDIR) {
        return Status::invalid_argument(fmt::format("{}: no longer a directory (a link or a file is there)", name));
      }
      return Status::io_error(fmt::format("cannot open the directory {}", where(name)), errno);
    }
    Status s = set_file_attributes(fd, mode, mtime, where(name));
    close(fd);
    return s;
  });
}

Status SafeTree::set_symlink_time(std::string_view name, int64_t mtime) const {
  return in_parent(*this, name, [&](int dirfd, const std::string& leaf) {
    return set_time(dirfd, leaf.c_str(), mtime, where(name));
  });
}

Status SafeTree::rename(std::string_view from, std::string_view to) const {
  int from_dir = -1;
  std::string from_leaf;
  VTAPE_RETURN_IF_ERROR(open_parent(from, &from_dir, &from_leaf));
  Status s = in_parent(*this, to, [&](int dirfd, const std::string& leaf) {
    if (renameat(from_dir, from_leaf.c_str(), dirfd, leaf.c_str()) == 0) return Status::ok();
    return Status::io_error(fmt::format("cannot rename {} to {}", where(from), where(to)), errno);
  });
  close(from_dir);
  return s;
}

Status SafeTree::create_file(std::string_view name, int* fd) const {
  return in_parent(*this, name, [&](int dirfd, const std::string& leaf) {
    // A regular file at the name (a partial file an earlier run left, or
    // another name of some file) is removed, not written into; anything
    // else (a link someone planted) is refused.  O_EXCL below then fails
    // rather than follow whatever appears in between.
    struct stat st{};
    if (fstatat(dirfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (!S_ISREG(st.st_mode)) {
        return Status::invalid_argument(fmt::format("{}: {} is there and is not written through", name,
                                                    S_ISLNK(st.st_mode) ? "a symbolic link" : "something not a file"));
      }
      if (unlinkat(dirfd, leaf.c_str(), 0) != 0 && errno != ENOENT) {
        return Status::io_error(fmt::format("cannot remove {} to create it afresh", where(name)), errno);
      }
    }
    *fd = openat(dirfd, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (*fd >= 0) return Status::ok();
    return Status::io_error(fmt::format("cannot create {}", where(name)), errno);
  });
}

Status SafeTree::open_for_append(std::string_view name, int* fd, uint64_t* size) const {
  return in_parent(*this, name, [&](int dirfd, const std::string& leaf) {
    *fd = openat(dirfd, leaf.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd < 0) return Status::io_error(fmt::format("cannot open {}", where(name)), errno);
    struct stat st{};
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      close(*fd);
      *fd = -1;
      return Status::invalid_argument(fmt::format("{} is not a regular file", where(name)));
    }
    *size = static_cast<uint64_t>(st.st_size);
    if (lseek(*fd, 0, SEEK_END) < 0) return Status::io_error(fmt::format("cannot seek in {}", where(name)), errno);
    return Status::ok();
  });
}

}  // namespace vtape
