// Which vtapefs mounts this machine has and the library each serves: a
// vtapefs mounts with the source "vtapefs#LIBRARY" (its fsname) and the
// type fuse.vtapefs, so `findmnt`, `mount` and /proc/self/mountinfo name
// the library, and `vtape` run inside a mount (or given one with -C) finds
// the library of that mount.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace vtape {

struct VtapefsMount {
  std::string mount_point;
  std::string library;  // as the mount's source names it
};

// The source a vtapefs of `library_dir` mounts with: "vtapefs#DIR".
std::string vtapefs_mount_source(const std::string& library_dir);
// The same as a value of FUSE's -o fsname= (',' and '\' escaped).
std::string vtapefs_fsname_option(const std::string& library_dir);

// The vtapefs mounts listed in `mountinfo` (the format of
// /proc/self/mountinfo; proc(5)), in its order.
std::vector<VtapefsMount> parse_vtapefs_mounts(const std::string& mountinfo);
// The vtapefs mounts of this process's mount namespace.
std::vector<VtapefsMount> vtapefs_mounts();
// The vtapefs mount whose mount point is `path` or lies above it (the
// innermost), `path` being absolute and free of symbolic links.
std::optional<VtapefsMount> vtapefs_mount_holding(const std::string& path,
                                                  const std::vector<VtapefsMount>& mounts);

}  // namespace vtape
