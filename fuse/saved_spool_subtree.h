// saved/spool/: the read-only views of every archived spool file (SpoolView,
// spool_view.h), their metadata as user.spool.* extended attributes.
#pragma once

#include "fuse/mount_subtree.h"

namespace vtape {

class VtapeFs;

class SavedSpoolSubtree : public MountSubtree {
 public:
  explicit SavedSpoolSubtree(VtapeFs& fs) : fs_(fs) {}

  MountError getattr(const MountRequest& r, struct stat* st) override;
  MountError readdir(const MountRequest& r, const DirFiller& fill) override;
  MountError open(const MountRequest& r, int flags, std::unique_ptr<OpenHandle>* out) override;
  MountError readlink(const MountRequest& r, std::string* target) override;
  MountError getxattr(const MountRequest& r, const std::string& name, std::string* value) override;
  MountError listxattr(const MountRequest& r, std::string* names) override;
  MountError setxattr(const MountRequest& r, const std::string& name, const std::string& value) override;

 private:
  VtapeFs& fs_;
};

}  // namespace vtape
