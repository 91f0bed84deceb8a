// The root directory of the mount: the top-level subtrees' names.
#pragma once

#include "fuse/mount_subtree.h"

namespace vtape {

class MountRouter;
class VtapeFs;

class RootSubtree : public MountSubtree {
 public:
  RootSubtree(VtapeFs& fs, const MountRouter& router) : fs_(fs), router_(router) {}

  MountError getattr(const MountRequest& r, struct stat* st) override;
  MountError readdir(const MountRequest& r, const DirFiller& fill) override;
  MountError open(const MountRequest& r, int flags, std::unique_ptr<OpenHandle>* out) override;

 private:
  VtapeFs& fs_;
  const MountRouter& router_;
};

// A directory of the library's (the root, drives/, library/): its owner's,
// and its group's when shared.
void library_directory_stat(const VtapeFs& fs, struct stat* st);

}  // namespace vtape
