#include "tapeformat/image_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "tapeformat/base/io_vectors.h"

namespace vtape {

ImageFile::~ImageFile() { (void)close(); }

Status ImageFile::open(const std::string& path, Mode mode) {
  path_ = path;
  writable_ = mode == Mode::kReadWrite;
  fd_ = ::open(path.c_str(), (writable_ ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd_ < 0) return Status::io_error(fmt::format("cannot open {}", path), errno);
  struct stat st {};
  if (fstat(fd_, &st) != 0) return Status::io_error(fmt::format("cannot stat {}", path), errno);
  if (S_ISDIR(st.st_mode)) {
    return Status::invalid_argument(fmt::format("{} is a directory, not a tape image", path));
  }
  size_ = durable_end_ = writeback_from_ = static_cast<uint64_t>(st.st_size);
  return Status::ok();
}

Status ImageFile::create(const std::string& path, bool overwrite) {
  path_ = path;
  writable_ = true;
  int flags = O_RDWR | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  fd_ = ::open(path.c_str(), flags, 0644);
  if (fd_ < 0) return Status::io_error(fmt::format("cannot create {}", path), errno);
  size_ = durable_end_ = writeback_from_ = 0;
  return Status::ok();
}

void ImageFile::adopt(int fd, bool writable, std::string name) {
  fd_ = fd;
  owns_fd_ = true;
  writable_ = writable;
  path_ = std::move(name);
  struct stat st {};
  size_ = durable_end_ = writeback_from_ = fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

Status ImageFile::close() {
  if (fd_ < 0) return Status::ok();
  Status s = flush();
  if (owns_fd_ && ::close(fd_) != 0 && s.is_ok()) {
    s = Status::io_error(fmt::format("cannot close {}", path_), errno);
  }
  fd_ = -1;
  return s;
}

size_t ImageFile::fill_size(uint64_t offset, size_t want) const {
  // Skipping: little of the last window was copied out (a few length
  // words) and the reader has gone on elsewhere (spacing over large
  // records, or reading records too large for the window).  Then only a
  // little is read, so that spacing over a tape reads its length words, not
  // all of its data.  Reading on from the end of the window, or after a
  // window that was used, gets the whole window.
  // But when the reads lie close together (the length words of records
  // of a few KiB), one whole window answers dozens of them for the cost of
  // a few small reads: reading it beats a system call per record.
  bool dense = offset >= last_read_end_ && offset - last_read_end_ < kDenseGap;
  bool skipping = window_len_ > 0 && offset != window_start_ + window_len_ &&
                  window_served_ < window_len_ / 8 && !dense;
  size_t size = std::max(skipping ? kSkipWindowSize : kWindowSize, want);
  // No bigger than the file: small images (and the fuzzers) do not pay for
  // a 1 MiB buffer.
  return static_cast<size_t>(std::min<uint64_t>({size, kWindowSize, std::max<uint64_t>(size_, want)}));
}

Status ImageFile::fill_window(uint64_t offset, size_t want) {
  size_t size = fill_size(offset, want);
  if (window_capacity_ < size) {
    window_.reset(new uint8_t[size]);  // not zeroed: pread fills what is used
    window_capacity_ = size;
  }
  // Reading backwards (offset before the window) keeps the bytes before
  // `offset` in the window, so the next backward step is served from memory.
  uint64_t start = offset;
  if (window_len_ > 0 && offset < window_start_ && want < size) {
    uint64_t end = offset + want;
    start = end > size ? end - size : 0;
  }
  size_t got = 0;
  while (got < size) {
    ssize_t n = pread(fd_, window_.get() + got, size - got, static_cast<off_t>(start + got));
    ++reads_;
    if (n < 0) {
      if (errno == EINTR) continue;
      window_len_ = 0;
      return Status::io_error(fmt::format("cannot read {} at byte {}", path_, start + got), errno);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
    bytes_read_ += static_cast<uint64_t>(n);
  }
  window_start_ = start;
  window_len_ = got;
  window_served_ = 0;
  return Status::ok();
}

Status ImageFile::read_some(uint64_t offset, void* dst, size_t n, size_t* got) {
  *got = 0;
  if (!pending_.empty()) VTAPE_RETURN_IF_ERROR(flush());
  if (offset >= size_) return Status::ok();
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  auto* out = static_cast<uint8_t*>(dst);
  // Large reads go straight to the caller's buffer: copying them through the
  // window would only cost time.
  if (n >= kWindowSize / 2) {
    size_t done = 0;
    while (done < n) {
      ssize_t r = pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
      ++reads_;
      if (r < 0) {
        if (errno == EINTR) continue;
        return Status::io_error(fmt::format("cannot read {} at byte {}", path_, offset + done), errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
      bytes_read_ += static_cast<uint64_t>(r);
    }
    *got = done;
    return Status::ok();
  }
  bool inside = window_len_ > 0 && offset >= window_start_ && offset + n <= window_start_ + window_len_;
  if (!inside) VTAPE_RETURN_IF_ERROR(fill_window(offset, n));
  if (offset < window_start_) return Status::ok();
  uint64_t avail = window_start_ + window_len_ > offset ? window_start_ + window_len_ - offset : 0;
  size_t take = static_cast<size_t>(std::min<uint64_t>(n, avail));
  std::memcpy(out, window_.get() + (offset - window_start_), take);
  window_served_ += take;
  last_read_end_ = offset + take;
  *got = take;
  return Status::ok();
}

std::span<const uint8_t> ImageFile::cached(uint64_t offset, size_t n) const {
  if (window_len_ == 0 || offset < window_start_ || offset + n > window_start_ + window_len_) return {};
  return {window_.get() + (offset - window_start_), n};
}

Status ImageFile::read_exact_outside_window(uint64_t offset, void* dst, size_t n, const char* what) {
  size_t got = 0;
  VTAPE_RETURN_IF_ERROR(read_some(offset, dst, n, &got));
  if (got != n) {
    return Status::corrupt(offset, fmt::format("{} of {} bytes", what, n),
                           fmt::format("end of file after {} bytes", got));
  }
  return Status::ok();
}

Status ImageFile::write_failed(int err, uint64_t offset) {
  if (err == ENOSPC || err == EDQUOT) {
    return Status::no_space(fmt::format("cannot write {} at byte {}", path_, offset));
  }
  return Status::io_error(fmt::format("cannot write {} at byte {}", path_, offset), err);
}

Status ImageFile::write_all(uint64_t offset, const uint8_t* data, size_t n, size_t* written) {
  size_t done = 0;
  if (written != nullptr) *written = 0;
  while (done < n) {
    ssize_t w = pwrite(fd_, data + done, n - done, static_cast<off_t>(offset + done));
    if (w < 0) {
      if (errno == EINTR) continue;
      return write_failed(errno, offset + done);
    }
    done += static_cast<size_t>(w);
    if (written != nullptr) *written = done;
  }
  return Status::ok();
}

Status ImageFile::write_all_vectors(uint64_t offset, ::iovec* iov, size_t count) {
  while (count > 0) {
    ssize_t w = pwritev(fd_, iov, static_cast<int>(count), static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      return write_failed(errno, offset);
    }
    offset += static_cast<uint64_t>(w);
    advance_io_vectors(&iov, &count, static_cast<size_t>(w));
  }
  return Status::ok();
}

Status ImageFile::truncate_at(uint64_t offset) {
  if (!writable_) return Status::not_supported(fmt::format("{} is open read-only", path_));
  VTAPE_RETURN_IF_ERROR(flush());
  if (guard_enabled_) {
    // Guard first, then cut: at every moment the file reads as a valid tape.
    VTAPE_RETURN_IF_ERROR(write_all(offset, guard_, sizeof guard_));
    if (ftruncate(fd_, static_cast<off_t>(offset + sizeof guard_)) != 0) {
      return Status::io_error(fmt::format("cannot truncate {} at byte {}", path_, offset), errno);
    }
  } else if (offset != size_ && ftruncate(fd_, static_cast<off_t>(offset)) != 0) {
    return Status::io_error(fmt::format("cannot truncate {} at byte {}", path_, offset), errno);
  }
  invalidate_window();
  size_ = durable_end_ = offset;
  writeback_from_ = std::min(writeback_from_, offset);
  return Status::ok();
}

Status ImageFile::append_object(std::span<const std::span<const uint8_t>> pieces) {
  if (!writable_) return Status::not_supported(fmt::format("{} is open read-only", path_));
  size_t total = 0;
  for (auto p : pieces) total += p.size();
  // Objects with more pieces than one pwritev takes here go through the
  // buffer (then flushed at once, as write-through wants).
  if (write_through_ && pending_.empty() && pieces.size() <= kMaxThroughPieces) {
    return write_object_through(pieces, total);
  }
  if (!pending_.empty() && pending_.size() + total > kWriteBufferSize) VTAPE_RETURN_IF_ERROR(flush());
  // An object larger than the buffer still goes through it whole, so that a
  // failed write can always be undone object by object.
  for (auto p : pieces) pending_.insert(pending_.end(), p.begin(), p.end());
  pending_ends_.push_back(pending_.size());
  size_ += total;
  if (write_through_ || pending_.size() >= kWriteBufferSize) return flush();
  return Status::ok();
}

Status ImageFile::write_object_through(std::span<const std::span<const uint8_t>> pieces, size_t total) {
  // A drive's record: header, data and trailer in one pwritev from where
  // they are, no copy.  Objects have a handful of pieces (an AWS record of
  // 1 MiB has 34).
  ::iovec iov[kMaxThroughPieces + 1];
  bool guarded = guard_enabled_ && total >= sizeof guard_;
  // With the end guard the first word of the object is held back: the rest
  // and a new guard go behind the old guard, and the first word over the
  // old guard makes the object part of the tape last (see flush()).
  uint8_t first_word[sizeof guard_];
  size_t skip = guarded ? sizeof guard_ : 0;
  size_t n = 0;
  for (auto p : pieces) {
    size_t from = 0;
    while (skip > 0 && from < p.size()) {
      first_word[sizeof guard_ - skip] = p[from];
      ++from;
      --skip;
    }
    if (from < p.size()) iov[n++] = ::iovec{const_cast<uint8_t*>(p.data() + from), p.size() - from};
  }
  Status s;
  if (guarded) {
    iov[n++] = ::iovec{guard_, sizeof guard_};
    s = write_all_vectors(durable_end_ + sizeof guard_, iov, n);
    if (s.is_ok()) s = write_all(durable_end_, first_word, sizeof first_word);
  } else {
    s = write_all_vectors(durable_end_, iov, n);
  }
  invalidate_window();
  if (!s.is_ok()) {
    // As flush(): the image ends after the last complete object again.
    cut_after_last_object();
    return s;
  }
  durable_end_ += total;
  size_ = durable_end_;
  start_writeback_if_due();
  return Status::ok();
}

Status ImageFile::flush() {
  if (pending_.empty()) return Status::ok();
  Status s;
  if (guard_enabled_ && pending_.size() >= sizeof guard_) {
    // Behind the old guard: the new objects but their first word, then a new
    // guard.  Last, their first word over the old guard makes them visible.
    pending_.insert(pending_.end(), guard_, guard_ + sizeof guard_);
    size_t written = 0;
    s = write_all(durable_end_ + sizeof guard_, pending_.data() + sizeof guard_,
                  pending_.size() - sizeof guard_, &written);
    pending_.resize(pending_.size() - sizeof guard_);
    if (s.is_ok()) {
      s = write_all(durable_end_, pending_.data(), sizeof guard_);
    } else {
      keep_objects_behind_guard(sizeof guard_ + written);
    }
  } else {
    size_t written = 0;
    s = write_all(durable_end_, pending_.data(), pending_.size(), &written);
    if (!s.is_ok()) {
      // A full disk: keep the whole objects that did fit (nothing a writer
      // handed over is dropped that the disk could hold).
      auto fitted = std::upper_bound(pending_ends_.begin(), pending_ends_.end(), written);
      if (fitted != pending_ends_.begin()) durable_end_ += *(fitted - 1);
    }
  }
  invalidate_window();
  pending_ends_.clear();
  if (!s.is_ok()) {
    cut_after_last_object();
    size_ = durable_end_;
    pending_.clear();
    return s;
  }
  durable_end_ += pending_.size();
  pending_.clear();
  start_writeback_if_due();
  return Status::ok();
}

void ImageFile::keep_objects_behind_guard(size_t present) {
  // pending_[0, present) is in the file but for its first word, which
  // stays in memory until the old guard is overwritten.
  auto fitted = std::upper_bound(pending_ends_.begin(), pending_ends_.end(), present);
  if (fitted == pending_ends_.begin()) return;
  size_t end = *(fitted - 1);
  // A guard after the last whole object first, then the first word over
  // the old guard: at every moment the file reads as a valid tape.
  if (!write_all(durable_end_ + end, guard_, sizeof guard_).is_ok()) return;
  if (!write_all(durable_end_, pending_.data(), sizeof guard_).is_ok()) return;
  durable_end_ += end;
}

void ImageFile::cut_after_last_object() {
  (void)ftruncate(fd_, static_cast<off_t>(durable_end_ + (guard_enabled_ ? sizeof guard_ : 0)));
}

Status ImageFile::append_copied_objects(int source_fd, uint64_t offset, std::span<const uint64_t> ends,
                                        const std::string& source_name) {
  if (ends.empty()) return Status::ok();
  uint64_t size = ends.back();
  if (!writable_) return Status::not_supported(fmt::format("{} is open read-only", path_));
  if (guard_enabled_) return Status::not_supported(fmt::format("{}: no copied objects behind an end guard", path_));
  VTAPE_RETURN_IF_ERROR(flush());
  invalidate_window();
  loff_t from = static_cast<loff_t>(offset);
  loff_t to = static_cast<loff_t>(durable_end_);
  uint64_t left = size;
  std::vector<uint8_t> buffer;  // only when the kernel cannot copy between these files
  Status s;
  while (left > 0 && s.is_ok()) {
    ssize_t n = copy_file_range(source_fd, &from, fd_, &to, left, 0);
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
      if (buffer.empty()) buffer.resize(1u << 20);
      n = pread(source_fd, buffer.data(), std::min<uint64_t>(left, buffer.size()), from);
      if (n > 0) {
        size_t written = 0;  // all of it, unless the write failed part way
        s = write_all(static_cast<uint64_t>(to), buffer.data(), static_cast<size_t>(n), &written);
        from += static_cast<loff_t>(written);
        to += static_cast<loff_t>(written);
      }
    }
    if (!s.is_ok()) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == ENOSPC || errno == EDQUOT)) s = write_failed(errno, static_cast<uint64_t>(to));
    else if (n < 0) s = Status::io_error(fmt::format("copying {} to {}", source_name, path_), errno);
    else if (n == 0) s = Status::io_error(fmt::format("{} ended at byte {} while copying", source_name, from), EIO);
    else left -= static_cast<uint64_t>(n);
  }
  if (!s.is_ok()) {
    // A full disk: the objects that did fit stay (nothing handed over is
    // dropped that the disk could hold), the torn one is cut off.
    uint64_t copied = static_cast<uint64_t>(to) - durable_end_;
    auto fitted = std::upper_bound(ends.begin(), ends.end(), copied);
    if (fitted != ends.begin()) durable_end_ += *(fitted - 1);
    size_ = durable_end_;
    cut_after_last_object();
    return s;
  }
  durable_end_ += size;
  size_ = durable_end_;
  start_writeback_if_due();
  return Status::ok();
}

void ImageFile::start_writeback_if_due() {
  if (!early_writeback_ || durable_end_ < writeback_from_ + kWritebackStep) return;
  // Best effort: sync() still waits for everything.
  (void)sync_file_range(fd_, static_cast<off64_t>(writeback_from_), static_cast<off64_t>(durable_end_ - writeback_from_),
                        SYNC_FILE_RANGE_WRITE);
  writeback_from_ = durable_end_;
}

Status ImageFile::enable_end_guard(uint32_t word) {
  if (guard_enabled_) return Status::ok();
  VTAPE_RETURN_IF_ERROR(flush());
  store_le32(guard_, word);
  VTAPE_RETURN_IF_ERROR(write_all(size_, guard_, sizeof guard_));
  if (ftruncate(fd_, static_cast<off_t>(size_ + sizeof guard_)) != 0) {
    return Status::io_error(fmt::format("cannot truncate {} at byte {}", path_, size_ + sizeof guard_), errno);
  }
  invalidate_window();
  guard_enabled_ = true;
  return Status::ok();
}

Status ImageFile::disable_end_guard() {
  if (!guard_enabled_) return Status::ok();
  VTAPE_RETURN_IF_ERROR(flush());
  if (ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
    return Status::io_error(fmt::format("cannot truncate {} at byte {}", path_, size_), errno);
  }
  invalidate_window();
  guard_enabled_ = false;
  return Status::ok();
}

Status ImageFile::sync() {
  VTAPE_RETURN_IF_ERROR(flush());
  if (writable_ && fdatasync(fd_) != 0) {
    return Status::io_error(fmt::format("cannot sync {}", path_), errno);
  }
  return Status::ok();
}

}  // namespace vtape
