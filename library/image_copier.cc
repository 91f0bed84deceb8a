#include "library/image_copier.h"

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

namespace vtape {
namespace {

// A checkpoint at least every this many bytes of source, so that a cut
// copies again at most this much (besides the tape file it falls in).
constexpr uint64_t kCheckpointBytes = 16u << 20;

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
}

void ImageCopier::resume_at(const Checkpoint& at) {
  at_ = at;
  target_->set_position(at.target);
  checkpoints_.assign(1, at);
  records_high_water_ = at.records;
}

void ImageCopier::maybe_checkpoint(bool filemark) {
  if (filemark || at_.source.offset - checkpoints_.back().source.offset >= kCheckpointBytes) {
    checkpoints_.push_back(at_);
  }
}

CopyCounts ImageCopier::counts() const {
  CopyCounts c;
  c.bytes_read = counts_.bytes_read.load(std::memory_order_relaxed);
  c.records_copied = counts_.records_copied.load(std::memory_order_relaxed);
  c.records_recopied = counts_.records_recopied.load(std::memory_order_relaxed);
  c.filemarks_copied = counts_.filemarks_copied.load(std::memory_order_relaxed);
  return c;
}

void ImageCopier::note_object(bool filemark, std::optional<uint64_t> source_end) {
  at_.target = target_->position();
  at_.source.object_index += 1;
  if (source_end) at_.source.offset = *source_end;
  if (filemark) {
    ++at_.source.file;
    at_.source.block = 0;
    counts_.filemarks_copied.fetch_add(1, std::memory_order_relaxed);
  } else {
    if (at_.source.block >= 0) ++at_.source.block;
    ++at_.records;
    counts_.records_copied.fetch_add(1, std::memory_order_relaxed);
    if (at_.records <= records_high_water_) counts_.records_recopied.fetch_add(1, std::memory_order_relaxed);
    records_high_water_ = std::max(records_high_water_, at_.records);
  }
  if (source_end) maybe_checkpoint(filemark);
}

Status ImageCopier::copy_until(uint64_t limit, const std::atomic<bool>* stop) {
  if (at_.source.offset >= limit) return Status::ok();
  // A descriptor of our own, opened now: it sees the source as large as
  // it is now (the writer flushed up to `limit` before).
  OpenOptions options;
  options.format = source_format_;
  VTAPE_RETURN_IF_ERROR(TapeImage::open(source_path_, options, &source_));
  source_->set_position(at_.source);
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
    counts_.bytes_read.fetch_add(source_->position().offset - before, std::memory_order_relaxed);
    Status s = obj.kind == ObjectKind::kFilemark ? target_->write_filemark() : target_->write_record(buffer_);
    if (!s.is_ok()) {
      result = naming(*target_, s);
      break;
    }
    note_object(obj.kind == ObjectKind::kFilemark, source_->position().offset);
  }
  source_.reset();
  return result;
}

Status ImageCopier::cut_at(uint64_t object_index) {
  if (object_index >= at_.source.object_index) return Status::ok();
  while (checkpoints_.size() > 1 && checkpoints_.back().source.object_index > object_index) checkpoints_.pop_back();
  at_ = checkpoints_.back();
  VTAPE_RETURN_IF_ERROR(target_->flush());
  target_->set_position(at_.target);
  return target_->erase_to_end();
}

Status ImageCopier::append_record(std::span<const uint8_t> data) {
  if (Status s = target_->write_record(data); !s.is_ok()) return naming(*target_, s);
  note_object(false, std::nullopt);
  return Status::ok();
}

Status ImageCopier::append_filemark() {
  if (Status s = target_->write_filemark(); !s.is_ok()) return naming(*target_, s);
  note_object(true, std::nullopt);
  return Status::ok();
}

Status ImageCopier::sync() {
  Status s = target_->flush();
  if (s.is_ok()) s = target_->sync();
  return s.is_ok() ? s : naming(*target_, s);
}

}  // namespace vtape
