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
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tapeformat/base/status.h"
#include "tapeformat/tape_image.h"

namespace vtape {

struct CopyCounts {
  uint64_t bytes_read = 0;       // of the source, framing included
  uint64_t records_copied = 0;   // records written to the target, again after a cut too
  uint64_t records_recopied = 0; // of those, records copied once before and again after a cut
  uint64_t filemarks_copied = 0;
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
  // Continues a copy (--resume): both images stand at `at`.
  void resume_at(const Checkpoint& at);

  // Copies the source's objects from where the copy stands up to byte
  // `limit` of the source (an object boundary: what was flushed), reading
  // the source through a descriptor of its own.  `stop` set: stops between two
  // objects with an error.
  Status copy_until(uint64_t limit, const std::atomic<bool>* stop = nullptr);
  // The source lost its objects from `object_index` on: the copy goes back
  // to the last checkpoint at or before it.
  Status cut_at(uint64_t object_index);
  // One object the source's writer is writing now (the synchronous phase:
  // the writer is held while it goes to the target too).  The copy must
  // stand at the source's end.  Where the object ends in the source is
  // not known here: no checkpoint is made, and the source offset stays
  // where it was (a cut goes back to before these objects).
  Status append_record(std::span<const uint8_t> data);
  Status append_filemark();

  // Objects copied (the object index the copy stands at), and where in the
  // source the next one starts.
  uint64_t objects() const { return at_.source.object_index; }
  uint64_t source_offset() const { return at_.source.offset; }
  const Checkpoint& position() const { return at_; }
  // The last checkpoint (the target synced up to it by sync()).
  const Checkpoint& last_checkpoint() const { return checkpoints_.back(); }
  // The counts so far.  Another thread may ask while the copy runs (a
  // migration's progress report on the control socket).
  CopyCounts counts() const;
  TapeImage& target() { return *target_; }
  std::unique_ptr<TapeImage> release_target() { return std::move(target_); }
  // The target written out and on stable storage.
  Status sync();

 private:
  // One object more in the copy; `source_end`: where it ends in the
  // source, when known.
  void note_object(bool filemark, std::optional<uint64_t> source_end);
  void maybe_checkpoint(bool filemark);

  std::string source_path_;
  Format source_format_;
  std::unique_ptr<TapeImage> target_;
  std::unique_ptr<TapeImage> source_;  // open while copying up to a limit
  Checkpoint at_;
  std::vector<Checkpoint> checkpoints_;  // ascending; the first is BOT (or the resume point)
  uint64_t records_high_water_ = 0;      // the most records the copy ever stood after
  // CopyCounts as atomics: counts() reads them on another thread while the
  // copy adds to them (relaxed: each is a progress figure of its own).
  struct AtomicCounts {
    std::atomic<uint64_t> bytes_read{0};
    std::atomic<uint64_t> records_copied{0};
    std::atomic<uint64_t> records_recopied{0};
    std::atomic<uint64_t> filemarks_copied{0};
  };
  AtomicCounts counts_;
  std::vector<uint8_t> buffer_;
};

}  // namespace vtape
