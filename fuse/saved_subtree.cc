#include "fuse/saved_subtree.h"

#include <fcntl.h>

#include <utility>
#include <vector>

#include "fuse/vtapefs.h"

namespace vtape {

MountError SavedSubtree::getattr(const MountRequest& r, struct stat* st) {
  SavedView* view = fs_.saved_view();
  if (view == nullptr) return MountError::of_errno(ENOENT);
  st->st_uid = fs_.library().owner();
  st->st_gid = fs_.library().group();
  return MountError::of_view(view->getattr(r.path, st));
}

MountError SavedSubtree::readdir(const MountRequest& r, const DirFiller& fill) {
  if (fs_.saved_view() == nullptr || fs_.spool_devices() == nullptr) return MountError::of_errno(ENOENT);
  std::vector<std::pair<std::string, struct stat>> entries;
  if (int e = fs_.saved_view()->readdir(r.path, &entries); e != 0) return MountError::of_view(e);
  if (r.rest.empty()) {
    struct stat st {};
    (void)fs_.spool_view()->getattr(SpoolView::kRoot, &st);
    entries.emplace_back("spool", st);
  }
  fill_entries(entries, fill);
  return {};
}

MountError SavedSubtree::open(const MountRequest& r, int flags, std::unique_ptr<OpenHandle>* out) {
  if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0) return MountError::of_errno(EROFS);
  if (fs_.saved_view() == nullptr) return MountError::of_errno(ENOENT);
  std::unique_ptr<SavedFile> file;
  if (int e = fs_.saved_view()->open(r.path, &file); e != 0) return MountError::of_view(e);
  *out = std::make_unique<SavedFileHandle>(std::move(file));
  return {};
}

MountError SavedSubtree::readlink(const MountRequest& r, std::string* target) {
  if (fs_.saved_view() == nullptr) return MountError::of_errno(EINVAL);
  return MountError::of_view(fs_.saved_view()->readlink(r.path, target));
}

MountError SavedSubtree::setxattr(const MountRequest&, const std::string&, const std::string&) {
  return MountError::of_errno(EROFS);
}

MountError SavedFileHandle::read(std::span<char> buf, off_t offset, size_t* done) {
  return read_view_file(*file_, buf, offset, done);
}

}  // namespace vtape
