#include "library/mount_table.h"

#include <fstream>
#include <iterator>
#include <sstream>

namespace vtape {
namespace {

constexpr std::string_view kSourcePrefix = "vtapefs#";

// mountinfo writes space, tab, newline and backslash as \ooo.
std::string unescape_octal(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const char* d = field.data() + i + 1;
      if (d[0] >= '0' && d[0] <= '3' && d[1] >= '0' && d[1] <= '7' && d[2] >= '0' && d[2] <= '7') {
        out.push_back(static_cast<char>((d[0] - '0') * 64 + (d[1] - '0') * 8 + (d[2] - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

}  // namespace

std::string vtapefs_mount_source(const std::string& library_dir) {
  return std::string(kSourcePrefix) + library_dir;
}

std::string vtapefs_fsname_option(const std::string& library_dir) {
  std::string out;
  for (char c : vtapefs_mount_source(library_dir)) {
    if (c == ',' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::vector<VtapefsMount> parse_vtapefs_mounts(const std::string& mountinfo) {
  std::vector<VtapefsMount> mounts;
  std::istringstream lines(mountinfo);
  std::string line;
  while (std::getline(lines, line)) {
    // ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER_OPTIONS
    std::istringstream words(line);
    std::vector<std::string> fields{std::istream_iterator<std::string>(words), std::istream_iterator<std::string>()};
    size_t dash = 0;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (fields.size() < 5 || dash + 2 >= fields.size()) continue;
    if (fields[dash + 1] != "fuse.vtapefs") continue;
    std::string source = unescape_octal(fields[dash + 2]);
    if (source.rfind(kSourcePrefix, 0) != 0) continue;
    mounts.push_back({unescape_octal(fields[4]), source.substr(kSourcePrefix.size())});
  }
  return mounts;
}

std::vector<VtapefsMount> vtapefs_mounts() {
  std::ifstream in("/proc/self/mountinfo");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_vtapefs_mounts(text);
}

std::optional<VtapefsMount> vtapefs_mount_holding(const std::string& path, const std::vector<VtapefsMount>& mounts) {
  std::optional<VtapefsMount> best;
  for (const auto& m : mounts) {
    bool holds = path == m.mount_point ||
                 (path.size() > m.mount_point.size() && path.compare(0, m.mount_point.size(), m.mount_point) == 0 &&
                  (m.mount_point == "/" || path[m.mount_point.size()] == '/'));
    // The innermost; of two on the same point, the later (the one on top).
    if (holds && (!best || m.mount_point.size() >= best->mount_point.size())) best = m;
  }
  return best;
}

}  // namespace vtape
