#include "library/restore_replay.h"

#include <fmt/format.h>

#include <map>
#include <memory>

#include "index/background_digest.h"
#include "index/crc32c.h"
#include "tapeformat/tape_image.h"
#include "tapeformat/tape_motion.h"

namespace vtape {
namespace {

// The first record of a tape file whose CRC-32C differs from the catalog's,
// found by reading the file's records again from `first_offset`.  Only a
// file whose digest or record count already failed comes here: the digest
// decides whether a file is intact, the CRCs only say where it went wrong,
// so a healthy restore never spends CPU on them.
struct BadRecord {
  uint64_t record = 0;
  uint64_t image_offset = 0;
  std::string what;
};

std::optional<BadRecord> locate_bad_record(const RestorePlan& plan, uint64_t first_offset,
                                           const std::vector<uint32_t>& crcs) {
  OpenOptions open_options;
  open_options.format = plan.format;
  std::unique_ptr<TapeImage> image;
  if (!TapeImage::open(plan.image_path, open_options, &image).is_ok()) return std::nullopt;
  image->seek_to_offset(first_offset);
  std::vector<uint8_t> data;
  for (uint64_t record = 0; record < crcs.size(); ++record) {
    TapeObject obj;
    if (!image->read(&obj, &data).is_ok() || obj.kind != ObjectKind::kRecord) return std::nullopt;
    uint32_t crc = crc32c(data);
    if (crc != crcs[record]) {
      return BadRecord{record, obj.offset, fmt::format("CRC-32C {:08x}, the catalog has {:08x}", crc, crcs[record])};
    }
  }
  return std::nullopt;
}

// The background digests of one replay, one per algorithm the catalog's
// rows name (a volume may hold SHA-256 rows from before XXH3-128 became
// the default), each made with the first file that needs it.
class Digesters {
 public:
  BackgroundDigest& of(DigestAlgorithm algorithm) {
    auto& d = by_algorithm_[algorithm];
    if (!d) d = std::make_unique<BackgroundDigest>(algorithm);
    return *d;
  }

 private:
  std::map<DigestAlgorithm, std::unique_ptr<BackgroundDigest>> by_algorithm_;
};

std::string_view display_name(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::kSha256 ? "SHA-256" : "XXH3-128";
}

// Checks one tape file as its records go by.
class FileCheck {
 public:
  // Without `digesters` nothing is checked (only counted); nor is a file
  // whose row names a digest algorithm this vtape does not know.
  FileCheck(const RestorePlan& plan, uint64_t file, Digesters* digesters) : plan_(plan), file_(file) {
    auto row = plan.cataloged.find(file);
    auto algorithm = row == plan.cataloged.end() ? std::nullopt : parse_digest_name(row->second.digest_algorithm);
    if (digesters && algorithm) {
      expected_ = &row->second;
      digest_ = &digesters->of(*algorithm);
    }
    auto crcs = plan.record_checksums.find(file);
    if (crcs != plan.record_checksums.end()) crcs_ = &crcs->second;
  }

  bool checked() const { return expected_ != nullptr; }
  uint64_t records() const { return records_; }

  void record(std::span<const uint8_t> data, uint64_t image_offset) {
    if (records_++ == 0) first_offset_ = image_offset;
    if (expected_) digest_->update(data);
  }

  // The mismatch, if the file differs from what the catalog recorded.
  std::optional<ChecksumMismatch> finish() {
    if (!expected_) return std::nullopt;
    std::string digest = digest_->hex_digest();
    bool count_differs = records_ != expected_->records;
    if (!count_differs && digest == expected_->digest) return std::nullopt;
    std::string_view name = display_name(digest_->algorithm());

    ChecksumMismatch m;
    m.file = file_;
    std::optional<BadRecord> bad;
    if (crcs_ && records_ > 0) bad = locate_bad_record(plan_, first_offset_, *crcs_);
    if (bad) {
      m.record = bad->record;
      m.image_offset = bad->image_offset;
    }
    if (count_differs) {
      m.what = fmt::format("the catalog records {} records, the image holds {}", expected_->records, records_);
      if (!m.record && crcs_ && records_ < crcs_->size()) m.record = records_;
    } else if (bad) {
      m.what = fmt::format("the record at image byte {} is not what was archived ({}); the tape file's {} is {}, "
                           "the catalog has {}", bad->image_offset, bad->what, name, digest, expected_->digest);
    } else {
      m.what = fmt::format("the tape file's {} is {}, the catalog has {}", name, digest, expected_->digest);
    }
    return m;
  }

 private:
  const RestorePlan& plan_;
  uint64_t file_;
  const TapeFileRow* expected_ = nullptr;
  const std::vector<uint32_t>* crcs_ = nullptr;
  BackgroundDigest* digest_ = nullptr;  // shared by the files of one replay, one at a time
  uint64_t records_ = 0;
  uint64_t first_offset_ = 0;
};

// The next object; a record's data is left where it is in the image's read
// window where the format allows (SIMH), and only copied into `buffer`
// otherwise: a restore to an image of 64 KiB records spent a fifth of its
// time copying each record out before the checks.  `data` is valid until
// the next read.
Status read_next(TapeImage& image, TapeObject* obj, std::vector<uint8_t>* buffer, std::span<const uint8_t>* data) {
  *data = {};
  if (!image.records_in_place()) {
    VTAPE_RETURN_IF_ERROR(image.read(obj, buffer));
    *data = *buffer;
    return Status::ok();
  }
  uint64_t at = 0;
  VTAPE_RETURN_IF_ERROR(image.read_in_place(obj, &at));
  if (obj->kind != ObjectKind::kRecord) return Status::ok();
  // The data lies inside the record's stored bytes, after its length word.
  std::span<const uint8_t> stored = image.stored_bytes(*obj);
  if (stored.size() == obj->stored_size && at - obj->offset + obj->length <= stored.size()) {
    *data = stored.subspan(static_cast<size_t>(at - obj->offset), obj->length);
  } else {
    buffer->resize(obj->length);
    VTAPE_RETURN_IF_ERROR(image.read_bytes(at, *buffer));
    *data = *buffer;
  }
  return Status::ok();
}

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

  std::vector<uint8_t> buffer;
  std::span<const uint8_t> data;
  uint64_t file = plan.only_file.value_or(0);
  bool file_started = false;
  std::optional<FileCheck> check;
  std::optional<Digesters> digesters;  // threads only when there is something to check
  if (options.check && !plan.cataloged.empty()) digesters.emplace();
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
    Status s = read_next(*image, &obj, &buffer, &data);
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
      check.emplace(plan, file, digesters ? &*digesters : nullptr);
      VTAPE_RETURN_IF_ERROR(sink.begin_file(file));
    }
    ++summary->objects;
    if (obj.kind == ObjectKind::kFilemark) {
      ++summary->filemarks;
      if (deliver()) {
        VTAPE_RETURN_IF_ERROR(sink.source_object(obj.offset, obj.stored_size, image->stored_bytes(obj)));
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
        VTAPE_RETURN_IF_ERROR(sink.source_object(obj.offset, obj.stored_size, image->stored_bytes(obj)));
        VTAPE_RETURN_IF_ERROR(sink.record(data, obj.error_flag));
      }
    }
    if (options.progress) {
      uint64_t at = image->position().offset;
      options.progress(at > options.progress_base ? at - options.progress_base : 0);
    }
  }
  return Status::ok();
}

}  // namespace vtape
