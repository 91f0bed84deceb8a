#include "fuse/saved_spool_subtree.h"

#include <fcntl.h>

#include <utility>
#include <vector>

#include "fuse/spool_handles.h"
#include "fuse/vtapefs.h"

namespace vtape {

MountError SavedSpoolSubtree::getattr(const MountRequest& r, struct stat* st) {
  if (fs_.spool_view() == nullptr) return MountError::of_errno(ENOENT);
  return MountError::of_view(fs_.spool_view()->getattr(r.path, st));
}

MountError SavedSpoolSubtree::readdir(const MountRequest& r, const DirFiller& fill) {
  if (fs_.saved_view() == nullptr || fs_.spool_devices() == nullptr) return MountError::of_errno(ENOENT);
  std::vector<std::pair<std::string, struct stat>> entries;
  if (int e = fs_.spool_view()->readdir(r.path, &entries); e != 0) return MountError::of_view(e);
  fill_entries(entries, fill);
  return {};
}

MountError SavedSpoolSubtree::open(const MountRequest& r, int flags, std::unique_ptr<OpenHandle>* out) {
  if (fs_.spool_devices() == nullptr) return MountError::of_errno(ENOENT);
  if ((flags & O_ACCMODE) != O_RDONLY) return MountError::of_errno(EROFS);
  std::unique_ptr<SpoolContentFile> content;
  if (int e = fs_.spool_view()->open(r.path, &content); e != 0) return MountError::of_view(e);
  *out = std::make_unique<SpoolContentHandle>(std::move(content));
  return {};
}

// saved/'s answer: there are no links here.
MountError SavedSpoolSubtree::readlink(const MountRequest& r, std::string* target) {
  if (fs_.saved_view() == nullptr) return MountError::of_errno(EINVAL);
  return MountError::of_view(fs_.saved_view()->readlink(r.path, target));
}

MountError SavedSpoolSubtree::getxattr(const MountRequest& r, const std::string& name, std::string* value) {
  if (fs_.spool_view() == nullptr) return MountError::of_errno(ENODATA);
  return MountError::of_view(fs_.spool_view()->getxattr(r.path, name, value));
}

MountError SavedSpoolSubtree::listxattr(const MountRequest& r, std::string* names) {
  if (fs_.spool_view() == nullptr) return {};
  return MountError::of_view(fs_.spool_view()->listxattr(r.path, names));
}

MountError SavedSpoolSubtree::setxattr(const MountRequest&, const std::string&, const std::string&) {
  return MountError::of_errno(EROFS);
}

}  // namespace vtape
