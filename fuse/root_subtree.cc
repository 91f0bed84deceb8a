#include "fuse/root_subtree.h"

#include "fuse/mount_router.h"
#include "fuse/vtapefs.h"

namespace vtape {

void library_directory_stat(const VtapeFs& fs, struct stat* st) {
  st->st_uid = fs.library().owner();
  st->st_gid = fs.library().group();
  st->st_mode = S_IFDIR | 0755;
  st->st_nlink = 2;
}

MountError RootSubtree::getattr(const MountRequest&, struct stat* st) {
  library_directory_stat(fs_, st);
  return {};
}

MountError RootSubtree::readdir(const MountRequest&, const DirFiller& fill) {
  for (const std::string& name : router_.top_level_names()) fill(name, nullptr);
  return {};
}

MountError RootSubtree::open(const MountRequest&, int, std::unique_ptr<OpenHandle>*) {
  return MountError::of_errno(EISDIR);
}

}  // namespace vtape
