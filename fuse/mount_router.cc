#include "fuse/mount_router.h"

#include "fuse/drives_subtree.h"
#include "fuse/library_subtree.h"
#include "fuse/root_subtree.h"
#include "fuse/saved_spool_subtree.h"
#include "fuse/saved_subtree.h"
#include "fuse/spool_subtree.h"
#include "fuse/vtapefs.h"

namespace vtape {

// How the mount is organised: each prefix below is served by one subtree,
// a MountSubtree in a file of its own, which gets the path inside it.  The
// longest prefix wins (saved/spool/ inside saved/), and a prefix owns only
// whole components ("/drivesX" is nobody's).  The root directory lists
// the top-level prefixes.  To add a subtree: a MountSubtree subclass in
// fuse/NAME_subtree.{h,cc} (its open files as OpenHandle subclasses there),
// one line here, the file in fuse/CMakeLists.txt, and the layout comment in
// vtapefs.h.
MountRouter::MountRouter(VtapeFs& fs) {
  add("/", std::make_unique<RootSubtree>(fs, *this));
  add("/drives", std::make_unique<DrivesSubtree>(fs));
  add("/library", std::make_unique<LibrarySubtree>(fs));
  add("/saved", std::make_unique<SavedSubtree>(fs));
  add("/saved/spool", std::make_unique<SavedSpoolSubtree>(fs));
  add("/spool", std::make_unique<SpoolSubtree>(fs));
}

void MountRouter::add(std::string prefix, std::unique_ptr<MountSubtree> subtree) {
  table_.emplace_back(std::move(prefix), std::move(subtree));
}

Route MountRouter::resolve(const std::string& path) const {
  Route route;
  route.subtree = nowhere_.get();
  for (const auto& [prefix, subtree] : table_) {
    if (prefix.size() <= route.prefix.size()) continue;  // a longer one matched
    if (path == prefix) {
      route = {subtree.get(), prefix, ""};
    } else if (prefix != "/" && path.size() > prefix.size() + 1 && path.compare(0, prefix.size(), prefix) == 0 &&
               path[prefix.size()] == '/') {
      route = {subtree.get(), prefix, path.substr(prefix.size() + 1)};
    }
  }
  return route;
}

std::vector<std::string> MountRouter::top_level_names() const {
  std::vector<std::string> names;
  for (const auto& [prefix, subtree] : table_) {
    if (prefix.size() > 1 && prefix.find('/', 1) == std::string::npos) names.push_back(prefix.substr(1));
  }
  return names;
}

MountSubtree* MountRouter::subtree_at(const std::string& prefix) const {
  for (const auto& [p, subtree] : table_) {
    if (p == prefix) return subtree.get();
  }
  return nullptr;
}

}  // namespace vtape
