// What the catalog records about the contents of one tape file.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace vtape {

// The kind of content of a tape file, by the name of the content detector
// that recognised it (index/content_detector.h; the catalog's
// tape_files.content, man/vtape-catalog.5).  The built-in kinds have
// constants; a detector added later names its own.
class ContentKind {
 public:
  ContentKind() = default;
  explicit ContentKind(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  bool operator==(const ContentKind&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const ContentKind& k) { return os << k.name_; }

  static const ContentKind kUnknown, kTar, kCpio, kAnsiLabels, kIbmLabels, kVmsBackup, kPickLabel;

 private:
  std::string name_ = "unknown";
};
inline const ContentKind ContentKind::kUnknown{"unknown"};
inline const ContentKind ContentKind::kTar{"tar"};
inline const ContentKind ContentKind::kCpio{"cpio"};
inline const ContentKind ContentKind::kAnsiLabels{"ansi-labels"};
inline const ContentKind ContentKind::kIbmLabels{"ibm-labels"};
inline const ContentKind ContentKind::kVmsBackup{"vms-backup"};
inline const ContentKind ContentKind::kPickLabel{"pick-label"};

inline const char* content_name(const ContentKind& k) { return k.name().c_str(); }

struct TapeMember {
  std::string kind;          // file, directory, symlink, hardlink, other, hdr1, saveset, pick-label
  std::string path;          // exactly as recorded on tape (may hold any byte)
  uint64_t size = 0;
  uint32_t mode = 0;
  int64_t mtime = 0;         // seconds since the epoch, 0 when unknown
  uint64_t data_offset = 0;  // where its data starts in the tape file's byte stream
  std::string link_target;
  int64_t uid = -1;          // owner and group as archived; -1 when unknown
  int64_t gid = -1;
};

// Everything learnt about one tape file from its records.
struct TapeFileAnalysis {
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint32_t smallest = 0;
  uint32_t largest = 0;
  std::string digest;  // lower-case hex, of digest_algorithm (index/digest.h)
  std::string digest_algorithm;
  std::vector<uint32_t> record_crcs;  // CRC-32C of each record, in order
  ContentKind content = ContentKind::kUnknown;
  // The compression the content was found under ("gzip", "bzip2", "xz",
  // "zstd"; index/decompressor.h), empty when none.  Member data offsets
  // are then offsets in the decompressed stream.
  std::string compression;
  std::vector<TapeMember> members;
  std::optional<std::string> damage;  // where content detection stopped, and why
  // From a VOL1 label in this file.
  std::string label_volser;
  std::string label_owner;
};

}  // namespace vtape
