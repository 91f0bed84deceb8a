#include "tools/restore_replay.h"

#include <fmt/format.h>

#include "index/crc32c.h"
#include "tapeformat/tape_image.h"
#include "tapeformat/tape_motion.h"
#include "tools/background_sha256.h"

namespace vtape {
namespace {

// Checks one tape file as its records go by.
class FileCheck {
 public:
  FileCheck(const RestorePlan& plan, uint64_t file, BackgroundSha256& sha) : file_(file), sha_(sha) {
    auto row = plan.cataloged.find(file);
    if (row != plan.cataloged.end()) expected_ = &row->second;
    auto crcs = plan.record_checksums.find(file);
    if (crcs != plan.record_checksums.end()) crcs_ = &crcs->second;
  }

  bool checked() const { return expected_ != nullptr; }
  uint64_t records() const { return records_; }

  void record(std::span<const uint8_t> data, uint64_t image_offset) {
    if (!expected_) {
      ++records_;
      return;
    }
    sha_.update(data);
    if (crcs_ && !first_bad_record_ && records_ < crcs_->size()) {
      uint32_t crc = crc32c(data);
      if (crc != (*crcs_)[records_]) {
        first_bad_record_ = records_;
        bad_offset_ = image_offset;
        bad_crc_ = fmt::format("CRC-32C {:08x}, the catalog has {:08x}", crc, (*crcs_)[records_]);
      }
    }
    ++records_;
  }

  // The mismatch, if the file differs from what the catalog recorded.
  std::optional<ChecksumMismatch> finish() {
    if (!expected_) return std::nullopt;
    ChecksumMismatch m;
    m.file = file_;
    m.record = first_bad_record_;
    m.image_offset = bad_offset_;
    std::string digest = sha_.hex_digest();
    if (records_ != expected_->records) {
      m.what = fmt::format("the catalog records {} records, the image holds {}", expected_->records, records_);
      if (!m.record && crcs_ && records_ < crcs_->size()) m.record = records_;
      return m;
    }
    if (first_bad_record_) {
      m.what = fmt::format("the record at image byte {} is not what was archived ({}); the tape file's SHA-256 is {}, "
                           "the catalog has {}", *bad_offset_, bad_crc_, digest, expected_->sha256);
      return m;
    }
    if (digest != expected_->sha256) {
      m.what = fmt::format("the tape file's SHA-256 is {}, the catalog has {}", digest, expected_->sha256);
      return m;
    }
    return std::nullopt;
  }

 private:
  uint64_t file_;
  const TapeFileRow* expected_ = nullptr;
  const std::vector<uint32_t>* crcs_ = nullptr;
  BackgroundSha256& sha_;  // shared by the files of one replay, one at a time
  uint64_t records_ = 0;
  std::optional<uint64_t> first_bad_record_;
  std::optional<uint64_t> bad_offset_;
  std::string bad_crc_;
};

}  // namespace

std::string describe_mismatch(const RestorePlan& plan, const ChecksumMismatch& m) {
  std::string where = describe_tape_file(plan, m.file);
  if (m.record) where += fmt::format(" record {}", *m.record);
  return fmt::format("{}: {}", where, m.what);
}

Status replay(const RestorePlan& plan, RecordSink& sink, const ReplayOptions& options, ReplaySummary* summary) {
  OpenOptions open_options;
  open_options.format = plan.format;
  std::unique_ptr<TapeImage> image;
  VTAPE_RETURN_IF_ERROR(TapeImage::open(plan.image_path, open_options, &image));
  if (plan.only_file && *plan.only_file > 0) {
    Motion m;
    Status s = space_files_forward(*image, *plan.only_file, &m);
    VTAPE_RETURN_IF_ERROR(s);
    if (m.done < *plan.only_file) {
      return Status::not_found(fmt::format("{} has no tape file {}: the tape ends after file {}", plan.source,
                                           *plan.only_file, m.done == 0 ? 0 : m.done - 1));
    }
  }

  std::vector<uint8_t> data;
  uint64_t file = plan.only_file.value_or(0);
  bool file_started = false;
  std::optional<FileCheck> check;
  BackgroundSha256 sha;
  uint64_t skip = options.skip_objects;
  auto deliver = [&]() { return skip == 0 || (--skip, false); };

  auto end_file = [&](bool closed) -> Status {
    std::optional<ChecksumMismatch> mismatch = check->finish();
    if (!check->checked() && check->records() > 0) ++summary->unchecked_files;
    if (mismatch) summary->mismatches.push_back(*mismatch);
    ++summary->tape_files;
    Status s = sink.end_file(file, mismatch.has_value());
    file_started = false;
    if (closed) ++file;
    return s;
  };

  for (;;) {
    TapeObject obj;
    Status s = image->read(&obj, &data);
    VTAPE_RETURN_IF_ERROR(s);  // damage: the caller names the image and the offset
    if (obj.kind == ObjectKind::kEndOfData) {
      if (file_started) VTAPE_RETURN_IF_ERROR(end_file(false));
      if (plan.only_file && summary->tape_files == 0) {
        return Status::not_found(fmt::format("{} has no tape file {}: the tape ends there", plan.source, file));
      }
      break;
    }
    if (!file_started) {
      file_started = true;
      check.emplace(plan, file, sha);
      VTAPE_RETURN_IF_ERROR(sink.begin_file(file));
    }
    ++summary->objects;
    if (obj.kind == ObjectKind::kFilemark) {
      ++summary->filemarks;
      if (deliver()) {
        sink.source_object(obj.offset, obj.stored_size);
        VTAPE_RETURN_IF_ERROR(sink.filemark());
      }
      VTAPE_RETURN_IF_ERROR(end_file(true));
      if (plan.only_file) break;
    } else {
      ++summary->records;
      summary->bytes += data.size();
      if (data.size() > summary->largest_record) summary->largest_record = static_cast<uint32_t>(data.size());
      check->record(data, obj.offset);
      if (deliver()) {
        sink.source_object(obj.offset, obj.stored_size);
        VTAPE_RETURN_IF_ERROR(sink.record(data, obj.error_flag));
      }
    }
    if (options.progress) {
      uint64_t at = image->position().offset;
      options.progress->update(at > options.progress_base ? at - options.progress_base : 0);
    }
  }
  return Status::ok();
}

}  // namespace vtape
