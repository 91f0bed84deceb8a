#include "tapeformat/direct_writer.h"

#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include <fmt/format.h>

namespace vtape {

namespace {

// Local file systems whose direct and cached I/O of one file see each other
// (a direct write drops the cached pages it covers, the size is the
// inode's).  Elsewhere (FUSE, network file systems) the page cache path is
// kept: a read through the cache might not see what went around it.
bool direct_io_is_coherent(int fd) {
  struct statfs fs {};
  if (fstatfs(fd, &fs) != 0) return false;
  switch (static_cast<uint64_t>(fs.f_type)) {
    case 0xEF53:      // ext2/3/4
    case 0x58465342:  // xfs
    case 0x9123683E:  // btrfs
    case 0x01021994:  // tmpfs
    case 0xF2F52010:  // f2fs
      return true;
    default:
      return false;
  }
}

}  // namespace

std::unique_ptr<DirectWriter> DirectWriter::open(int fd, const std::string& path, uint64_t end) {
  if (!direct_io_is_coherent(fd)) return nullptr;
  // A second open file description of the same file, with O_DIRECT: the
  // first keeps serving reads and the unaligned edges through the cache.
  std::string self = fmt::format("/proc/self/fd/{}", fd);
  int direct_fd = ::open(self.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
  if (direct_fd < 0) return nullptr;  // EINVAL: this file system takes no O_DIRECT
  return std::unique_ptr<DirectWriter>(new DirectWriter(fd, direct_fd, path, end));
}

DirectWriter::DirectWriter(int fd, int direct_fd, std::string path, uint64_t end)
    : fd_(fd), direct_fd_(direct_fd), path_(std::move(path)), completed_end_(end) {
  thread_ = std::thread([this] { run(); });
}

DirectWriter::~DirectWriter() {
  {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return !queued_ && !busy_; });
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
  ::close(direct_fd_);
}

Status DirectWriter::submit(Batch&& batch, AlignedBytes* spare) {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return !queued_; });
  if (!error_.is_ok()) return error_;
  queued_ = std::move(batch);
  *spare = std::move(spare_);
  spare_ = AlignedBytes();
  lock.unlock();
  changed_.notify_all();
  return Status::ok();
}

Status DirectWriter::wait() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return !queued_ && !busy_; });
  return error_;
}

uint64_t DirectWriter::completed_end() const {
  std::lock_guard lock(mu_);
  return completed_end_;
}

void DirectWriter::clear_error() {
  std::lock_guard lock(mu_);
  error_ = Status::ok();
}

void DirectWriter::restart_at(uint64_t end) {
  std::lock_guard lock(mu_);
  completed_end_ = end;
}

void DirectWriter::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return queued_.has_value() || stopping_; });
    if (!queued_) return;  // stopping, nothing left
    Batch batch = std::move(*queued_);
    queued_.reset();
    busy_ = true;
    bool skip = !error_.is_ok();  // after a failure nothing more is written
    lock.unlock();
    changed_.notify_all();  // the caller may queue the next batch meanwhile
    uint64_t kept_end = 0;
    Status s = skip ? Status::ok() : write_batch(batch, &kept_end);
    lock.lock();
    busy_ = false;
    if (!s.is_ok()) {
      error_ = s;
      completed_end_ = kept_end;
    } else if (!skip) {
      completed_end_ = batch.end_after;
    }
    batch.bytes.clear();
    spare_ = std::move(batch.bytes);
    changed_.notify_all();
  }
}

Status DirectWriter::write_batch(const Batch& batch, uint64_t* kept_end) {
  {
    std::lock_guard lock(mu_);
    *kept_end = completed_end_;
  }
  size_t done = 0;
  Status s = write_region(batch.offset + batch.skip, batch.bytes.data() + batch.skip, batch.bytes.size() - batch.skip,
                          &done);
  if (s.is_ok() && batch.last_size > 0) {
    size_t last_done = 0;
    s = write_all(fd_, batch.last_offset, batch.last, batch.last_size, &last_done);
    if (s.is_ok()) return s;
    done = 0;  // the objects never became part of the tape
  }
  if (s.is_ok()) return s;
  // The whole objects among what did reach the file stay (a full disk then
  // keeps every record that fitted, as ImageFile::flush does).
  size_t present = batch.skip + done;
  auto fitted = std::upper_bound(batch.object_ends.begin(), batch.object_ends.end(), present);
  if (fitted == batch.object_ends.begin()) return s;
  size_t end = *(fitted - 1);
  if (batch.last_size > 0) {
    // Behind the end guard: a guard after them, then their first word over
    // the old guard.  The new guard's bytes end the batch.
    const uint8_t* guard = batch.bytes.data() + batch.bytes.size() - batch.last_size;
    size_t ignored = 0;
    if (!write_all(fd_, batch.offset + end, guard, batch.last_size, &ignored).is_ok()) return s;
    if (!write_all(fd_, batch.last_offset, batch.last, batch.last_size, &ignored).is_ok()) return s;
  }
  *kept_end = batch.offset + end;
  return s;
}

Status DirectWriter::write_region(uint64_t offset, const uint8_t* data, size_t n, size_t* done) {
  *done = 0;
  uint64_t end = offset + n;
  uint64_t first_block = (offset + kDirectAlignment - 1) / kDirectAlignment * kDirectAlignment;
  uint64_t last_block = end / kDirectAlignment * kDirectAlignment;
  if (first_block >= last_block) return write_all(fd_, offset, data, n, done);
  // Head, aligned middle, tail: in this order, so that what is written is
  // always one run from the start.
  struct Part {
    int fd;
    uint64_t from, to;
  } parts[] = {{fd_, offset, first_block}, {direct_fd_, first_block, last_block}, {fd_, last_block, end}};
  for (const Part& p : parts) {
    if (p.to == p.from) continue;
    size_t part_done = 0;
    Status s = write_all(p.fd, p.from, data + (p.from - offset), p.to - p.from, &part_done);
    *done += part_done;
    if (!s.is_ok()) return s;
  }
  return Status::ok();
}

Status DirectWriter::write_all(int fd, uint64_t offset, const uint8_t* data, size_t n, size_t* done) {
  *done = 0;
  while (*done < n) {
    ssize_t w = pwrite(fd, data + *done, n - *done, static_cast<off_t>(offset + *done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EINVAL && fd == direct_fd_) {
      // The file system refused this direct write after all: the page cache.
      size_t rest = 0;
      Status s = write_all(fd_, offset + *done, data + *done, n - *done, &rest);
      *done += rest;
      return s;
    }
    if (w <= 0) {
      int err = w < 0 ? errno : EIO;
      std::string what = fmt::format("cannot write {} at byte {}", path_, offset + *done);
      if (err == ENOSPC || err == EDQUOT) return Status::no_space(what);
      return Status::io_error(what, err);
    }
    *done += static_cast<size_t>(w);
  }
  return Status::ok();
}

}  // namespace vtape
