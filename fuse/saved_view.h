// SavedView: the read-only saved/ tree of the mount, built from the catalog
// and served straight from the images:
//
//   /saved/                              every volume in the catalog
//   /saved/VOLSER/                       its tape files, NNNN (file number,
//                                        at least 4 digits, zero padded)
//   /saved/VOLSER/NNNN/data              the tape file's bytes as one stream
//   /saved/VOLSER/NNNN/members/...       tar and cpio members (member_tree.h),
//                                        compressed or not
//
// Nothing is extracted or copied: a member's bytes are read from the tape
// file's stream at the member's recorded data offset (of the decompressed
// stream when the archive is compressed: decompressed_stream.h).  What is shown for a
// tape file (its member tree and record index) is cached by (volume, file
// number) together with the catalog row it was built from (digest,
// records, bytes, image offset); a row that changed (the tape file was
// rewritten) is rebuilt on the next access.  Open files keep what they
// opened.
//
// Thread-safe: FUSE calls it from several threads at once.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fuse/member_tree.h"
#include "fuse/tape_file_stream.h"
#include "library/tape_library.h"
#include "index/catalog.h"
#include "index/content_detector.h"

namespace vtape {

// The cached view of one tape file.
struct SavedTapeFile {
  std::string volser;
  TapeFileRow row;
  TapeFileLocation location;
  std::shared_ptr<RecordIndex> index;
  std::mutex tree_mu;
  std::shared_ptr<const MemberTree> tree;  // built on first use
  bool has_members() const { return content_has_member_data(row.content); }
};

// One open file of the saved/ tree.
class SavedFile {
 public:
  // Bytes, or -errno.
  int read(char* buf, size_t size, uint64_t offset);
  // What the file was when it was opened: fstat() on an open file (and
  // the kernel's checks before reading it) keep working after the tape
  // file was rewritten and the name is gone.
  const struct stat& stat_at_open() const { return stat_; }

 private:
  friend class SavedView;
  std::shared_ptr<SavedTapeFile> file_;
  std::unique_ptr<ContentStream> stream_;   // null for inline and empty content
  uint64_t base_ = 0;                       // where the content starts in the stream
  uint64_t size_ = 0;
  std::string inline_;
  bool is_inline_ = false;
  struct stat stat_ {};
};

class SavedView {
 public:
  static constexpr const char* kRoot = "/saved";
  static constexpr size_t kCachedTapeFiles = 64;

  SavedView(TapeLibrary& library, Catalog& catalog);

  static bool is_saved_path(const std::string& path);

  // As the FUSE operations: 0 or -errno.
  int getattr(const std::string& path, struct stat* st);
  int readdir(const std::string& path, std::vector<std::pair<std::string, struct stat>>* entries);
  int readlink(const std::string& path, std::string* target);
  int open(const std::string& path, std::unique_ptr<SavedFile>* out);

  // For tests: the cached view of a tape file, if any.
  std::shared_ptr<SavedTapeFile> cached(const std::string& volser, uint64_t file);

 private:
  // What a path names.
  struct Target {
    enum class Kind { kRoot, kVolume, kTapeFile, kData, kMembers, kMember } kind = Kind::kRoot;
    std::string volser;
    VolumeRow volume;
    std::shared_ptr<SavedTapeFile> file;
    std::shared_ptr<const MemberTree> tree;
    const MemberNode* node = nullptr;
  };
  int resolve(const std::string& path, Target* out);
  std::shared_ptr<SavedTapeFile> tape_file(const std::string& volser, const TapeFileRow& row, int* error);
  // The library's description of `volser` (where its image is, in which
  // format), or null when there is none.  Kept until the library's
  // descriptions change (TapeLibrary::cartridges_changed(): a migration's
  // image switch, live or of an unloaded cartridge), not read per lookup.
  const Cartridge* cartridge_locked(const std::string& volser);
  int member_tree(SavedTapeFile& f, std::shared_ptr<const MemberTree>* out);
  void stat_of(const Target& t, struct stat* st) const;
  void stat_node(const SavedTapeFile& f, const MemberNode& n, struct stat* st) const;
  // A tape file's data holds everybody's members: the library's owner
  // (and group) only, read only.
  mode_t data_mode() const;

  TapeLibrary& library_;
  Catalog& catalog_;
  const timespec mounted_at_;

  std::mutex mu_;
  // Most recently used first.
  std::list<std::pair<std::pair<std::string, uint64_t>, std::shared_ptr<SavedTapeFile>>> cache_;
  // cartridge_locked()'s, as of the library's change count cartridges_changes_.
  std::map<std::string, Cartridge> cartridges_;
  uint64_t cartridges_changes_ = 0;
};

// The shown name of a tape file: "0007", "12345".
std::string saved_file_name(uint64_t file_number);
std::optional<uint64_t> parse_saved_file_name(const std::string& name);

}  // namespace vtape
