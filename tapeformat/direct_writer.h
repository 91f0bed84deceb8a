// DirectWriter: the write-behind thread of an image that is written as a
// stream and synced at the end (a drive's buffered writes, convert, restore
// to an image).  ImageFile hands it a full buffer of whole objects and goes
// on filling the next one while this thread writes the first.  The aligned
// middle of each buffer goes to the file with O_DIRECT, straight from the
// buffer to the disk: no copy into the page cache (which cost a drive about
// 40 % of its CPU at 256 KiB records) and no write-back left for the sync at
// the end.  The unaligned edges go through the page cache.
//
// Batches are written in the order given, one at a time.  A batch may end
// with a last small write (the first word of its objects over the image's
// end guard), made only after the rest of it is in the file: the guard
// protocol of ImageFile, kept.  A failed batch fails every later call until
// clear_error(); completed_end() says where the image ends after the last
// batch that was written whole.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tapeformat/aligned_bytes.h"
#include "tapeformat/base/status.h"

namespace vtape {

class DirectWriter {
 public:
  struct Batch {
    AlignedBytes bytes;          // bytes.data()[0] is the byte at `offset`,
    uint64_t offset = 0;
    size_t skip = 0;             // but the first `skip` of them are not written

    uint8_t last[4] = {};        // then these `last_size` bytes at `last_offset`
    size_t last_size = 0;
    uint64_t last_offset = 0;
    uint64_t end_after = 0;      // where the image's objects end once it is written
    // Where each object of the batch ends in `bytes`: when the disk fills
    // up, the whole objects that did fit stay part of the image.
    std::vector<size_t> object_ends;
  };

  // A writer for the open file `fd` (written at offsets, never moved), or
  // null when its file system is not a local one known to keep direct and
  // cached I/O coherent (ext4, xfs, btrfs, tmpfs, f2fs) or takes no
  // O_DIRECT: the caller then writes through the page cache as before.
  // `path` names it in errors.
  static std::unique_ptr<DirectWriter> open(int fd, const std::string& path, uint64_t end);
  ~DirectWriter();
  DirectWriter(const DirectWriter&) = delete;
  DirectWriter& operator=(const DirectWriter&) = delete;

  // Queues `batch`, after waiting for the one before it; *spare gets a
  // buffer to fill next (the one that batch was written from).  The error
  // of an earlier batch instead, if one failed (then nothing is queued).
  Status submit(Batch&& batch, AlignedBytes* spare);
  // Waits until everything queued is written; the error of a failed batch.
  Status wait();
  // The end of the image's objects after the last batch written whole.
  uint64_t completed_end() const;
  // After the caller has cut the image back to completed_end().
  void clear_error();
  // The image's objects now end at `end` (the caller changed the file
  // itself, with nothing queued: a cut, a copied object).
  void restart_at(uint64_t end);

 private:
  DirectWriter(int fd, int direct_fd, std::string path, uint64_t end);
  void run();
  // Writes the batch; on failure *kept_end is where the image's objects
  // end now (after the whole objects that were written, or where they
  // ended before the batch).
  Status write_batch(const Batch& batch, uint64_t* kept_end);
  // [offset, offset + n) of the file from `data`: the aligned middle with
  // O_DIRECT, the edges through the page cache.  *done: how much of it
  // from its start is in the file, also on failure.
  Status write_region(uint64_t offset, const uint8_t* data, size_t n, size_t* done);
  Status write_all(int fd, uint64_t offset, const uint8_t* data, size_t n, size_t* done);

  const int fd_;
  const int direct_fd_;
  const std::string path_;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::optional<Batch> queued_;   // handed over, not yet taken by the thread
  bool busy_ = false;             // the thread is writing a batch
  bool stopping_ = false;
  Status error_;
  uint64_t completed_end_ = 0;
  AlignedBytes spare_;            // the buffer of the last batch written
  std::thread thread_;
};

}  // namespace vtape
