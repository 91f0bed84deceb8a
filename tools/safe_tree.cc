#include "tools/safe_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

Status SafeTree::set_attributes(std::string_view name, uint32_t mode, int64_t mtime, bool is_symlink) const {
  return in_parent(*this, name, [&](int dirfd, const std::string& leaf) {
    if (!is_symlink && fchmodat(dirfd, leaf.c_str(), mode & 07777, 0) != 0) {
      return Status::io_error(fmt::format("cannot set the mode of {}", where(name)), errno);
    }
    if (mtime != 0) {
      struct timespec times[2];
      times[0].tv_sec = 0;
      times[0].tv_nsec = UTIME_OMIT;
      times[1].tv_sec = static_cast<time_t>(mtime);
      times[1].tv_nsec = 0;
      if (utimensat(dirfd, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
        return Status::io_error(fmt::format("cannot set the time of {}", where(name)), errno);
      }
    }
    return Status::ok();
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
    *fd = openat(dirfd, leaf.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
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
