// MemberTree: the members of one tar or cpio tape file as a directory tree
// for saved/VOLSER/NNNN/members/ (the rules below are the reference).
//
// Member paths are recorded exactly as they were on tape and may hold any
// byte; the tree shows them under names that are always a single, harmless
// path component inside members/:
//   - a path is split on '/'; empty and "." components are dropped, so a
//     leading '/' (an absolute name) simply disappears;
//   - ".." becomes "%2E%2E" (a directory of that name, never the parent);
//   - '%', control characters (C0, DEL, C1) and bytes that are not valid
//     UTF-8 become %XX (upper-case hex); everything else is kept.  Since
//     '%' itself is escaped, the escaping is reversible and two different
//     names never get the same shown name;
//   - a name longer than 255 bytes once escaped is cut (never inside an
//     escape or a UTF-8 character) and gets "~h" and 16 hex digits of the
//     SHA-256 of the recorded name;
//   - a non-directory member whose name is already taken in its directory
//     (the same path twice, "./x" and "x", a file where a directory is)
//     gets "~1", "~2", ... (the first member keeps the plain name);
//     directory entries with the same name are merged;
//   - a non-directory member with no name left at all is called "%2E".
// Parent directories that the archive does not list are implied.
//
// Symbolic links are shown as symlinks only when the kernel can follow
// them without leaving members/: the target is relative, made of leading
// ".." (no more than the link's depth below members/) followed by names
// that need no escaping ("." and empty components are ignored; no ".."
// after a name).  Any other symlink (absolute, climbing out, escaped
// names, empty) is shown as a read-only regular file whose content is the
// recorded target, byte for byte.  Hard links are regular files with the
// data of the member they name (the latest one of that name before the
// link); a hard link to a member not in the archive is an empty file.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "index/tape_member.h"

namespace vtape {

// The shown name of one recorded path component (not "." or empty).
std::string escape_member_component(std::string_view raw);
// The components of a recorded path that remain: empty and "." dropped.
std::vector<std::string> split_member_path(std::string_view path);
// Whether a symlink `target` in a directory `depth` levels below members/
// can be shown as a symlink (see above).
bool member_symlink_is_safe(std::string_view target, size_t depth);

inline constexpr size_t kMaxShownName = 255;

struct MemberNode {
  enum class Type { kDirectory, kFile, kSymlink };
  // Where a file's bytes come from.
  enum class Source { kNone, kStream, kInline };

  Type type = Type::kDirectory;
  std::string name;           // shown name; empty for the root
  uint32_t mode = 0;          // permission bits shown (read-only)
  int64_t uid = -1;           // owner and group as archived; -1: unknown or implied
  int64_t gid = -1;
  int64_t mtime = 0;
  uint64_t size = 0;          // file: bytes; symlink: target length
  Source source = Source::kNone;
  uint64_t data_offset = 0;   // kStream: where the data starts in the tape file
  std::string inline_data;    // kInline: the content; symlink: the target
  int64_t member = -1;        // index in the member list; -1 for implied directories
  uint32_t parent = 0;
  std::map<std::string, uint32_t> children;  // shown name -> node
  uint32_t subdirectories = 0;
};

class MemberTree {
 public:
  struct Options {
    uint64_t stream_bytes = 0;   // size of the tape file: data past it is cut off
    int64_t default_mtime = 0;   // for implied directories
    // Reads a symlink target stored as member data (cpio does so); may
    // return nothing, the link is then shown as an empty file.
    std::function<std::optional<std::string>(uint64_t offset, uint64_t size)> read_data;
  };

  static std::shared_ptr<const MemberTree> build(const std::vector<TapeMember>& members, const Options& options);

  const MemberNode& root() const { return nodes_[0]; }
  const MemberNode& node(uint32_t id) const { return nodes_[id]; }
  size_t size() const { return nodes_.size(); }
  // A path below members/ in shown names ("a/b/c"; "" is the root).
  const MemberNode* lookup(std::string_view relative) const;

 private:
  MemberTree() = default;
  uint32_t add_node(uint32_t parent, const std::string& shown, MemberNode node);
  uint32_t ensure_directory(uint32_t parent, const std::string& raw, int64_t mtime);
  std::string free_name(uint32_t parent, const std::string& shown) const;

  std::vector<MemberNode> nodes_;
  // Directories by (parent, recorded component), so that later members
  // find the directory an earlier one made whatever name it is shown as.
  std::map<std::pair<uint32_t, std::string>, uint32_t> raw_directories_;
};

}  // namespace vtape
