// MountRouter: which subtree (mount_subtree.h) serves a path of the mount,
// found once per FUSE callback from a table of prefixes.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fuse/mount_subtree.h"

namespace vtape {

class VtapeFs;

// Where a path goes.
struct Route {
  MountSubtree* subtree = nullptr;  // never null: a path nobody serves gets the defaults
  std::string prefix;               // the subtree's: "/drives" ("" for nobody's path)
  std::string rest;                 // the path inside it: "nst0" ("" for the prefix itself)
};

class MountRouter {
 public:
  // The mount's table (mount_router.cc) over fs's service and views.
  explicit MountRouter(VtapeFs& fs);

  // "/drives/nst0" -> {drives/, "nst0"}; "/drivesX" -> nobody's.
  Route resolve(const std::string& path) const;
  // The names in the root directory: the top-level prefixes, in table order.
  std::vector<std::string> top_level_names() const;
  // The subtree at exactly `prefix` (null if none): for tests.
  MountSubtree* subtree_at(const std::string& prefix) const;

 private:
  void add(std::string prefix, std::unique_ptr<MountSubtree> subtree);

  std::vector<std::pair<std::string, std::unique_ptr<MountSubtree>>> table_;
  // Answers with the defaults for paths outside every subtree.
  std::unique_ptr<MountSubtree> nowhere_ = std::make_unique<MountSubtree>();
};

}  // namespace vtape
