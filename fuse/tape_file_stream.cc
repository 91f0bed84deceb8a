#include "fuse/tape_file_stream.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace vtape {
namespace {

// Boundaries a stream keeps for itself, so that reads a little out of order
// (the kernel's read-ahead) go back to the exact record.
constexpr size_t kRecentLimit = 2 * RecordIndex::kStride;

const char* object_name(ObjectKind k) {
  switch (k) {
    case ObjectKind::kRecord: return "a record";
    case ObjectKind::kFilemark: return "a filemark";
    case ObjectKind::kEndOfData: return "the end of data";
    case ObjectKind::kBeginningOfTape: return "the beginning of tape";
  }
  return "something else";
}

}  // namespace

RecordIndex::RecordIndex(uint64_t first_image_offset) {
  frontier_ = Boundary{0, 0, first_image_offset};
  checkpoints_.push_back(frontier_);
}

RecordIndex::Boundary RecordIndex::nearest(uint64_t offset) const {
  std::lock_guard lock(mu_);
  auto it = std::upper_bound(checkpoints_.begin(), checkpoints_.end(), offset,
                             [](uint64_t o, const Boundary& b) { return o < b.stream_offset; });
  Boundary best = it == checkpoints_.begin() ? checkpoints_.front() : *std::prev(it);
  if (frontier_.stream_offset <= offset && frontier_.record > best.record) best = frontier_;
  return best;
}

void RecordIndex::learn(const Boundary& b) {
  std::lock_guard lock(mu_);
  if (b.record % kStride == 0 && b.record / kStride == checkpoints_.size()) checkpoints_.push_back(b);
  if (b.record > frontier_.record) frontier_ = b;
}

size_t RecordIndex::checkpoints() const {
  std::lock_guard lock(mu_);
  return checkpoints_.size();
}

Status TapeFileStream::open(const TapeFileLocation& location, std::shared_ptr<RecordIndex> index,
                            std::unique_ptr<TapeFileStream>* out) {
  std::unique_ptr<TapeFileStream> s(new TapeFileStream());
  OpenOptions options;
  options.format = location.format;
  VTAPE_RETURN_IF_ERROR(TapeImage::open(location.image_path, options, &s->image_));
  s->location_ = location;
  s->index_ = index ? std::move(index) : std::make_shared<RecordIndex>(location.image_offset);
  s->at_ = RecordIndex::Boundary{0, 0, location.image_offset};
  s->image_->seek_to_offset(location.image_offset);
  *out = std::move(s);
  return Status::ok();
}

Status TapeFileStream::position_for(uint64_t offset) {
  RecordIndex::Boundary best = index_->nearest(offset);
  auto it = std::upper_bound(recent_.begin(), recent_.end(), offset,
                             [](uint64_t o, const RecordIndex::Boundary& b) { return o < b.stream_offset; });
  if (it != recent_.begin() && std::prev(it)->record > best.record) best = *std::prev(it);
  if (at_.stream_offset <= offset && at_.record >= best.record) return Status::ok();  // read on from here
  image_->seek_to_offset(best.image_offset);
  at_ = best;
  return Status::ok();
}

void TapeFileStream::pass(uint64_t length) {
  at_ = RecordIndex::Boundary{at_.record + 1, at_.stream_offset + length, image_->position().offset};
  ++walked_;
  index_->learn(at_);
  if (recent_.empty() || recent_.back().record < at_.record) {
    recent_.push_back(at_);
    if (recent_.size() > kRecentLimit) recent_.erase(recent_.begin(), recent_.begin() + kRecentLimit / 2);
  }
}

Status TapeFileStream::next_record(uint64_t target) {
  // Only a record that may hold the target is read with its data; others
  // are passed by their headers.
  bool with_data = location_.largest == 0 || target < at_.stream_offset + location_.largest;
  TapeObject obj;
  if (with_data) have_record_ = false;
  VTAPE_RETURN_IF_ERROR(image_->read(&obj, with_data ? &record_ : nullptr));
  if (obj.kind == ObjectKind::kRecord && !with_data &&
      (obj.compressed || target < at_.stream_offset + obj.length)) {
    // A compressed record's length is only known once decompressed; and a
    // record longer than the catalog's largest (a catalog out of step)
    // must not be passed over.
    image_->seek_to_offset(obj.offset);
    have_record_ = false;
    with_data = true;
    VTAPE_RETURN_IF_ERROR(image_->read(&obj, &record_));
  }
  if (obj.kind != ObjectKind::kRecord) {
    return Status::corrupt(obj.offset,
                           fmt::format("record {} of the tape file (the catalog says it holds {} bytes, {} read)",
                                       at_.record, location_.bytes, at_.stream_offset),
                           object_name(obj.kind));
  }
  uint64_t length = with_data ? record_.size() : obj.length;
  if (with_data) {
    record_start_ = at_.stream_offset;
    have_record_ = true;
  }
  pass(length);
  return Status::ok();
}

Status TapeFileStream::read(uint64_t offset, size_t n, uint8_t* dst, size_t* got) {
  std::lock_guard lock(mu_);
  *got = 0;
  if (offset >= location_.bytes) return Status::ok();
  n = static_cast<size_t>(std::min<uint64_t>(n, location_.bytes - offset));
  while (*got < n) {
    uint64_t pos = offset + *got;
    if (have_record_ && pos >= record_start_ && pos - record_start_ < record_.size()) {
      size_t from = static_cast<size_t>(pos - record_start_);
      size_t take = std::min(n - *got, record_.size() - from);
      std::memcpy(dst + *got, record_.data() + from, take);
      *got += take;
      continue;
    }
    VTAPE_RETURN_IF_ERROR(position_for(pos));
    VTAPE_RETURN_IF_ERROR(next_record(pos));
  }
  return Status::ok();
}

}  // namespace vtape
