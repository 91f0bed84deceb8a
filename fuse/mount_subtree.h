// MountSubtree: one part of the mount's tree (the root directory, drives/,
// library/, saved/, saved/spool/, spool/) and the callbacks it answers for
// the paths inside it.  MountRouter (mount_router.h) finds the subtree of a
// path once per callback; the FUSE adapter calls it and turns its
// MountError into the reply.  The defaults are what a path nobody serves
// answers, so each subtree implements only what it has: no such file,
// not a directory, nothing to change in a read-only tree, no extended
// attributes.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fuse/mount_error.h"
#include "fuse/open_handle.h"

namespace vtape {

// One request's path and who makes it.
struct MountRequest {
  std::string path;  // the whole path: "/drives/nst0"
  std::string rest;  // the path inside the subtree: "nst0" ("" for its own directory)
  uid_t uid = 0;     // the caller's user (spool/ serves each user's queues)
  pid_t pid = 0;     // the caller's process (names the drive's holder)
};

// Adds a directory entry (st may be null: no attributes); false when the
// reply is full.
using DirFiller = std::function<bool(const std::string& name, const struct stat* st)>;

// A view's listing (SavedView, SpoolView, SpoolDevices) into the reply,
// until it is full.
inline void fill_entries(const std::vector<std::pair<std::string, struct stat>>& entries, const DirFiller& fill) {
  for (const auto& [name, st] : entries) {
    if (!fill(name, &st)) break;
  }
}

class MountSubtree {
 public:
  virtual ~MountSubtree() = default;

  // *st comes zeroed.
  virtual MountError getattr(const MountRequest& r, struct stat* st) {
    (void)r, (void)st;
    return MountError::of_errno(ENOENT);
  }
  // After "." and "..".
  virtual MountError readdir(const MountRequest& r, const DirFiller& fill) {
    (void)r, (void)fill;
    return MountError::of_errno(ENOTDIR);
  }
  // `flags`: open(2)'s.
  virtual MountError open(const MountRequest& r, int flags, std::unique_ptr<OpenHandle>* out) {
    (void)r, (void)flags, (void)out;
    return MountError::of_errno(ENOENT);
  }
  // Nothing can be made anywhere in the mount but spool files.
  virtual MountError create(const MountRequest& r, std::unique_ptr<OpenHandle>* out) {
    (void)r, (void)out;
    return MountError::of_errno(EROFS);
  }
  virtual MountError readlink(const MountRequest& r, std::string* target) {
    (void)r, (void)target;
    return MountError::of_errno(EINVAL);
  }
  virtual MountError unlink(const MountRequest& r) {
    (void)r;
    return MountError::of_errno(EROFS);
  }
  virtual MountError truncate(const MountRequest& r) {
    (void)r;
    return MountError::of_errno(EROFS);
  }
  // chmod, chown and utimens: accepted and ignored where a program expects
  // to (touch, cp -p), refused elsewhere.
  virtual MountError set_attributes(const MountRequest& r) {
    (void)r;
    return MountError::of_errno(EROFS);
  }
  virtual MountError getxattr(const MountRequest& r, const std::string& name, std::string* value) {
    (void)r, (void)name, (void)value;
    return MountError::of_errno(ENODATA);
  }
  // *names: each name ended by '\0' (none: empty).
  virtual MountError listxattr(const MountRequest& r, std::string* names) {
    (void)r, (void)names;
    return {};
  }
  virtual MountError setxattr(const MountRequest& r, const std::string& name, const std::string& value) {
    (void)r, (void)name, (void)value;
    return MountError::of_errno(ENOTSUP);
  }
  virtual MountError removexattr(const MountRequest& r, const std::string& name) {
    (void)r, (void)name;
    return MountError::of_errno(ENOTSUP);
  }
};

}  // namespace vtape
