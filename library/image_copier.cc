#include "library/image_copier.h"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

namespace vtape {
namespace {

// A checkpoint at least every this many bytes of source, so that a cut
// copies again at most this much (besides the tape file it falls in).
constexpr uint64_t kCheckpointBytes = 16u << 20;
// A raw copy writes this much at a time (and hands it to the disk at once,
// so that the sync at the end waits for the last piece only).
constexpr size_t kRawChunk = 8u << 20;
// The longest record a HET chunk holds (its length is 16 bits).
constexpr uint64_t kHetChunkMax = 65535;

// The error with the image it concerns named; a full file system stays
// kNoSpace, so the caller can say that is what went wrong.
Status naming(const TapeImage& image, const Status& s) {
  if (s.code() == StatusCode::kNoSpace || s.sys_errno() == ENOSPC) return Status::no_space(image.path());
  return Status::invalid_argument(image.describe(s));
}

}  // namespace

ImageCopier::ImageCopier(std::string source_path, Format source_format, std::unique_ptr<TapeImage> target)
    : source_path_(std::move(source_path)), source_format_(source_format), target_(std::move(target)) {
  at_.target = target_->position();
  checkpoints_.push_back(at_);
  note_file_start(0);
  // The copy's pages head for the disk as they are written: few dirty
  // pages keep the kernel from throttling the writes (the writer's among
  // them, in the synchronous phase), and each sync has little left to do.
  target_->set_early_writeback(true);
}

void ImageCopier::resume_at(const Checkpoint& at, const std::vector<Checkpoint>& earlier) {
  at_ = at;
  target_->set_position(at.target);
  checkpoints_.clear();
  file_starts_.clear();
  for (const Checkpoint& c : earlier) {
    if (c.source.object_index >= at.source.object_index) break;
    checkpoints_.push_back(c);
    if (c.source.block == 0) file_starts_.push_back(FileStart{c.source.file, c.source.offset, c.target.offset});
  }
  checkpoints_.push_back(at);
  records_high_water_ = at.records;
  digest_.reset();
  verified_.clear();
  if (at.source.block == 0) note_file_start(at.source.offset);
}

void ImageCopier::note_file_start(uint64_t source_offset) {
  file_starts_.push_back(FileStart{at_.source.file, source_offset, at_.target.offset});
}

void ImageCopier::expect_digests(std::map<uint64_t, ExpectedDigest> digests) {
  expected_ = std::move(digests);
  start_file_digest();
}

void ImageCopier::start_file_digest() {
  digest_.reset();
  // Only from the start of a tape file (not from a resume point in one).
  if (at_.source.block != 0) return;
  auto e = expected_.find(at_.source.file);
  if (e != expected_.end()) digest_.emplace(e->second.algorithm);
}

Status ImageCopier::check_file_digest(uint64_t filemark_offset) {
  if (!digest_) return Status::ok();
  const ExpectedDigest& want = expected_.at(at_.source.file);
  std::string got = digest_->hex_digest();
  digest_.reset();
  if (got != want.hex) {
    uint64_t begins = file_starts_.empty() ? 0 : file_starts_.back().source_offset;
    return Status::invalid_argument(fmt::format(
        "{}: tape file {} (bytes {} to {}) has {} {}, the catalog says {}", source_path_, at_.source.file, begins,
        filemark_offset, digest_name(want.algorithm), got, want.hex));
  }
  verified_.insert(at_.source.file);
  return Status::ok();
}

void ImageCopier::maybe_checkpoint(bool filemark) {
  if (filemark || at_.source.offset - checkpoints_.back().source.offset >= kCheckpointBytes) {
    checkpoints_.push_back(at_);
  }
}

void ImageCopier::note_object(bool filemark, std::optional<uint64_t> source_end, const TapePosition& target_at) {
  at_.target = target_at;
  at_.source.object_index += 1;
  if (source_end) at_.source.offset = *source_end;
  if (filemark) {
    ++at_.source.file;
    at_.source.block = 0;
    ++counts_.filemarks_copied;
  } else {
    if (at_.source.block >= 0) ++at_.source.block;
    ++at_.records;
    ++counts_.records_copied;
    if (at_.records <= records_high_water_) ++counts_.records_recopied;
    records_high_water_ = std::max(records_high_water_, at_.records);
  }
  if (source_end) maybe_checkpoint(filemark);
  if (filemark && source_end) note_file_start(*source_end);
  if (filemark) start_file_digest();
}

bool ImageCopier::can_copy_raw() {
  if (target_->format() != source_format_ || at_.target.offset != at_.source.offset) return false;
  return target_->flush().is_ok() && target_->size() == at_.target.offset;
}

Status ImageCopier::take_raw(uint64_t from, uint64_t to) {
  // The reader reads on from where it stood, so the range stays whole;
  // whatever the codec stepped over before an object (a gap) goes too, so
  // that offsets stay alike.
  if (from != raw_end_) {
    VTAPE_RETURN_IF_ERROR(write_raw());
    raw_at_ = raw_end_ = from;
  }
  raw_end_ = to;
  return raw_end_ - raw_at_ >= kRawChunk ? write_raw() : Status::ok();
}

Status ImageCopier::copy_range_through_buffer(uint64_t from, uint64_t length) {
  std::vector<uint8_t> chunk(std::min<uint64_t>(length, 1u << 20));
  while (length > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(length, chunk.size()));
    ssize_t got = ::pread(raw_source_fd_, chunk.data(), n, static_cast<off_t>(from));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      return Status::io_error(fmt::format("cannot read {} at byte {}", source_path_, from), got < 0 ? errno : EIO);
    }
    size_t done = 0;
    while (done < static_cast<size_t>(got)) {
      ssize_t w = ::pwrite(raw_fd_, chunk.data() + done, static_cast<size_t>(got) - done,
                           static_cast<off_t>(from + done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == ENOSPC) return Status::no_space(target_->path());
      if (w < 0) return Status::io_error(fmt::format("cannot write {} at byte {}", target_->path(), from + done), errno);
      done += static_cast<size_t>(w);
    }
    from += static_cast<uint64_t>(got);
    length -= static_cast<uint64_t>(got);
  }
  return Status::ok();
}

Status ImageCopier::write_raw() {
  uint64_t start = raw_at_;
  while (raw_at_ < raw_end_) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(raw_end_ - raw_at_, 1u << 30));
    ssize_t n = -1;
    if (raw_method_ == 0) {
      loff_t in = static_cast<loff_t>(raw_at_), out = static_cast<loff_t>(raw_at_);
      n = ::copy_file_range(raw_source_fd_, &in, raw_fd_, &out, want, 0);
      if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
        raw_method_ = 1;  // across file systems: the kernel's splice
        continue;
      }
    } else if (raw_method_ == 1) {
      off_t in = static_cast<off_t>(raw_at_);
      if (::lseek(raw_fd_, static_cast<off_t>(raw_at_), SEEK_SET) < 0) return Status::io_error(target_->path(), errno);
      n = ::sendfile(raw_fd_, raw_source_fd_, &in, want);
      if (n < 0 && (errno == EINVAL || errno == ENOSYS)) {
        raw_method_ = 2;
        continue;
      }
    } else {
      VTAPE_RETURN_IF_ERROR(copy_range_through_buffer(raw_at_, want));
      n = static_cast<ssize_t>(want);
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOSPC) return Status::no_space(target_->path());
    if (n < 0) {
      return Status::io_error(fmt::format("cannot copy {} to {} at byte {}", source_path_, target_->path(), raw_at_),
                              errno);
    }
    if (n == 0) {
      return Status::io_error(
          fmt::format("{} ends before byte {} that the copy read", source_path_, raw_end_), EIO);
    }
    raw_at_ += static_cast<uint64_t>(n);
  }
  // Written back as the copy goes, so that the sync before the switch has
  // little left to do.
  if (raw_at_ > start) {
    ::sync_file_range(raw_fd_, static_cast<off_t>(start), static_cast<off_t>(raw_at_ - start), SYNC_FILE_RANGE_WRITE);
  }
  return Status::ok();
}

Status ImageCopier::reopen_target() {
  OpenOptions options;
  options.writable = true;
  options.format = target_->format();
  std::unique_ptr<TapeImage> reopened;
  VTAPE_RETURN_IF_ERROR(TapeImage::open(target_->path(), options, &reopened));
  reopened->set_position(at_.target);
  reopened->set_early_writeback(true);
  target_ = std::move(reopened);
  return Status::ok();
}

Status ImageCopier::copy_until(uint64_t limit, const std::atomic<bool>* stop) {
  if (at_.source.offset >= limit) return Status::ok();
  // A descriptor of our own, opened now: it sees the source as large as
  // it is now (the writer flushed up to `limit` before).
  OpenOptions options;
  options.format = source_format_;
  VTAPE_RETURN_IF_ERROR(TapeImage::open(source_path_, options, &source_));
  source_->set_position(at_.source);
  bool raw = can_copy_raw();
  if (raw) {
    // A descriptor of the target's own: the image's buffers are bypassed,
    // and the target is opened again at the end.
    raw_fd_ = ::open(target_->path().c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (raw_fd_ < 0) return Status::io_error(fmt::format("cannot open {}", target_->path()), errno);
    raw_source_fd_ = ::open(source_path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (raw_source_fd_ < 0) {
      int e = errno;
      ::close(raw_fd_);
      raw_fd_ = -1;
      return Status::io_error(fmt::format("cannot open {}", source_path_), e);
    }
    raw_at_ = raw_end_ = at_.target.offset;
  }
  Status result = Status::ok();
  while (source_->position().offset < limit) {
    if (stop != nullptr && stop->load()) {
      result = Status::invalid_argument("the migration was stopped");
      break;
    }
    TapeObject obj;
    uint64_t before = source_->position().offset;
    if (Status s = source_->read(&obj, &buffer_); !s.is_ok()) {
      result = naming(*source_, s);
      break;
    }
    if (obj.kind == ObjectKind::kEndOfData) {
      result = Status::invalid_argument(fmt::format("{}: the tape ends at byte {}, before byte {} that its drive had written",
                                           source_path_, before, limit));
      break;
    }
    counts_.bytes_read += source_->position().offset - before;
    pace_.after(source_->position().offset - before, stop);
    bool filemark = obj.kind == ObjectKind::kFilemark;
    if (filemark) {
      if (Status s = check_file_digest(before); !s.is_ok()) {
        result = s;
        break;
      }
    } else {
      if (digest_) digest_->update(buffer_);
      if (obj.length > kHetChunkMax) ++counts_.records_over_64k;
    }
    Status s;
    if (raw) {
      s = take_raw(before, source_->position().offset);
    } else {
      s = filemark ? target_->write_filemark() : target_->write_record(buffer_);
      if (!s.is_ok()) s = naming(*target_, s);
    }
    if (!s.is_ok()) {
      result = s;
      break;
    }
    note_object(filemark, source_->position().offset, raw ? source_->position() : target_->position());
  }
  source_.reset();
  if (raw) {
    // The objects taken so far are whole: they go to the target even when
    // the copy stopped early.
    Status s = write_raw();
    ::close(raw_fd_);
    ::close(raw_source_fd_);
    raw_fd_ = raw_source_fd_ = -1;
    if (s.is_ok()) s = reopen_target();
    if (!s.is_ok()) return s;
  }
  return result;
}

Status ImageCopier::cut_at(uint64_t object_index) {
  if (object_index >= at_.source.object_index) {
    // Not copied yet, but in the tape file the copy is in or after it:
    // their rows in the catalog are written anew.
    expected_.erase(expected_.lower_bound(at_.source.file), expected_.end());
    digest_.reset();
    return Status::ok();
  }
  while (checkpoints_.size() > 1 && checkpoints_.back().source.object_index > object_index) checkpoints_.pop_back();
  at_ = checkpoints_.back();
  while (!file_starts_.empty() && file_starts_.back().file > at_.source.file) file_starts_.pop_back();
  // The catalog's rows of these tape files are written anew.
  expected_.erase(expected_.lower_bound(at_.source.file), expected_.end());
  verified_.erase(verified_.lower_bound(at_.source.file), verified_.end());
  digest_.reset();
  VTAPE_RETURN_IF_ERROR(target_->flush());
  target_->set_position(at_.target);
  return target_->erase_to_end();
}

Status ImageCopier::append_record(std::span<const uint8_t> data) {
  if (Status s = target_->write_record(data); !s.is_ok()) return naming(*target_, s);
  if (data.size() > kHetChunkMax) ++counts_.records_over_64k;
  // The writer's records are not checked here (the check after the switch
  // reads them back).
  digest_.reset();
  note_object(false, std::nullopt, target_->position());
  return Status::ok();
}

Status ImageCopier::append_filemark(uint64_t source_after) {
  if (Status s = target_->write_filemark(); !s.is_ok()) return naming(*target_, s);
  digest_.reset();
  note_object(true, std::nullopt, target_->position());
  note_file_start(source_after);
  return Status::ok();
}

Status ImageCopier::flush() {
  Status s = target_->flush();
  return s.is_ok() ? s : naming(*target_, s);
}

Status ImageCopier::sync() {
  Status s = target_->flush();
  if (s.is_ok()) s = target_->sync();
  return s.is_ok() ? s : naming(*target_, s);
}

}  // namespace vtape
