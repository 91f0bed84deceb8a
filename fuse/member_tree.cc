#include "fuse/member_tree.h"

#include <algorithm>

#include <fmt/format.h>

#include "index/sha256.h"

namespace vtape {
namespace {

constexpr size_t kMaxSymlinkTarget = 4095;
constexpr uint32_t kDirectoryDefaultMode = 0555;

void put_escape(std::string& out, uint8_t c) { out += fmt::format("%{:02X}", c); }

// Length of the valid UTF-8 sequence starting at s[i] (0: not valid).
size_t utf8_sequence(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  auto cont = [&](size_t k, uint8_t lo = 0x80, uint8_t hi = 0xBF) {
    return k < s.size() && byte(k) >= lo && byte(k) <= hi;
  };
  uint8_t c = byte(i);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c == 0xE0) return cont(i + 1, 0xA0, 0xBF) && cont(i + 2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (c == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
  if (c == 0xF0) return cont(i + 1, 0x90, 0xBF) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

// Length of the token of a shown name at s[i]: an escape "%XX" or one
// UTF-8 character (shown names hold nothing else).
size_t shown_token(std::string_view s, size_t i) {
  if (s[i] == '%') return 3;
  size_t n = utf8_sequence(s, i);
  return n == 0 ? 1 : n;
}

// The longest prefix of a shown name of at most `max` bytes that does not
// cut an escape or a character.
std::string cut_shown(std::string_view s, size_t max) {
  size_t end = 0;
  while (end < s.size()) {
    size_t n = shown_token(s, end);
    if (end + n > max) break;
    end += n;
  }
  return std::string(s.substr(0, end));
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

}  // namespace

std::string escape_member_component(std::string_view raw) {
  if (raw == "..") return "%2E%2E";
  std::string out;
  out.reserve(raw.size());
  size_t i = 0;
  while (i < raw.size()) {
    auto c = static_cast<uint8_t>(raw[i]);
    if (c < 0x20 || c == 0x7F || c == '%') {
      put_escape(out, c);
      ++i;
      continue;
    }
    size_t n = utf8_sequence(raw, i);
    if (n == 0) {
      put_escape(out, c);  // not UTF-8
      ++i;
      continue;
    }
    if (n == 2 && c == 0xC2 && static_cast<uint8_t>(raw[i + 1]) < 0xA0) {
      // C1 control characters (U+0080..U+009F).
      put_escape(out, c);
      put_escape(out, static_cast<uint8_t>(raw[i + 1]));
      i += 2;
      continue;
    }
    out.append(raw.substr(i, n));
    i += n;
  }
  if (out.size() > kMaxShownName) {
    Sha256 sha;
    sha.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
    std::string suffix = "~h" + sha.hex_digest().substr(0, 16);
    out = cut_shown(out, kMaxShownName - suffix.size()) + suffix;
  }
  return out;
}

std::vector<std::string> split_member_path(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    start = slash + 1;
  }
  return parts;
}

bool member_symlink_is_safe(std::string_view target, size_t depth) {
  if (target.empty() || target.size() > kMaxSymlinkTarget || target.front() == '/') return false;
  if (target.find('\0') != std::string_view::npos) return false;
  size_t ups = 0, names = 0;
  for (const auto& part : split_member_path(target)) {
    if (part == "..") {
      if (names > 0 || ++ups > depth) return false;
    } else {
      if (escape_member_component(part) != part) return false;
      ++names;
    }
  }
  return ups + names > 0;
}

uint32_t MemberTree::add_node(uint32_t parent, const std::string& shown, MemberNode node) {
  auto id = static_cast<uint32_t>(nodes_.size());
  node.name = shown;
  node.parent = parent;
  bool directory = node.type == MemberNode::Type::kDirectory;
  nodes_.push_back(std::move(node));
  nodes_[parent].children.emplace(shown, id);
  if (directory) ++nodes_[parent].subdirectories;
  return id;
}

std::string MemberTree::free_name(uint32_t parent, const std::string& shown) const {
  const auto& taken = nodes_[parent].children;
  if (taken.find(shown) == taken.end()) return shown;
  for (uint64_t n = 1;; ++n) {
    std::string suffix = fmt::format("~{}", n);
    std::string candidate = cut_shown(shown, kMaxShownName - suffix.size()) + suffix;
    if (taken.find(candidate) == taken.end()) return candidate;
  }
}

uint32_t MemberTree::ensure_directory(uint32_t parent, const std::string& raw, int64_t mtime) {
  auto key = std::make_pair(parent, raw);
  auto it = raw_directories_.find(key);
  if (it != raw_directories_.end()) return it->second;
  MemberNode dir;
  dir.type = MemberNode::Type::kDirectory;
  dir.mode = kDirectoryDefaultMode;
  dir.mtime = mtime;
  uint32_t id = add_node(parent, free_name(parent, escape_member_component(raw)), std::move(dir));
  raw_directories_.emplace(key, id);
  return id;
}

const MemberNode* MemberTree::lookup(std::string_view relative) const {
  const MemberNode* n = &nodes_[0];
  size_t start = 0;
  while (start < relative.size()) {
    size_t slash = relative.find('/', start);
    if (slash == std::string_view::npos) slash = relative.size();
    std::string_view part = relative.substr(start, slash - start);
    start = slash + 1;
    if (part.empty()) continue;
    auto it = n->children.find(std::string(part));
    if (it == n->children.end()) return nullptr;
    n = &nodes_[it->second];
  }
  return n;
}

std::shared_ptr<const MemberTree> MemberTree::build(const std::vector<TapeMember>& members, const Options& options) {
  std::shared_ptr<MemberTree> tree(new MemberTree());
  MemberNode root;
  root.type = MemberNode::Type::kDirectory;
  root.mode = kDirectoryDefaultMode;
  root.mtime = options.default_mtime;
  tree->nodes_.push_back(std::move(root));
  // The latest non-directory member of each normalised path, for hard links.
  std::map<std::string, uint32_t> latest;

  auto clamp = [&](uint64_t offset, uint64_t size) -> uint64_t {
    if (offset >= options.stream_bytes) return 0;
    return std::min(size, options.stream_bytes - offset);
  };

  for (size_t i = 0; i < members.size(); ++i) {
    const TapeMember& m = members[i];
    bool directory = m.kind == "directory";
    bool data_file = m.kind == "file" || m.kind == "other";
    if (!directory && !data_file && m.kind != "symlink" && m.kind != "hardlink") continue;
    std::vector<std::string> parts = split_member_path(m.path);
    uint32_t parent = 0;
    size_t parents = parts.empty() ? 0 : parts.size() - 1;
    for (size_t k = 0; k < parents; ++k) parent = tree->ensure_directory(parent, parts[k], options.default_mtime);

    if (directory) {
      uint32_t id = parts.empty() ? 0 : tree->ensure_directory(parent, parts.back(), m.mtime);
      MemberNode& d = tree->nodes_[id];
      d.mode = (m.mode & 0555) | 0500;
      d.uid = m.uid;
      d.gid = m.gid;
      d.mtime = m.mtime;
      d.member = static_cast<int64_t>(i);
      continue;
    }

    MemberNode node;
    node.type = MemberNode::Type::kFile;
    node.mode = (m.mode & 0444) | 0400;
    node.uid = m.uid;
    node.gid = m.gid;
    node.mtime = m.mtime;
    node.member = static_cast<int64_t>(i);
    if (data_file) {
      node.source = MemberNode::Source::kStream;
      node.data_offset = m.data_offset;
      node.size = clamp(m.data_offset, m.size);
    } else if (m.kind == "symlink") {
      std::optional<std::string> target;
      if (!m.link_target.empty() || m.size == 0) {
        target = m.link_target;
      } else if (m.size <= kMaxSymlinkTarget && options.read_data) {
        target = options.read_data(m.data_offset, m.size);  // cpio keeps the target as data
      }
      if (target && member_symlink_is_safe(*target, parents)) {
        node.type = MemberNode::Type::kSymlink;
        node.mode = 0777;
        node.source = MemberNode::Source::kNone;
        node.inline_data = *target;
        node.size = target->size();
      } else if (target) {
        node.source = MemberNode::Source::kInline;
        node.inline_data = *target;
        node.size = target->size();
      } else {
        node.source = MemberNode::Source::kStream;  // the recorded target, as data
        node.data_offset = m.data_offset;
        node.size = clamp(m.data_offset, m.size);
      }
    } else {  // hardlink
      auto it = latest.find(join(split_member_path(m.link_target)));
      if (it != latest.end()) {
        const MemberNode& target = tree->nodes_[it->second];
        node.type = target.type;
        node.mode = target.mode;
        node.uid = target.uid;
        node.gid = target.gid;
        node.mtime = target.mtime;
        node.size = target.size;
        node.source = target.source;
        node.data_offset = target.data_offset;
        node.inline_data = target.inline_data;
        // A symlink copied into another directory must still be safe there.
        if (node.type == MemberNode::Type::kSymlink && !member_symlink_is_safe(node.inline_data, parents)) {
          node.type = MemberNode::Type::kFile;
          node.mode = 0444;
          node.source = MemberNode::Source::kInline;
        }
      } else {
        node.source = MemberNode::Source::kNone;
        node.size = 0;
      }
    }
    std::string shown = parts.empty() ? std::string("%2E") : escape_member_component(parts.back());
    uint32_t id = tree->add_node(parent, tree->free_name(parent, shown), std::move(node));
    latest[join(parts)] = id;
  }
  return tree;
}

}  // namespace vtape
