// Reads the selection of a RestorePlan from its image, object by object,
// checks it against the catalog while it streams (the digest of the
// algorithm its row names, and the record count of each tape file; a file
// that fails is read again to name its first bad record by the records'
// CRC-32C, where the catalog has them) and hands
// every record and filemark to a RecordSink: a drive of the library
// (DriveRecordSink), or one of the `vtape restore` targets in tools/ (a
// tape device, a new image, standard output, a directory).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tapeformat/base/status.h"
#include "library/restore_plan.h"

namespace vtape {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Before the first object of tape file `file` (and before its filemark
  // when it holds no records).
  virtual Status begin_file(uint64_t /*file*/) { return Status::ok(); }
  virtual Status record(std::span<const uint8_t> data, bool error_flag) = 0;
  virtual Status filemark() = 0;
  // After the tape file's filemark, or at end of data for a file that has
  // none.  `damaged`: its checksum did not match the catalog.
  virtual Status end_file(uint64_t /*file*/, bool /*damaged*/) { return Status::ok(); }
  // Where the record or filemark about to be delivered lies in the source
  // image, framing included (for a sink that copies image bytes as they
  // are), and those bytes when the reader still has them in memory (else
  // empty; valid during this call only).
  virtual Status source_object(uint64_t /*offset*/, uint64_t /*stored_size*/, std::span<const uint8_t> /*stored*/) {
    return Status::ok();
  }
};

struct ChecksumMismatch {
  uint64_t file = 0;
  std::optional<uint64_t> record;  // the first bad record, when the catalog has record checksums
  std::optional<uint64_t> image_offset;  // where that record is in the image
  std::string what;                // "the tape file's XXH3-128 ...", "record count ..."
};

struct ReplayOptions {
  // Objects an earlier, interrupted run already delivered (--resume): read
  // and checked again but not handed to the sink.
  uint64_t skip_objects = 0;
  // Check every tape file against the catalog (off for a second pass over
  // a source already checked, such as --verify's).
  bool check = true;
  // Told how far the reading has come, in image bytes past `progress_base`
  // (a door shows it as it likes: `vtape restore` draws a bar).
  std::function<void(uint64_t done)> progress;
  uint64_t progress_base = 0;  // image offset where progress starts
};

struct ReplaySummary {
  uint64_t records = 0;
  uint64_t filemarks = 0;
  uint64_t bytes = 0;
  uint64_t tape_files = 0;
  uint32_t largest_record = 0;
  uint64_t objects = 0;           // records and filemarks read
  uint64_t unchecked_files = 0;   // tape files the catalog has no checksum for
  std::vector<ChecksumMismatch> mismatches;
};

Status replay(const RestorePlan& plan, RecordSink& sink, const ReplayOptions& options, ReplaySummary* summary);

// "VOL001 file 2 record 17: ..." for a mismatch.
std::string describe_mismatch(const RestorePlan& plan, const ChecksumMismatch& m);

}  // namespace vtape
