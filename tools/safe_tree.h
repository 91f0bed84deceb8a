// SafeTree: writing names that come from a tape into one directory without
// ever writing outside it.  Names are checked before use (no absolute names,
// no "..", no empty or NUL-holding components) and every directory on the
// way is opened relative to its parent with O_NOFOLLOW, so a symbolic link
// that an archive planted (or that was already there) is never followed.
// Files are created with O_EXCL|O_NOFOLLOW (never through what was at the
// name), modes and times are set on an open descriptor or without following
// a link, and a link made in the tree is resolved against what is really on
// disk (openat2 RESOLVE_BENEATH) to tell whether it leads outside.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "tapeformat/base/status.h"

namespace vtape {

// Why a tape member name must not be restored, or "" when it may be.
std::string unsafe_name_reason(std::string_view name);
// Why a symbolic link at `name` pointing to `target` would lead outside the
// tree (an absolute target, or one that climbs above the top), or "".
std::string escaping_link_reason(std::string_view name, std::string_view target);

// How `path` (relative to the directory `root_fd`, every symbolic link on
// the way followed) resolves without the kernel's openat2: 0 when it stays
// beneath the directory, EXDEV when it leads outside it (a ".." above the
// top, an absolute link), or the errno that stopped the walk (ENOENT for a
// component that is not there).  Exposed for tests.
int walk_beneath(int root_fd, std::string_view path);

class SafeTree {
 public:
  // Opens (creating it when missing) the directory everything goes into.
  static Status open(const std::string& root, SafeTree* out);
  SafeTree() = default;
  SafeTree(SafeTree&& other) noexcept;
  SafeTree& operator=(SafeTree&& other) noexcept;
  ~SafeTree();

  const std::string& root() const { return root_; }

  // The directory that holds `name` (created with its parents, mode 0755,
  // as needed) as a descriptor the caller closes, and the last component.
  // A symbolic link or a non-directory on the way is an error.
  Status open_parent(std::string_view name, int* dirfd, std::string* leaf) const;
  // Whether something exists at `name` (not following a final symlink);
  // its size when it is a regular file.
  bool exists(std::string_view name, uint64_t* size = nullptr) const;
  // Removes what is at `name` (a file, a link, or an empty directory).
  Status remove(std::string_view name) const;
  Status make_directory(std::string_view name, uint32_t mode) const;
  Status make_symlink(std::string_view name, const std::string& target) const;
  Status make_hardlink(std::string_view name, std::string_view existing) const;
  // Why the link at `name`, followed through everything now on disk, leads
  // outside the tree, or "" when it stays inside (or leads nowhere yet).
  std::string link_escape_reason(std::string_view name) const;
  // Sets the permission bits and modification time of the directory at
  // `name`, on a descriptor opened with O_NOFOLLOW: never through a link.
  Status set_directory_attributes(std::string_view name, uint32_t mode, int64_t mtime) const;
  // Sets the time of the symbolic link at `name` itself.
  Status set_symlink_time(std::string_view name, int64_t mtime) const;
  // Renames `from` to `to` (both in the tree).
  Status rename(std::string_view from, std::string_view to) const;
  // Creates a regular file for writing (O_CREAT|O_EXCL|O_NOFOLLOW, after
  // removing a regular file left at the name, so nothing is written into
  // another file's inode; a link there is refused); the caller closes it.
  Status create_file(std::string_view name, int* fd) const;
  // Opens an existing regular file to append to it; the caller closes it.
  Status open_for_append(std::string_view name, int* fd, uint64_t* size) const;
  // Sets permission bits and modification time of an open file; `what`
  // names it in errors.
  static Status set_file_attributes(int fd, uint32_t mode, int64_t mtime, const std::string& what);

 private:
  std::string where(std::string_view name) const { return root_ + "/" + std::string(name); }
  int root_fd_ = -1;
  std::string root_;
};

}  // namespace vtape
