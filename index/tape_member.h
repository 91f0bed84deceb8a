// What the catalog records about the contents of one tape file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vtape {

// Kinds of tape file content the catalog recognises (man/vtape-catalog.5).
enum class ContentKind { kUnknown, kTar, kCpio, kAnsiLabels, kIbmLabels, kVmsBackup, kPickLabel };
const char* content_name(ContentKind k);

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
  std::string sha256;
  std::vector<uint32_t> record_crcs;  // CRC-32C of each record, in order
  ContentKind content = ContentKind::kUnknown;
  std::vector<TapeMember> members;
  std::optional<std::string> damage;  // where content detection stopped, and why
  // From a VOL1 label in this file.
  std::string label_volser;
  std::string label_owner;
};

}  // namespace vtape
