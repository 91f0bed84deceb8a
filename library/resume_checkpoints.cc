#include "library/resume_checkpoints.h"

#include <memory>

#include <fmt/format.h>

#include "tapeformat/tape_image.h"

namespace vtape {
namespace {

const char* kind_name(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kRecord: return "a record";
    case ObjectKind::kFilemark: return "a filemark";
    case ObjectKind::kEndOfData: return "the end of the tape";
    case ObjectKind::kBeginningOfTape: return "the beginning of the tape";
  }
  return "?";
}

Status open_for_reading(const std::string& path, Format format, std::unique_ptr<TapeImage>* out) {
  OpenOptions options;
  options.format = format;
  return TapeImage::open(path, options, out);
}

}  // namespace

Status find_resume_checkpoints(const std::string& source_path, Format source_format, const std::string& target_path,
                               Format target_format, const ImageCopier::Checkpoint& resume,
                               std::vector<ImageCopier::Checkpoint>* out) {
  out->clear();
  std::unique_ptr<TapeImage> source, target;
  VTAPE_RETURN_IF_ERROR(open_for_reading(source_path, source_format, &source));
  VTAPE_RETURN_IF_ERROR(open_for_reading(target_path, target_format, &target));
  ImageCopier::Checkpoint at;
  at.source = source->position();
  at.target = target->position();
  out->push_back(at);  // BOT
  while (at.source.object_index < resume.source.object_index) {
    TapeObject in, copied;
    if (Status s = source->read(&in, nullptr); !s.is_ok()) return Status::invalid_argument(source->describe(s));
    if (Status s = target->read(&copied, nullptr); !s.is_ok()) return Status::invalid_argument(target->describe(s));
    if (in.kind != copied.kind || in.kind == ObjectKind::kEndOfData) {
      return Status::invalid_argument(fmt::format(
          "{} has {} at byte {} (object {}) where its copy {} has {} at byte {}: the tape changed since the "
          "interrupted migration copied it",
          source_path, kind_name(in.kind), in.offset, at.source.object_index, target_path, kind_name(copied.kind),
          copied.offset));
    }
    at.source = source->position();
    at.target = target->position();
    if (in.kind == ObjectKind::kRecord) ++at.records;
    // A tape file begins after each filemark; the resume point itself is
    // the copier's own checkpoint.
    if (in.kind == ObjectKind::kFilemark && at.source.object_index < resume.source.object_index) out->push_back(at);
  }
  if (at.source.offset != resume.source.offset || at.target.offset != resume.target.offset) {
    return Status::invalid_argument(fmt::format(
        "object {} is at byte {} of {} and byte {} of {}, the migration's state says bytes {} and {}: the tape "
        "changed since the interrupted migration copied it",
        resume.source.object_index, at.source.offset, source_path, at.target.offset, target_path,
        resume.source.offset, resume.target.offset));
  }
  return Status::ok();
}

}  // namespace vtape
