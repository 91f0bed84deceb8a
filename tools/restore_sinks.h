// Where `vtape restore` writes the records it replays (see restore_replay.h):
//   DeviceSink        a tape device (a vtapefs drive or a real /dev/nstN):
//                     one write(2) per record, MTWEOF per filemark
//   DeviceVerifySink  reads the device back and compares, record by record
//   ImageSink         a new image in any writable format, written beside the
//                     target and renamed over it when complete (--resume
//                     continues the partial image)
//   StdoutSink        the bytes of the records, for a pipe
//   TapeFileDirSink   each tape file as DIR/NNNN.dat
//   NullSink          nothing (--dry-run)
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tapeformat/image_file.h"
#include "tapeformat/tape_image.h"
#include "tools/overwrite_policy.h"
#include "library/restore_replay.h"
#include "tools/safe_tree.h"
#include "tools/tool_support.h"

namespace vtape {

class DeviceSink : public RecordSink {
 public:
  // Opens the device read-write, checks that it is a tape (MTIOCGET), and
  // rewinds it when asked; remembers the block where writing starts.
  static Status open(const std::string& path, bool rewind, std::unique_ptr<DeviceSink>* out);
  ~DeviceSink() override;
  Status record(std::span<const uint8_t> data, bool error_flag) override;
  Status filemark() override;
  // Moves back to where writing began (MTREW or MTSEEK), to read it back.
  Status return_to_start();
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  Status close_device();

 private:
  DeviceSink() = default;
  int fd_ = -1;
  std::string path_;
  bool rewound_ = false;
  uint32_t start_block_ = 0;
};

class DeviceVerifySink : public RecordSink {
 public:
  // `largest`: the largest record expected (the read buffer size).
  DeviceVerifySink(int fd, std::string path, uint32_t largest);
  Status begin_file(uint64_t file) override;
  Status record(std::span<const uint8_t> data, bool error_flag) override;
  Status filemark() override;

 private:
  int fd_;
  std::string path_;
  std::vector<uint8_t> buffer_;
  uint64_t file_ = 0;
  uint64_t record_ = 0;
};

class ImageSink : public RecordSink {
 public:
  // Creates OUT.vtape-partial (replacing one of ours left over, never
  // through a link planted there: see partial_file.h), or with `resume`
  // opens the one an interrupted run left (only a regular file of ours)
  // and counts the objects it holds
  // (`*present`); a torn last object is cut off by the next write.
  static Status open(const std::string& out_path, Format format, const WriteOptions& options, bool resume,
                     uint64_t* present, std::unique_ptr<ImageSink>* out);
  Status record(std::span<const uint8_t> data, bool error_flag) override;
  Status filemark() override;
  // Syncs the partial image and renames it to OUT.
  Status commit();
  const std::string& partial_path() const { return partial_; }
  uint64_t lost_error_flags() const { return lost_error_flags_; }

 private:
  ImageSink() = default;
  std::unique_ptr<TapeImage> image_;
  std::string out_;
  std::string partial_;
  uint64_t lost_error_flags_ = 0;
};

// The same format, whole objects: the source image's bytes of each record
// and filemark are copied as they are, nothing decoded or encoded again,
// by the kernel (copy_file_range, by ImageFile::append_copied_object) in
// runs of objects that follow each other in the source, as cp copies: the
// reader's pass (the checks) and the copy then cost about what cp alone
// costs, where copying the bytes the reader holds through a write buffer
// cost two more copies of every byte.
// For SIMH-framed formats any selection; for AWS and HET only a selection
// starting at the beginning of the image (their headers name the length of
// the block before).
class RawImageSink : public RecordSink {
 public:
  static Status open(const std::string& source_path, const std::string& out_path,
                     std::unique_ptr<RawImageSink>* out);
  // A replay that stopped (damage in the source, a full disk) leaves the
  // whole objects it delivered in the partial image.
  ~RawImageSink() override;
  Status source_object(uint64_t offset, uint64_t stored_size, std::span<const uint8_t> stored) override;
  Status record(std::span<const uint8_t>, bool) override { return Status::ok(); }
  Status filemark() override { return Status::ok(); }
  // Writes what is pending, syncs and renames the partial image to OUT.
  Status commit();
  const std::string& partial_path() const { return partial_; }

 private:
  RawImageSink() = default;
  // Copies the run of objects gathered so far (nothing if none).
  Status copy_run();
  // Large enough that a system call a run costs nothing, small enough that
  // the partial image's early writeback (every 8 MiB) keeps up.
  static constexpr uint64_t kRunSize = 4 << 20;
  uint64_t run_start_ = 0;           // source offset of the first object of the run
  std::vector<uint64_t> run_ends_;  // where each of its objects ends, from run_start_

  int source_fd_ = -1;
  std::string source_;
  std::string out_path_;
  std::string partial_;
  // The partial image: its buffering, early writeback and the cut after the
  // last whole object on a full disk are ImageFile's, as for every image.
  ImageFile out_;
};

class StdoutSink : public RecordSink {
 public:
  Status record(std::span<const uint8_t> data, bool error_flag) override;
  Status filemark() override { return Status::ok(); }
};

class NullSink : public RecordSink {
 public:
  Status record(std::span<const uint8_t>, bool) override { return Status::ok(); }
  Status filemark() override { return Status::ok(); }
};

// What a directory restore did with each name.
struct DirReport {
  uint64_t written = 0;
  uint64_t skipped_existing = 0;  // there already, and not to be replaced
  uint64_t resumed = 0;           // there already, complete, from an earlier run
  std::vector<std::string> refused;  // "NAME: why"
  std::vector<std::string> existing; // names left alone
  std::vector<std::string> notes;    // "NAME: what was changed" (a setuid bit dropped)
};

class TapeFileDirSink : public RecordSink {
 public:
  // `expected_bytes(file)` gives the catalog's size of a tape file (for
  // --resume: a complete NNNN.dat is kept), or -1 when unknown.
  TapeFileDirSink(const SafeTree& tree, OverwritePolicy policy, bool resume,
                  const std::map<uint64_t, TapeFileRow>& cataloged, DirReport* report);
  ~TapeFileDirSink() override;
  Status begin_file(uint64_t file) override;
  Status record(std::span<const uint8_t> data, bool error_flag) override;
  Status filemark() override { return Status::ok(); }
  Status end_file(uint64_t file, bool damaged) override;

  static std::string name_for(uint64_t file);

 private:
  const SafeTree& tree_;
  OverwritePolicy policy_;
  bool resume_;
  const std::map<uint64_t, TapeFileRow>& cataloged_;
  DirReport* report_;
  int fd_ = -1;  // -1 while a file is skipped
  std::string name_;
  std::string partial_path_;  // root/NNNN.dat.vtape-partial, for messages
};

// Writes all of `data` to `fd`; `what` names the target in errors.
// `written`, if given, says how much went out, also on failure.
Status write_all(int fd, std::span<const uint8_t> data, const std::string& what, size_t* written = nullptr);

}  // namespace vtape
