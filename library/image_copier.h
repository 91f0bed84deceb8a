// ImageCopier: the copy at the heart of a migration (vtape migrate,
// vtape snapshot): the objects of a source image (records and filemarks),
// in order, into a target image of the same or another format, in as many
// steps as the caller likes, each up to a byte offset of the source that
// the source's writer had flushed.  A tape changes only at its end: it
// grows there, or a rewrite after positioning (or MTERASE) cuts it at an
// object and it grows again from there; cut_at() makes the copy follow such
// a cut, going back to the last checkpoint before it (filemarks, and every
// few MiB) and copying again from there.  No FUSE, no drive: the caller
// (CartridgeMigration) decides when to copy and what was cut.
//
// Between images of the same format the bytes are copied as they are, in
// large writes (no record is framed or compressed again), while the
// source's codec finds the objects in the same bytes; given the catalog's
// digests (expect_digests), each tape file is checked as its filemark is
// copied, from the bytes read for the copy: one pass reads the source once.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "index/digest.h"
#include "library/copy_pace.h"
#include "tapeformat/base/status.h"
#include "tapeformat/tape_image.h"

namespace vtape {

struct CopyCounts {
  uint64_t bytes_read = 0;       // of the source, framing included
  uint64_t records_copied = 0;   // records written to the target, again after a cut too
  uint64_t records_recopied = 0; // of those, records copied once before and again after a cut
  uint64_t filemarks_copied = 0;
  // Records longer than a HET chunk (65535 bytes): Hercules' hetmap cannot
  // read them in a HET image.
  uint64_t records_over_64k = 0;
};

class ImageCopier {
 public:
  // Where both images stand at an object boundary, the same object index.
  struct Checkpoint {
    TapePosition source;
    TapePosition target;
    uint64_t records = 0;  // records before it
  };

  ImageCopier(std::string source_path, Format source_format, std::unique_ptr<TapeImage> target);
  // Continues a copy (--resume): both images stand at `at`.  `earlier`:
  // the checkpoints below it, BOT and each tape file's start
  // (find_resume_checkpoints), so that file_starts() names every tape file
  // and a cut below `at` goes back to one of them.
  void resume_at(const Checkpoint& at, const std::vector<Checkpoint>& earlier);

  // What the catalog says a tape file of the source holds.
  struct ExpectedDigest {
    DigestAlgorithm algorithm = kDefaultDigest;
    std::string hex;
  };
  // From now on each of these tape files copied whole by copy_until() is
  // checked against its digest; one that differs stops the copy with an
  // error.  A cut forgets those from the tape file it falls in on (their
  // rows are rewritten).
  void expect_digests(std::map<uint64_t, ExpectedDigest> digests);
  // The tape files checked so far (and not cut since).
  const std::set<uint64_t>& verified_files() const { return verified_; }

  // Copies the source's objects from where the copy stands up to byte
  // `limit` of the source (an object boundary: what was flushed), reading
  // the source through a descriptor of its own.  `stop` set: stops between two
  // objects with an error.
  Status copy_until(uint64_t limit, const std::atomic<bool>* stop = nullptr);
  // copy_until() from now on reads at most this many bytes a second (0:
  // as fast as it can); see copy_pace.h.
  void set_max_rate(uint64_t bytes_per_second) { pace_ = CopyPace(bytes_per_second); }
  // The source lost its objects from `object_index` on: the copy goes back
  // to the last checkpoint at or before it (if it copied any of them).
  Status cut_at(uint64_t object_index);
  // One object the source's writer is writing now (the synchronous phase:
  // the writer is held while it goes to the target too).  The copy must
  // stand at the source's end.  Where the object ends in the source is
  // not known here: no checkpoint is made, and the source offset stays
  // where it was (a cut goes back to before these objects).
  Status append_record(std::span<const uint8_t> data);
  // `source_after`: where the source's next tape file begins (the drive
  // says where its filemark ended).
  Status append_filemark(uint64_t source_after);
  // The objects appended since the last copied one end at `source_end` in
  // the source (the drive's image size when the synchronous phase ends
  // unbroken): a copy from here on starts there, not again at them.
  void appended_up_to(uint64_t source_end) { at_.source.offset = std::max(at_.source.offset, source_end); }

  // Where a tape file of the copy begins in the source and in the target:
  // the catalog's offsets move with a switch to another format.
  struct FileStart {
    uint64_t file = 0;
    uint64_t source_offset = 0;
    uint64_t target_offset = 0;
  };
  // Ascending.
  const std::vector<FileStart>& file_starts() const { return file_starts_; }

  // Objects copied (the object index the copy stands at), and where in the
  // source the next one starts.
  uint64_t objects() const { return at_.source.object_index; }
  uint64_t source_offset() const { return at_.source.offset; }
  const Checkpoint& position() const { return at_; }
  // The last checkpoint (the target synced up to it by sync()).
  const Checkpoint& last_checkpoint() const { return checkpoints_.back(); }
  // Safe from another thread (a report while the copy runs).
  CopyCounts counts() const {
    return CopyCounts{counts_.bytes_read.load(), counts_.records_copied.load(), counts_.records_recopied.load(),
                      counts_.filemarks_copied.load(), counts_.records_over_64k.load()};
  }
  TapeImage& target() { return *target_; }
  std::unique_ptr<TapeImage> release_target() { return std::move(target_); }
  // The target written out and on stable storage.
  Status sync();
  // The target written out (to the kernel, not yet the disk).
  Status flush();

 private:
  // One object more in the copy; `source_end`: where it ends in the
  // source, when known.
  // `target_at`: where the copy stands after it.
  void note_object(bool filemark, std::optional<uint64_t> source_end, const TapePosition& target_at);
  void note_file_start(uint64_t source_offset);
  // The digest of the tape file the copy now begins, if the catalog has one.
  void start_file_digest();
  // At the filemark of the tape file being copied: its digest against the
  // catalog's.
  Status check_file_digest(uint64_t filemark_offset);
  // The same format, and both images alike up to here: bytes are copied.
  bool can_copy_raw();
  // Adds the source's bytes [from, to) (the object it read last) to the
  // range still to copy, copying the range when it is large.
  Status take_raw(uint64_t from, uint64_t to);
  // Copies the pending range from the source's file to the target's at the
  // same offset, in the kernel (copy_file_range, or sendfile across file
  // systems), as cp does: no copy through user space.
  Status write_raw();
  Status copy_range_through_buffer(uint64_t from, uint64_t length);
  // After raw writes: the target opened again, to stand where the copy ends.
  Status reopen_target();
  void maybe_checkpoint(bool filemark);

  std::string source_path_;
  Format source_format_;
  std::unique_ptr<TapeImage> target_;
  std::unique_ptr<TapeImage> source_;  // open while copying up to a limit
  Checkpoint at_;
  std::vector<Checkpoint> checkpoints_;  // ascending; the first is BOT (or the resume point)
  std::vector<FileStart> file_starts_;
  std::map<uint64_t, ExpectedDigest> expected_;
  std::optional<Digest> digest_;  // of the tape file being copied, when expected
  std::set<uint64_t> verified_;
  // Raw copying: the source's bytes [raw_at_, raw_end_), whole objects
  // the copy has read and checked, not copied yet (they go to the same
  // offsets of the target).
  uint64_t raw_at_ = 0;
  uint64_t raw_end_ = 0;
  int raw_fd_ = -1;         // the target's, while copy_until copies raw
  int raw_source_fd_ = -1;  // the source's, likewise
  // 0: copy_file_range; 1: sendfile (another file system); 2: read and write.
  int raw_method_ = 0;
  uint64_t records_high_water_ = 0;      // the most records the copy ever stood after
  // CopyCounts, read by report() on another thread while the copy counts.
  struct {
    std::atomic<uint64_t> bytes_read{0}, records_copied{0}, records_recopied{0}, filemarks_copied{0},
        records_over_64k{0};
  } counts_;
  std::vector<uint8_t> buffer_;
  CopyPace pace_;
};

}  // namespace vtape
