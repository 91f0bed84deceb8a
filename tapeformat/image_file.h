// ImageFile: the bytes of one tape image on disk, with a read-ahead window and
// a write-behind buffer so that codecs can ask for a few bytes at a time
// without a system call each.
//
// Writes follow tape rules: every object is appended at the current end of
// the tape and the file ends right after the newest object (anything that was
// after it is discarded).  Pending writes are whole objects; flush() writes
// them and, if it fails (a full disk), truncates the file back to the end of
// the last object that was completely written, so the image stays valid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tapeformat/byte_sink.h"
#include "tapeformat/base/status.h"

struct iovec;  // <sys/uio.h>

namespace vtape {

class ImageFile : public ByteSink {
 public:
  enum class Mode { kReadOnly, kReadWrite };

  ImageFile() = default;
  ~ImageFile() override;
  ImageFile(const ImageFile&) = delete;
  ImageFile& operator=(const ImageFile&) = delete;

  Status open(const std::string& path, Mode mode);
  // Creates (or, with overwrite, empties) a file for writing.
  Status create(const std::string& path, bool overwrite);
  // Adopts an already open descriptor (used by the fuzz targets on a memfd).
  void adopt(int fd, bool writable, std::string name);
  Status close();

  const std::string& path() const { return path_; }
  // The open file (-1 when closed); for a reader that moves bytes of the
  // image itself (the mount splices large records to the kernel).
  int descriptor() const { return fd_; }
  bool writable() const { return writable_; }
  // Size of the tape as it stands, including objects not yet flushed.
  uint64_t size() const { return size_; }
  // Bytes read from the file so far (how much reading and spacing cost).
  uint64_t bytes_read() const { return bytes_read_; }
  // System calls that read the file so far (each costs more than copying
  // a few KiB: reading records of a few KiB must not take one each).
  uint64_t reads() const { return reads_; }

  // Reads exactly n bytes at offset.  Asking for bytes past the end is a
  // Corrupt status naming the offset ("expected N bytes, found M").
  // Bytes already in the read window are copied here, without a call: the
  // codecs read two length words a record, and a scan of records of a few
  // KiB (vtape verify) spends more time getting to them than copying them.
  Status read_exact(uint64_t offset, void* dst, size_t n, const char* what) {
    if (pending_.empty() && window_len_ > 0 && n < kWindowSize / 2 && offset >= window_start_ &&
        offset + n <= window_start_ + window_len_ && offset + n <= size_) {
      std::memcpy(dst, window_.get() + (offset - window_start_), n);
      window_served_ += n;
      last_read_end_ = offset + n;
      return Status::ok();
    }
    return read_exact_outside_window(offset, dst, n, what);
  }
  // Reads up to n bytes at offset; returns how many (fewer only at the end).
  Status read_some(uint64_t offset, void* dst, size_t n, size_t* got);

  // The bytes [offset, offset + n) if the read window holds all of them
  // (they usually do right after a codec has read an object there), else
  // an empty span.  Valid until the next read or write.
  std::span<const uint8_t> cached(uint64_t offset, size_t n) const;

  // Makes `offset` the end of the tape: everything from there on is gone.
  Status truncate_at(uint64_t offset);
  // ByteSink: objects are appended at the end of the tape (size()).  The
  // object may be given in pieces (header, data, trailer) to avoid copying
  // the data.
  uint64_t position() const override { return size_; }
  Status append_object(std::span<const std::span<const uint8_t>> pieces) override;
  // Appends one object of `size` bytes copied from another file at
  // `offset` (a raw image restore of an object too large to have been read
  // into memory): by the kernel (copy_file_range) where it can, else read
  // and written.  Pending objects are written first; a failed copy (a full
  // disk) is cut off like a failed flush().  Not with the end guard.
  Status append_copied_object(int source_fd, uint64_t offset, uint64_t size, const std::string& source_name) {
    const uint64_t ends[] = {size};
    return append_copied_objects(source_fd, offset, ends, source_name);
  }
  // The same for a run of objects that follow each other in the source
  // (a raw restore copies them together, as cp copies): `ends` holds where
  // each ends, counted from `offset`, ascending.  A copy that fails keeps
  // the objects that were copied whole.
  Status append_copied_objects(int source_fd, uint64_t offset, std::span<const uint64_t> ends,
                               const std::string& source_name);
  // Writes pending objects to the file (no fsync).
  Status flush();
  // Every object goes to the file as it is appended (drives in
  // write-through mode use this: a full disk then fails the very write
  // that does not fit, and a daemon killed at any moment has handed every
  // acknowledged record to the kernel; buffered drives leave it off).  The pieces then go straight from the caller's memory to the
  // file with pwritev(2), without passing through the write buffer.
  void set_write_through(bool on) { write_through_ = on; }
  // Writers that sync at the end (convert and restore of whole images, a
  // drive at its filemark): every 8 MiB written are handed to the disk at
  // once (sync_file_range), so the final sync waits for the last few only,
  // not for everything since the previous one.
  void set_early_writeback(bool on) { early_writeback_ = on; }
  // flush() and fdatasync(): the data is on disk when this returns.
  Status sync();

  // End guard (SIMH-framed images written by a drive): the file always ends
  // with `word` (the SIMH end-of-medium marker) after the last object, and
  // new objects are written behind it first and made visible last by
  // overwriting it with their first 4 bytes.  A process killed in the middle
  // of a write then leaves a valid image: readers stop at the guard, and
  // the torn bytes after it are never read.  The guard is not part of size().
  Status enable_end_guard(uint32_t word);
  // Removes the guard: the file ends right after the last object again.
  Status disable_end_guard();
  bool has_end_guard() const { return guard_enabled_; }

 private:
  Status read_exact_outside_window(uint64_t offset, void* dst, size_t n, const char* what);
  // How much a window miss at `offset` (for `want` bytes) reads.
  size_t fill_size(uint64_t offset, size_t want) const;
  Status fill_window(uint64_t offset, size_t want);
  // `written`, if given, says how much went to the file, also on failure.
  Status write_all(uint64_t offset, const uint8_t* data, size_t n, size_t* written = nullptr);
  // pwritev(2) of `count` iovecs at `offset`, all of them (the array is
  // consumed: short writes advance it).
  Status write_all_vectors(uint64_t offset, ::iovec* iov, size_t count);
  // append_object in write-through mode with nothing pending.
  Status write_object_through(std::span<const std::span<const uint8_t>> pieces, size_t total);
  Status write_failed(int err, uint64_t offset);
  // After a failed write: the file ends after the last complete object
  // (and the guard) again, so the image stays valid.
  void cut_after_last_object();
  // After a failed flush behind the end guard that wrote `present` bytes
  // of pending_: the whole objects among them become part of the tape
  // (nothing a writer handed over is dropped that the disk could hold).
  void keep_objects_behind_guard(size_t present);
  void start_writeback_if_due();
  void invalidate_window() { window_len_ = 0; }

  static constexpr size_t kWindowSize = 1 << 20;
  static constexpr size_t kSkipWindowSize = 4 << 10;
  // Reads less than this apart are dense: a whole window serves at least
  // kWindowSize / kDenseGap of them.
  static constexpr uint64_t kDenseGap = 16 << 10;
  static constexpr size_t kWriteBufferSize = 4 << 20;
  static constexpr uint64_t kWritebackStep = 8 << 20;
  static constexpr size_t kMaxThroughPieces = 64;  // pieces of one object in one pwritev

  int fd_ = -1;
  bool writable_ = false;
  bool owns_fd_ = true;
  std::string path_;
  uint64_t size_ = 0;         // logical end of the tape
  uint64_t durable_end_ = 0;  // end of the objects already in the file

  // Not a std::vector: its zero-filling of a fresh 1 MiB window costs a
  // short command (vtape verify) more than reading a few MiB does.
  std::unique_ptr<uint8_t[]> window_;
  size_t window_capacity_ = 0;
  uint64_t window_start_ = 0;
  size_t window_len_ = 0;
  size_t window_served_ = 0;  // bytes copied out of the window since it was filled
  uint64_t last_read_end_ = 0;  // where the last read out of the window ended
  uint64_t bytes_read_ = 0;
  uint64_t reads_ = 0;

  std::vector<uint8_t> pending_;      // whole objects that start at durable_end_
  std::vector<size_t> pending_ends_;  // where each of them ends in pending_

  bool write_through_ = false;
  bool early_writeback_ = false;
  uint64_t writeback_from_ = 0;  // where the data not yet handed to the disk begins
  bool guard_enabled_ = false;
  uint8_t guard_[4] = {};
};

// Little-endian helpers shared by the codecs.
inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint16_t load_le16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }
inline void store_le32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
  p[2] = uint8_t(v >> 16);
  p[3] = uint8_t(v >> 24);
}
inline void store_le16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}

}  // namespace vtape
