// Content detector for a BSD/Linux `dump` archive ("new" format, as
// Debian's dump writes it; restore(8) and <protocols/dumprestore.h>).
// The byte stream is a sequence of 1 KiB (TP_BSIZE) blocks.  A header
// block carries NFS_MAGIC (60012) in c_magic and checksums to 84446 as 256
// 32-bit words; its c_count and c_addr[] tell how many data blocks follow
// it.  The first header is TS_TAPE with the dump's date, level, label,
// file system and device; TS_CLRI and TS_BITS are followed by c_count map
// blocks; TS_INODE (an inode: mode, size, mtime, owner) and TS_ADDR (more
// of its blocks) by one block per nonzero c_addr byte; TS_END ends it.
// Directories come first, their blocks holding BSD directory entries
// (inode u32, record length u16, type u8, name length u8, name), so by the
// time a file's inode arrives its names are known.  Members: every inode
// under its names, with the paths built at the end (restore -t's "./a/b").
// Both byte orders are read (restore reads a swapped tape as well).
#include <cstring>
#include <ctime>
#include <unordered_map>

#include <fmt/format.h>

#include "index/content_detector.h"

namespace vtape {
namespace {

constexpr size_t kBlock = 1024;         // TP_BSIZE
constexpr uint32_t kMagic = 60012;      // NFS_MAGIC
constexpr uint32_t kChecksum = 84446;   // CHECKSUM
constexpr uint32_t kRootInode = 2;      // ROOTINO
constexpr size_t kMaxAddr = 512;        // TP_NINDIR: entries in c_addr[]
// A bound on what one archive can make us hold: names seen in directories,
// and inodes.
constexpr size_t kMaxNames = 4'000'000;
constexpr size_t kMaxDepth = 4096;

enum HeaderType : uint32_t { kTape = 1, kInode = 2, kBits = 3, kAddr = 4, kEnd = 5, kClri = 6 };

// One header block, read in the byte order its magic was written in.
class Header {
 public:
  explicit Header(const uint8_t* p, bool swapped) : p_(p), swapped_(swapped) {}
  uint32_t u32(size_t off) const {
    uint32_t v;
    std::memcpy(&v, p_ + off, 4);
    return swapped_ ? __builtin_bswap32(v) : v;
  }
  uint64_t u64(size_t off) const {
    uint64_t v;
    std::memcpy(&v, p_ + off, 8);
    return swapped_ ? __builtin_bswap64(v) : v;
  }
  uint16_t u16(size_t off) const {
    uint16_t v;
    std::memcpy(&v, p_ + off, 2);
    return swapped_ ? __builtin_bswap16(v) : v;
  }
  std::string text(size_t off, size_t len) const {
    const char* s = reinterpret_cast<const char*>(p_ + off);
    return std::string(s, strnlen(s, len));
  }
  uint32_t type() const { return u32(0); }
  int64_t date() const { return static_cast<int32_t>(u32(4)); }
  uint32_t inode() const { return u32(20); }
  uint32_t count() const { return u32(160); }
  bool addr(size_t i) const { return p_[164 + i] != 0; }
  uint16_t mode() const { return u16(32); }
  uint64_t size() const { return u64(40); }
  int64_t mtime() const { return static_cast<int32_t>(u32(56)); }
  uint32_t uid() const { return u32(144); }
  uint32_t gid() const { return u32(148); }
  std::string label() const { return text(676, 16); }
  int32_t level() const { return static_cast<int32_t>(u32(692)); }
  std::string filesys() const { return text(696, 64); }
  std::string dev() const { return text(760, 64); }
  std::string host() const { return text(824, 64); }

 private:
  const uint8_t* p_;
  bool swapped_;
};

// Whether `p` is a header block; `swapped` says its byte order.
bool is_header(const uint8_t* p, bool* swapped) {
  uint32_t magic;
  std::memcpy(&magic, p + 24, 4);
  if (magic == kMagic) {
    *swapped = false;
  } else if (__builtin_bswap32(magic) == kMagic) {
    *swapped = true;
  } else {
    return false;
  }
  uint32_t sum = 0;
  for (size_t i = 0; i < kBlock; i += 4) {
    uint32_t w;
    std::memcpy(&w, p + i, 4);
    sum += *swapped ? __builtin_bswap32(w) : w;
  }
  return sum == kChecksum;
}

bool is_dump_start(std::span<const uint8_t> first) {
  bool swapped = false;
  return first.size() >= kBlock && is_header(first.data(), &swapped) && Header(first.data(), swapped).type() == kTape;
}

std::string iso_date(int64_t t) {
  auto tt = static_cast<time_t>(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string kind_of(uint16_t mode) {
  switch (mode & 0170000) {
    case 0100000: return "file";
    case 0040000: return "directory";
    case 0120000: return "symlink";
    default: return "other";
  }
}

class DumpReader : public ContentReader {
 public:
  void add_record(std::span<const uint8_t> record) override {
    while (!record.empty() && !done_) {
      size_t take = std::min(kBlock - filled_, record.size());
      std::memcpy(block_ + filled_, record.data(), take);
      filled_ += take;
      record = record.subspan(take);
      if (filled_ == kBlock) {
        block(block_);
        filled_ = 0;
        offset_ += kBlock;
      }
    }
  }
  bool wants_more() const override { return !done_; }

  void finish(TapeFileAnalysis& out) override {
    if (!done_ && damage_.empty()) {
      damage_ = fmt::format("dump archive ends at byte {} without its TS_END header", offset_ + filled_);
    }
    out.members = std::move(volume_);
    for (const Inode& i : inodes_) add_members(i, out.members);
    if (!damage_.empty()) out.damage = damage_;
  }

 private:
  struct Inode {
    uint32_t number;
    uint16_t mode;
    uint64_t size;
    int64_t mtime;
    uint32_t uid, gid;
  };
  struct Name {
    uint32_t parent;
    std::string name;
  };

  void set_damage(std::string what) {
    if (damage_.empty()) damage_ = std::move(what);
  }

  void block(const uint8_t* p) {
    if (data_blocks_ > 0) {  // a data block of the last header
      --data_blocks_;
      if (dir_left_ > 0) directory_block(p);
      return;
    }
    bool swapped = false;
    if (!is_header(p, &swapped)) {
      // Damage: look for the next header, as restore resynchronises.
      if (!resyncing_) {
        set_damage(fmt::format("dump archive: no valid header at byte {} (expected c_magic 60012 and checksum "
                               "84446); later headers are read where found",
                               offset_));
      }
      resyncing_ = true;
      dir_left_ = 0;
      return;
    }
    resyncing_ = false;
    Header h(p, swapped);
    uint32_t count = h.count();
    if (h.type() != kBits && h.type() != kClri && count > kMaxAddr) {
      set_damage(fmt::format("dump archive: header at byte {} has c_count {} (at most {})", offset_, count, kMaxAddr));
      count = kMaxAddr;
    }
    switch (h.type()) {
      case kTape:
        if (offset_ == 0) volume_members(h);
        data_blocks_ = present_blocks(h, count);
        break;
      case kBits:
      case kClri:
        data_blocks_ = count;  // map blocks, whatever c_addr says
        break;
      case kInode:
        swapped_entries_ = swapped;
        inode(h);
        data_blocks_ = present_blocks(h, count);
        break;
      case kAddr:
        data_blocks_ = present_blocks(h, count);
        break;
      case kEnd:
        done_ = true;
        break;
      default:
        set_damage(fmt::format("dump archive: header at byte {} has unknown c_type {}", offset_, h.type()));
        break;
    }
  }

  static uint32_t present_blocks(const Header& h, uint32_t count) {
    uint32_t n = 0;
    for (size_t i = 0; i < count; ++i) n += h.addr(i) ? 1 : 0;
    return n;
  }

  void volume_members(const Header& h) {
    // What `restore -t` tells first: the dump's date, level, file system.
    std::string filesys = h.filesys();
    std::string dev = h.dev();
    volume_.push_back(TapeMember{"dump-filesystem", filesys, 0, 0, h.date(), 0, ""});
    if (!dev.empty()) volume_.push_back(TapeMember{"dump-device", dev, 0, 0, h.date(), 0, ""});
    volume_.push_back(TapeMember{"dump-level", std::to_string(h.level()), 0, 0, h.date(), 0, ""});
    volume_.push_back(TapeMember{"dump-date", iso_date(h.date()), 0, 0, h.date(), 0, ""});
    if (!h.label().empty() && h.label() != "none") {
      volume_.push_back(TapeMember{"dump-label", h.label(), 0, 0, h.date(), 0, ""});
    }
  }

  void inode(const Header& h) {
    Inode i{h.inode(), h.mode(), h.size(), h.mtime(), h.uid(), h.gid()};
    if (inodes_.size() < kMaxNames) {
      inodes_.push_back(i);
    } else {
      set_damage(fmt::format("dump archive: more than {} inodes; the rest are not cataloged", kMaxNames));
    }
    bool directory = (i.mode & 0170000) == 0040000;
    dir_ = i.number;
    dir_left_ = directory ? i.size : 0;
  }

  // BSD directory entries of directory dir_: they never cross a block.
  void directory_block(const uint8_t* p) {
    size_t len = static_cast<size_t>(std::min<uint64_t>(dir_left_, kBlock));
    dir_left_ -= len;
    size_t pos = 0;
    while (pos + 8 <= len) {
      uint32_t ino;
      uint16_t reclen;
      std::memcpy(&ino, p + pos, 4);
      std::memcpy(&reclen, p + pos + 4, 2);
      if (swapped_entries_) {
        ino = __builtin_bswap32(ino);
        reclen = __builtin_bswap16(reclen);
      }
      uint8_t namelen = p[pos + 7];
      if (reclen < 8 || pos + reclen > len || size_t(namelen) + 8 > reclen) {
        set_damage(fmt::format("dump archive: bad directory entry of inode {} at byte {}", dir_,
                               offset_ + pos));
        return;
      }
      std::string name(reinterpret_cast<const char*>(p + pos + 8), namelen);
      if (ino != 0 && name != "." && name != "..") add_name(ino, std::move(name));
      pos += reclen;
    }
  }

  void add_name(uint32_t ino, std::string name) {
    if (name_count_ >= kMaxNames) {
      set_damage(fmt::format("dump archive: more than {} names; the rest are not cataloged", kMaxNames));
      return;
    }
    ++name_count_;
    names_.emplace(ino, Name{dir_, std::move(name)});
  }

  // "./a/b" for a name of directory `parent`; empty when the chain of
  // parents does not reach the root (a lost or looping directory).
  std::string path_of(uint32_t parent, const std::string& name) const {
    std::string path = name;
    for (size_t depth = 0; parent != kRootInode; ++depth) {
      auto it = names_.find(parent);
      if (it == names_.end() || depth > kMaxDepth) return "";
      path = it->second.name + "/" + path;
      parent = it->second.parent;
    }
    return "./" + path;
  }

  void add_members(const Inode& i, std::vector<TapeMember>& out) const {
    if (i.number == kRootInode) return;
    auto [first, last] = names_.equal_range(i.number);
    for (auto it = first; it != last; ++it) {
      std::string path = path_of(it->second.parent, it->second.name);
      if (path.empty()) continue;
      bool directory = (i.mode & 0170000) == 0040000;
      TapeMember m{kind_of(i.mode), path, directory ? 0 : i.size, i.mode, i.mtime, 0, ""};
      m.uid = i.uid;
      m.gid = i.gid;
      out.push_back(std::move(m));
    }
  }

  uint8_t block_[kBlock];
  size_t filled_ = 0;
  uint64_t offset_ = 0;  // of the block being read, in the tape file's byte stream
  uint64_t data_blocks_ = 0;
  bool done_ = false;
  bool resyncing_ = false;
  bool swapped_entries_ = false;
  uint32_t dir_ = 0;
  uint64_t dir_left_ = 0;
  size_t name_count_ = 0;
  std::vector<TapeMember> volume_;
  std::vector<Inode> inodes_;
  std::unordered_multimap<uint32_t, Name> names_;
  std::string damage_;
};

}  // namespace

ContentDetector dump_detector() {
  return ContentDetector{"dump", is_dump_start, [] { return std::make_unique<DumpReader>(); }};
}

}  // namespace vtape
