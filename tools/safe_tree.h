// SafeTree: writing names that come from a tape into one directory without
// ever writing outside it.  Names are checked before use (no absolute names,
// no "..", no empty or NUL-holding components) and every directory on the
// way is opened relative to its parent with O_NOFOLLOW, so a symbolic link
// that an archive planted (or that was already there) is never followed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "tapeformat/status.h"

namespace vtape {

// Why a tape member name must not be restored, or "" when it may be.
std::string unsafe_name_reason(std::string_view name);
// Why a symbolic link at `name` pointing to `target` would lead outside the
// tree (an absolute target, or one that climbs above the top), or "".
std::string escaping_link_reason(std::string_view name, std::string_view target);

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
  // Sets permission bits and modification time (not following a symlink).
  Status set_attributes(std::string_view name, uint32_t mode, int64_t mtime, bool is_symlink) const;
  // Renames `from` to `to` (both in the tree).
  Status rename(std::string_view from, std::string_view to) const;
  // Creates (truncating) a regular file for writing; the caller closes it.
  Status create_file(std::string_view name, int* fd) const;
  // Opens an existing regular file to append to it; the caller closes it.
  Status open_for_append(std::string_view name, int* fd, uint64_t* size) const;

 private:
  std::string where(std::string_view name) const { return root_ + "/" + std::string(name); }
  int root_fd_ = -1;
  std::string root_;
};

}  // namespace vtape
