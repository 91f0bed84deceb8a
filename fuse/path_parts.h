// The components of a path inside the mount ("/a//b/" -> {"a", "b"}): the
// views (saved/, spool/, saved/spool/) route a FUSE path by them.
#pragma once

#include <string>
#include <vector>

namespace vtape {

inline std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

}  // namespace vtape
