// spool/: each user's virtual printer, punch and reader (SpoolDevices,
// spool_devices.h).  The only place in the mount where files are made
// (created in prt/ and pun/) and removed (unlink purges a spool file).
#pragma once

#include "fuse/mount_subtree.h"

namespace vtape {

class VtapeFs;

class SpoolSubtree : public MountSubtree {
 public:
  explicit SpoolSubtree(VtapeFs& fs) : fs_(fs) {}

  MountError getattr(const MountRequest& r, struct stat* st) override;
  MountError readdir(const MountRequest& r, const DirFiller& fill) override;
  MountError open(const MountRequest& r, int flags, std::unique_ptr<OpenHandle>* out) override;
  MountError create(const MountRequest& r, std::unique_ptr<OpenHandle>* out) override;
  MountError unlink(const MountRequest& r) override;
  // O_TRUNC on a name in prt/ or pun/: the new spool file is empty anyway.
  MountError truncate(const MountRequest& r) override;
  // Accepted and ignored on spool files (touch, cp -p).
  MountError set_attributes(const MountRequest& r) override;
  MountError getxattr(const MountRequest& r, const std::string& name, std::string* value) override;
  MountError listxattr(const MountRequest& r, std::string* names) override;
  MountError setxattr(const MountRequest& r, const std::string& name, const std::string& value) override;
  MountError removexattr(const MountRequest& r, const std::string& name) override;

 private:
  VtapeFs& fs_;
};

}  // namespace vtape
