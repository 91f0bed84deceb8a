#include "fuse/saved_view.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "fuse/decompressed_stream.h"
#include "fuse/path_parts.h"

namespace vtape {
namespace {

// "2026-11-22T03:18:38Z" -> seconds since the epoch (0 when unreadable).
int64_t parse_catalog_time(const std::string& text) {
  std::tm tm{};
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec) != 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}

bool same_content(const TapeFileRow& a, const TapeFileRow& b) {
  return a.digest == b.digest && a.digest_algorithm == b.digest_algorithm && a.records == b.records && a.bytes == b.bytes && a.image_offset == b.image_offset &&
         a.first_block == b.first_block && a.largest == b.largest && a.content == b.content;
}

int errno_of(const Status& s) {
  if (s.code() == StatusCode::kIoError && s.sys_errno() != 0) return s.sys_errno();
  if (s.code() == StatusCode::kNotFound) return ENOENT;
  return EIO;
}

// Owned by the library's owner and group unless stat_node says otherwise.
void basic_stat(const TapeLibrary& library, struct stat* st, mode_t mode, int64_t mtime) {
  std::memset(st, 0, sizeof *st);
  st->st_mode = mode;
  st->st_nlink = S_ISDIR(mode) ? 2 : 1;
  st->st_uid = library.owner();
  st->st_gid = library.group();
  st->st_mtim.tv_sec = static_cast<time_t>(mtime);
  st->st_atim = st->st_mtim;
  st->st_ctim = st->st_mtim;
  st->st_blksize = 4096;
}

void set_size(struct stat* st, uint64_t size) {
  st->st_size = static_cast<off_t>(size);
  st->st_blocks = static_cast<blkcnt_t>((size + 511) / 512);
}

// The stream a tape file's members are read from: its bytes, decompressed
// when the catalog says the archive is compressed.
Status open_member_stream(const SavedTapeFile& f, std::unique_ptr<ContentStream>* out) {
  std::unique_ptr<TapeFileStream> raw;
  VTAPE_RETURN_IF_ERROR(TapeFileStream::open(f.location, f.index, &raw));
  if (f.row.compression.empty()) {
    *out = std::move(raw);
    return Status::ok();
  }
  const ContentCompression* compression = find_compression(f.row.compression);
  if (compression == nullptr) return Status::not_supported(f.row.compression + " compression");
  *out = std::make_unique<DecompressedStream>(std::move(raw), *compression);
  return Status::ok();
}

}  // namespace

std::string saved_file_name(uint64_t file_number) { return fmt::format("{:04}", file_number); }

std::optional<uint64_t> parse_saved_file_name(const std::string& name) {
  if (name.size() < 4 || name.size() > 20 || name.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  uint64_t n = 0;
  for (char c : name) {
    if (n > (UINT64_MAX - 9) / 10) return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (saved_file_name(n) != name) return std::nullopt;  // one name per file
  return n;
}

int SavedFile::read(char* buf, size_t size, uint64_t offset) {
  if (offset >= size_) return 0;
  size_t n = static_cast<size_t>(std::min<uint64_t>(size, size_ - offset));
  if (is_inline_) {
    std::memcpy(buf, inline_.data() + offset, n);
    return static_cast<int>(n);
  }
  if (!stream_) return 0;
  size_t got = 0;
  Status s = stream_->read(base_ + offset, n, reinterpret_cast<uint8_t*>(buf), &got);
  if (!s.is_ok()) {
    std::fprintf(stderr, "vtapefs: saved/%s/%s: %s\n", file_->volser.c_str(),
                 saved_file_name(file_->row.file_number).c_str(), s.message_for(file_->location.image_path).c_str());
    return -errno_of(s);
  }
  return static_cast<int>(got);
}

SavedView::SavedView(TapeLibrary& library, Catalog& catalog)
    : library_(library), catalog_(catalog), mounted_at_([] {
        timespec t{};
        clock_gettime(CLOCK_REALTIME, &t);
        return t;
      }()) {}

bool SavedView::is_saved_path(const std::string& path) {
  return path == kRoot || path.rfind(std::string(kRoot) + "/", 0) == 0;
}

std::shared_ptr<SavedTapeFile> SavedView::cached(const std::string& volser, uint64_t file) {
  std::lock_guard lock(mu_);
  for (const auto& [key, f] : cache_) {
    if (key.first == volser && key.second == file) return f;
  }
  return nullptr;
}

const Cartridge* SavedView::cartridge_locked(const std::string& volser) {
  // Read before the description: a change that lands meanwhile bumps the
  // count after it, and the next lookup reads the description again.
  uint64_t changes = library_.cartridges_changed();
  if (changes != cartridges_changes_) {
    cartridges_.clear();
    cartridges_changes_ = changes;
  }
  auto it = cartridges_.find(volser);
  if (it == cartridges_.end()) {
    Cartridge c;
    if (!library_.find(volser, &c).is_ok()) return nullptr;
    it = cartridges_.emplace(volser, std::move(c)).first;
  }
  return &it->second;
}

std::shared_ptr<SavedTapeFile> SavedView::tape_file(const std::string& volser, const TapeFileRow& row, int* error) {
  std::lock_guard lock(mu_);
  const Cartridge* found = cartridge_locked(volser);
  if (found == nullptr) {
    *error = ENOENT;
    return nullptr;
  }
  const Cartridge& c = *found;
  auto key = std::make_pair(volser, row.file_number);
  for (auto it = cache_.begin(); it != cache_.end(); ++it) {
    if (it->first != key) continue;
    // The same tape file in the same image (vtape migrate moves a tape file
    // that keeps its row, the first one, to another image).
    if (same_content(it->second->row, row) && it->second->location.image_path == c.image_path &&
        it->second->location.format == c.format) {
      cache_.splice(cache_.begin(), cache_, it);
      return cache_.front().second;
    }
    cache_.erase(it);  // the tape file was rewritten or moved: open files keep the old view
    break;
  }
  auto f = std::make_shared<SavedTapeFile>();
  f->volser = volser;
  f->row = row;
  f->location.image_path = c.image_path;
  f->location.format = c.format;
  f->location.image_offset = row.image_offset;
  f->location.bytes = row.bytes;
  f->location.largest = row.largest;
  f->index = std::make_shared<RecordIndex>(row.image_offset);
  cache_.emplace_front(key, f);
  while (cache_.size() > kCachedTapeFiles) cache_.pop_back();
  return f;
}

int SavedView::member_tree(SavedTapeFile& f, std::shared_ptr<const MemberTree>* out) {
  std::lock_guard lock(f.tree_mu);
  if (!f.tree) {
    std::vector<TapeMember> members;
    Status s = catalog_.members(f.volser, f.row.file_number, &members);
    if (!s.is_ok()) return -EIO;
    MemberTree::Options options;
    // Compressed: the length of the content is not recorded, and reading
    // past its end gives short reads.
    options.stream_bytes = f.row.compression.empty() ? f.row.bytes : UINT64_MAX;
    options.default_mtime = parse_catalog_time(f.row.written_at);
    std::unique_ptr<ContentStream> stream;
    options.read_data = [&](uint64_t offset, uint64_t size) -> std::optional<std::string> {
      if (!stream && !open_member_stream(f, &stream).is_ok()) return std::nullopt;
      std::string data(static_cast<size_t>(size), '\0');
      size_t got = 0;
      if (!stream->read(offset, data.size(), reinterpret_cast<uint8_t*>(data.data()), &got).is_ok() ||
          got != data.size()) {
        return std::nullopt;
      }
      return data;
    };
    f.tree = MemberTree::build(members, options);
  }
  *out = f.tree;
  return 0;
}

int SavedView::resolve(const std::string& path, Target* t) {
  if (!is_saved_path(path)) return -ENOENT;
  std::vector<std::string> parts = split_path(path.substr(std::strlen(kRoot)));
  if (parts.empty()) {
    t->kind = Target::Kind::kRoot;
    return 0;
  }
  t->volser = parts[0];
  if (parts.size() == 1) {
    std::vector<VolumeRow> volumes;
    if (!catalog_.volumes(&volumes).is_ok()) return -EIO;
    for (auto& v : volumes) {
      if (v.volser == t->volser) {
        t->kind = Target::Kind::kVolume;
        t->volume = std::move(v);
        return 0;
      }
    }
    return -ENOENT;
  }
  std::optional<uint64_t> number = parse_saved_file_name(parts[1]);
  if (!number) return -ENOENT;
  std::vector<TapeFileRow> files;
  if (!catalog_.files(t->volser, &files).is_ok()) return -EIO;
  const TapeFileRow* row = nullptr;
  for (const auto& r : files) {
    if (r.file_number == *number) row = &r;
  }
  if (row == nullptr) return -ENOENT;
  int error = 0;
  t->file = tape_file(t->volser, *row, &error);
  if (!t->file) return -error;
  if (parts.size() == 2) {
    t->kind = Target::Kind::kTapeFile;
    return 0;
  }
  if (parts[2] == "data") {
    if (parts.size() != 3) return -ENOTDIR;
    t->kind = Target::Kind::kData;
    return 0;
  }
  if (parts[2] != "members" || !t->file->has_members()) return -ENOENT;
  if (int e = member_tree(*t->file, &t->tree); e != 0) return e;
  // Only the last component may be a non-directory.
  const MemberNode* n = &t->tree->root();
  for (size_t i = 3; i < parts.size(); ++i) {
    if (n->type != MemberNode::Type::kDirectory) return -ENOTDIR;
    auto it = n->children.find(parts[i]);
    if (it == n->children.end()) return -ENOENT;
    n = &t->tree->node(it->second);
  }
  t->node = n;
  t->kind = parts.size() == 3 ? Target::Kind::kMembers : Target::Kind::kMember;
  return 0;
}

mode_t SavedView::data_mode() const { return library_.file_mode() & 0444; }

void SavedView::stat_node(const SavedTapeFile&, const MemberNode& n, struct stat* st) const {
  // A member is its archived owner's, with its archived mode (read only),
  // as on the disk it was saved from.  A member whose owner is unknown
  // (cataloged before owners were) is the library's, and no more open
  // than the library; implied directories hold nothing and are open.
  mode_t mode = n.mode;
  if (n.uid < 0 && n.member >= 0) mode &= data_mode() | ((data_mode() & 0444) >> 2);
  switch (n.type) {
    case MemberNode::Type::kDirectory:
      basic_stat(library_, st, S_IFDIR | mode, n.mtime);
      st->st_nlink = 2 + n.subdirectories;
      break;
    case MemberNode::Type::kSymlink:
      basic_stat(library_, st, S_IFLNK | 0777, n.mtime);
      set_size(st, n.size);
      break;
    case MemberNode::Type::kFile:
      basic_stat(library_, st, S_IFREG | mode, n.mtime);
      set_size(st, n.size);
      break;
  }
  if (n.uid >= 0) {
    st->st_uid = static_cast<uid_t>(n.uid);
    st->st_gid = static_cast<gid_t>(n.gid);
  }
}

void SavedView::stat_of(const Target& t, struct stat* st) const {
  switch (t.kind) {
    case Target::Kind::kRoot:
      basic_stat(library_, st, S_IFDIR | 0555, mounted_at_.tv_sec);
      break;
    case Target::Kind::kVolume:
      basic_stat(library_, st, S_IFDIR | 0555,
                 parse_catalog_time(t.volume.last_written.empty() ? t.volume.created : t.volume.last_written));
      break;
    case Target::Kind::kTapeFile:
      basic_stat(library_, st, S_IFDIR | 0555, parse_catalog_time(t.file->row.written_at));
      if (t.file->has_members()) st->st_nlink = 3;
      break;
    case Target::Kind::kData:
      basic_stat(library_, st, S_IFREG | data_mode(), parse_catalog_time(t.file->row.written_at));
      set_size(st, t.file->row.bytes);
      break;
    case Target::Kind::kMembers:
    case Target::Kind::kMember:
      stat_node(*t.file, *t.node, st);
      break;
  }
}

int SavedView::getattr(const std::string& path, struct stat* st) {
  Target t;
  if (int e = resolve(path, &t); e != 0) return e;
  stat_of(t, st);
  return 0;
}

int SavedView::readdir(const std::string& path, std::vector<std::pair<std::string, struct stat>>* entries) {
  entries->clear();
  Target t;
  if (int e = resolve(path, &t); e != 0) return e;
  struct stat st {};
  switch (t.kind) {
    case Target::Kind::kRoot: {
      std::vector<VolumeRow> volumes;
      if (!catalog_.volumes(&volumes).is_ok()) return -EIO;
      for (const auto& v : volumes) {
        basic_stat(library_, &st, S_IFDIR | 0555, parse_catalog_time(v.last_written.empty() ? v.created : v.last_written));
        entries->emplace_back(v.volser, st);
      }
      return 0;
    }
    case Target::Kind::kVolume: {
      std::vector<TapeFileRow> files;
      if (!catalog_.files(t.volser, &files).is_ok()) return -EIO;
      for (const auto& f : files) {
        basic_stat(library_, &st, S_IFDIR | 0555, parse_catalog_time(f.written_at));
        entries->emplace_back(saved_file_name(f.file_number), st);
      }
      return 0;
    }
    case Target::Kind::kTapeFile: {
      int64_t mtime = parse_catalog_time(t.file->row.written_at);
      basic_stat(library_, &st, S_IFREG | data_mode(), mtime);
      set_size(&st, t.file->row.bytes);
      entries->emplace_back("data", st);
      if (t.file->has_members()) {
        std::shared_ptr<const MemberTree> tree;
        if (int e = member_tree(*t.file, &tree); e != 0) return e;
        stat_node(*t.file, tree->root(), &st);
        entries->emplace_back("members", st);
      }
      return 0;
    }
    case Target::Kind::kData:
      return -ENOTDIR;
    case Target::Kind::kMembers:
    case Target::Kind::kMember:
      if (t.node->type != MemberNode::Type::kDirectory) return -ENOTDIR;
      for (const auto& [name, id] : t.node->children) {
        stat_node(*t.file, t.tree->node(id), &st);
        entries->emplace_back(name, st);
      }
      return 0;
  }
  return -ENOENT;
}

int SavedView::readlink(const std::string& path, std::string* target) {
  Target t;
  if (int e = resolve(path, &t); e != 0) return e;
  if (t.kind != Target::Kind::kMember || t.node->type != MemberNode::Type::kSymlink) return -EINVAL;
  *target = t.node->inline_data;
  return 0;
}

int SavedView::open(const std::string& path, std::unique_ptr<SavedFile>* out) {
  Target t;
  if (int e = resolve(path, &t); e != 0) return e;
  auto f = std::make_unique<SavedFile>();
  f->file_ = t.file;
  stat_of(t, &f->stat_);
  bool from_stream = false;
  bool member = false;
  switch (t.kind) {
    case Target::Kind::kRoot:
    case Target::Kind::kVolume:
    case Target::Kind::kTapeFile:
    case Target::Kind::kMembers:
      return -EISDIR;
    case Target::Kind::kData:
      f->base_ = 0;
      f->size_ = t.file->row.bytes;
      from_stream = true;
      break;
    case Target::Kind::kMember:
      if (t.node->type == MemberNode::Type::kDirectory) return -EISDIR;
      if (t.node->type == MemberNode::Type::kSymlink) return -ELOOP;
      f->size_ = t.node->size;
      if (t.node->source == MemberNode::Source::kInline) {
        f->is_inline_ = true;
        f->inline_ = t.node->inline_data;
      } else if (t.node->source == MemberNode::Source::kStream) {
        f->base_ = t.node->data_offset;
        from_stream = true;
        member = true;
      } else {
        f->size_ = 0;
      }
      break;
  }
  if (from_stream && f->size_ > 0) {
    Status s;
    if (member) {
      s = open_member_stream(*t.file, &f->stream_);
    } else {
      std::unique_ptr<TapeFileStream> raw;
      s = TapeFileStream::open(t.file->location, t.file->index, &raw);
      f->stream_ = std::move(raw);
    }
    if (!s.is_ok()) {
      std::fprintf(stderr, "vtapefs: %s: %s\n", path.c_str(), s.message().c_str());
      return -errno_of(s);
    }
  }
  *out = std::move(f);
  return 0;
}

}  // namespace vtape
