// MemberExtractor: restores members of one tar or cpio tape file (as the
// catalog lists them: name, kind, size, mode, mtime, where the data starts
// in the tape file's byte stream) while the tape file's records stream
// past, so a member restore reads the tape once, in order, as a tape would
// be read, and the checksums of the whole tape file are checked on the way.
//
// Into a directory, through SafeTree: unsafe names (absolute, "..") and
// links that lead outside (checked by name, and again on disk once made)
// are refused and listed; setuid and setgid bits are dropped (the owner is
// not restored) and noted; each file is
// written as NAME.vtape-partial and renamed when complete; directories get
// their mode and mtime last; symbolic and hard links are made after the
// files.  Or to standard output: the data of each selected file in order
// (as tar -O does).
//
// A compressed archive (tar -z, -j, -J, --zstd) is decompressed on the way,
// from the start of the tape file: its first record is recognised by the
// catalog's own detectors (index/content_detector.h), so the members'
// offsets, which are offsets of the decompressed stream, mean the same.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "index/decompressor.h"
#include "index/tape_member.h"
#include "tools/overwrite_policy.h"
#include "library/restore_replay.h"
#include "tools/restore_sinks.h"
#include "tools/safe_tree.h"

namespace vtape {

class MemberExtractor : public RecordSink {
 public:
  // `members`: the selected members in tape order.  `tree` null: to stdout.
  MemberExtractor(std::vector<TapeMember> members, const SafeTree* tree, OverwritePolicy policy, bool resume,
                  DirReport* report);
  ~MemberExtractor() override;
  Status record(std::span<const uint8_t> data, bool error_flag) override;
  Status filemark() override { return Status::ok(); }
  Status end_file(uint64_t file, bool damaged) override;

 private:
  // Decides what happens to member i before its data arrives.
  Status start_member(size_t i);
  Status finish_member(size_t i);
  bool allowed(const TapeMember& m);
  Status make_links_and_directories();
  // The mode to give member m: without its setuid and setgid bits (noted).
  uint32_t restored_mode(const TapeMember& m);
  // Removes the link at m's name when, resolved on disk, it leads outside
  // the tree (and lists it as refused); false then.
  bool remove_if_escaping(const TapeMember& m);
  // The bytes of the archive, decompressed if it is compressed.
  Status content(std::span<const uint8_t> data);

  std::vector<TapeMember> members_;
  std::vector<size_t> files_;    // indexes of regular files, by data offset
  const SafeTree* tree_;
  OverwritePolicy policy_;
  bool resume_;
  DirReport* report_;
  uint64_t stream_offset_ = 0;   // bytes of the tape file seen so far
  size_t next_ = 0;              // next entry of files_ to start
  std::optional<size_t> open_;   // member being written
  int fd_ = -1;
  bool skipping_ = false;        // the open member is not written (exists, refused)
  uint64_t written_of_open_ = 0;
  std::string open_path_;        // where the open member goes, for messages
  std::set<std::string> written_names_;  // written by this run: a later copy replaces them
  bool first_record_ = true;
  std::unique_ptr<StreamDecompressor> decompressor_;  // for a compressed archive
  Status content_status_;                             // of content() called by the decompressor
};

}  // namespace vtape
