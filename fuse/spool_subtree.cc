#include "fuse/spool_subtree.h"

#include <fcntl.h>

#include <utility>
#include <vector>

#include "fuse/spool_handles.h"
#include "fuse/vtapefs.h"

namespace vtape {
namespace {

// The spool user id of the process making the request.
std::string caller(const MountRequest& r) { return spool_user_of_uid(r.uid); }

}  // namespace

MountError SpoolSubtree::getattr(const MountRequest& r, struct stat* st) {
  if (fs_.spool_devices() == nullptr) return MountError::of_errno(ENOENT);
  return MountError::of_view(fs_.spool_devices()->getattr(r.path, caller(r), st));
}

MountError SpoolSubtree::readdir(const MountRequest& r, const DirFiller& fill) {
  if (fs_.saved_view() == nullptr || fs_.spool_devices() == nullptr) return MountError::of_errno(ENOENT);
  std::vector<std::pair<std::string, struct stat>> entries;
  if (int e = fs_.spool_devices()->readdir(r.path, caller(r), &entries); e != 0) return MountError::of_view(e);
  fill_entries(entries, fill);
  return {};
}

MountError SpoolSubtree::open(const MountRequest& r, int flags, std::unique_ptr<OpenHandle>* out) {
  SpoolDevices* spool = fs_.spool_devices();
  if (spool == nullptr) return MountError::of_errno(ENOENT);
  if ((flags & O_ACCMODE) != O_RDONLY) {
    // Opening a name in prt/ or pun/ for writing makes a new spool file
    // (the spool files listed there are not written over).
    if (!spool->is_new_file_path(r.path, caller(r))) return MountError::of_errno(EACCES);
    return create(r, out);
  }
  std::unique_ptr<SpoolContentFile> content;
  if (int e = spool->open_read(r.path, caller(r), &content); e != 0) return MountError::of_view(e);
  *out = std::make_unique<SpoolContentHandle>(std::move(content));
  return {};
}

MountError SpoolSubtree::create(const MountRequest& r, std::unique_ptr<OpenHandle>* out) {
  SpoolDevices* spool = fs_.spool_devices();
  if (spool == nullptr) return MountError::of_errno(ENOENT);
  std::shared_ptr<SpoolWriter> writer;
  if (int e = spool->create(r.path, caller(r), &writer); e != 0) return MountError::of_view(e);
  *out = std::make_unique<SpoolWriterHandle>(std::move(writer), *spool);
  return {};
}

MountError SpoolSubtree::unlink(const MountRequest& r) {
  if (fs_.spool_devices() == nullptr) return MountError::of_errno(ENOENT);
  return MountError::of_view(fs_.spool_devices()->unlink(r.path, caller(r)));
}

MountError SpoolSubtree::truncate(const MountRequest& r) {
  SpoolDevices* spool = fs_.spool_devices();
  if (spool != nullptr && spool->is_new_file_path(r.path, caller(r))) return {};
  return MountError::of_errno(EROFS);
}

MountError SpoolSubtree::set_attributes(const MountRequest&) { return {}; }

MountError SpoolSubtree::getxattr(const MountRequest& r, const std::string& name, std::string* value) {
  if (fs_.spool_devices() == nullptr) return MountError::of_errno(ENODATA);
  return MountError::of_view(fs_.spool_devices()->getxattr(r.path, caller(r), name, value));
}

MountError SpoolSubtree::listxattr(const MountRequest& r, std::string* names) {
  if (fs_.spool_devices() == nullptr) return {};
  return MountError::of_view(fs_.spool_devices()->listxattr(r.path, caller(r), names));
}

MountError SpoolSubtree::setxattr(const MountRequest& r, const std::string& name, const std::string& value) {
  if (fs_.spool_devices() == nullptr) return MountError::of_errno(ENOTSUP);
  return MountError::of_view(fs_.spool_devices()->setxattr(r.path, caller(r), name, value));
}

MountError SpoolSubtree::removexattr(const MountRequest&, const std::string&) { return MountError::of_errno(EPERM); }

}  // namespace vtape
