#include "fuse/spool_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fuse/spool_entries.h"
#include "library/daemon_log.h"

namespace vtape {

int SpoolWriter::create(SpoolStore& store, const SpoolMetadata& meta, std::shared_ptr<SpoolWriter>* out) {
  int fd = ::open(store.library().dir().c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // A file system without O_TMPFILE: a named file, unlinked at once.
    std::string name = store.library().dir() + "/.spool-XXXXXX";
    fd = mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(name.c_str());
  }
  if (fd < 0) {
    int e = errno;
    log_message(LogPriority::kError, LogFields{}.with_errno(e),
                fmt::format("spool: cannot make a temporary file in {}", store.library().dir()));
    return -e;
  }
  out->reset(new SpoolWriter(store, meta, fd));
  return 0;
}

SpoolWriter::~SpoolWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void SpoolWriter::log(const std::string& what) const {
  log_message(LogPriority::kError,
              fmt::format("spool/{}/{}/{}: {}", meta_.owner, spool_queue_name(meta_.queue), meta_.name_type(), what));
  store_.log_event("spool-error", fmt::format("{} {} {}: {}", meta_.owner, spool_queue_name(meta_.queue),
                                              meta_.name_type(), what));
}

int SpoolWriter::write(const char* buf, size_t size, uint64_t offset) {
  std::lock_guard lock(mu_);
  if (meta_.device == SpoolDevice::kPunch) {
    if (offset != size_) checked_so_far_ = false;
    if (checked_so_far_ && !punch_lines_fit(std::string_view(buf, size), &punch_column_)) {
      log(fmt::format("a punch line is longer than a card ({} bytes); the file will not be spooled", kCardLength));
      refused_ = true;
      return -EINVAL;
    }
  }
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(fd_, buf + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    done += static_cast<size_t>(n);
  }
  size_ = std::max<uint64_t>(size_, offset + size);
  dirty_ = true;
  return static_cast<int>(size);
}

Status SpoolWriter::split_content(const SpoolRecordSink& put, SpoolMetadata* m) const {
  constexpr size_t kChunk = 1 << 20;
  SpoolRecordSplitter split(meta_.device);
  std::vector<char> buf(kChunk);
  uint64_t at = 0;
  while (at < size_) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, size_ - at));
    ssize_t n = ::pread(fd_, buf.data(), want, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::io_error("reading back what was written", n < 0 ? errno : EIO);
    VTAPE_RETURN_IF_ERROR(split.feed(std::string_view(buf.data(), static_cast<size_t>(n)), put));
    at += static_cast<uint64_t>(n);
  }
  return split.finish(put, m);
}

int SpoolWriter::archive_locked() {
  // Two passes over the temporary file, a piece at a time, so that memory
  // stays small whatever was written: the first gives the record fields
  // the header needs, the second the records as they go onto the tape.
  SpoolMetadata m = meta_;
  Status s = split_content([](std::string_view) { return Status::ok(); }, &m);
  if (s.is_ok()) {
    m.closed_us = now_microseconds();
    SpoolRecordSource records = [&](const SpoolRecordSink& put) {
      SpoolMetadata again = m;
      return split_content(put, &again);
    };
    if (row_) {
      s = store_.rearchive(m, records, &*row_);
    } else {
      SpoolFileRow row;
      s = store_.archive(m, records, &row);
      if (s.is_ok()) row_ = row;
    }
  }
  if (!s.is_ok()) {
    log(fmt::format("not archived: {}", s.message()));
    return -spool_errno(s);
  }
  meta_ = row_->meta;
  dirty_ = false;
  return 0;
}

int SpoolWriter::flush() {
  std::lock_guard lock(mu_);
  if (refused_) return -EINVAL;
  // Nothing written yet: a shell closes the descriptor it opened after
  // dup2()ing it to standard output.  An empty file is archived at release.
  if (!dirty_ || (size_ == 0 && !row_)) return 0;
  return archive_locked();
}

void SpoolWriter::release() {
  std::lock_guard lock(mu_);
  if (refused_ || !dirty_) return;
  (void)archive_locked();
}

struct stat SpoolWriter::stat() const {
  std::lock_guard lock(mu_);
  struct stat st {};
  SpoolMetadata m = meta_;
  m.content_bytes = size_;
  spool_file_stat(&st, m, store_.library());
  return st;
}

int SpoolWriter::getxattr(const std::string& name, std::string* value) const {
  std::lock_guard lock(mu_);
  return spool_getxattr(meta_, name, value);
}

int SpoolWriter::setxattr(const std::string& name, const std::string& value) {
  std::lock_guard lock(mu_);
  SpoolMetadata m = meta_;
  std::string why;
  if (int e = spool_setxattr(m, name, value, &why); e != 0) {
    log(why);
    return e;
  }
  meta_ = m;
  if (row_) {
    // Already archived: the catalog keeps the new value.
    row_->meta = m;
    if (Status s = store_.update(*row_); !s.is_ok()) {
      log(s.message());
      return -spool_errno(s);
    }
  }
  return 0;
}

}  // namespace vtape
