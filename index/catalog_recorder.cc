#include "index/catalog_recorder.h"

#include <sys/statvfs.h>

#include <fmt/format.h>

#include "index/volume_indexer.h"
#include "tapeformat/tape_image.h"
#include "tapeformat/tape_motion.h"

namespace vtape {

void CatalogRecorder::begin(const TapePosition& at) {
  bool mid_file = at.block != 0;  // past some records, or not known where in the file
  // start() first: it waits for the worker to finish what it has of an
  // earlier file (whose members stream_batch puts in under start_ as it was).
  if (mid_file || behind_) {
    analyzer_.start();  // the commit reads the file or the image back: nothing to stream
  } else {
    analyzer_.start([this](std::vector<TapeMember>& members) { return stream_batch(members); });
  }
  // And for the writer to put in what the analyzer handed it (cutting a
  // catch-up of the names short, which goes on again now, behind the
  // batches of this file).
  drain_writer();
  queue_name_catch_up();
  // The workers are idle now: these are ours.
  active_ = true;
  has_objects_ = false;
  {
    std::lock_guard lock(moved_mu_);
    start_ = at;
  }
  mid_file_ = mid_file;
  streamed_ = false;
  stream_failed_ = false;
}

bool CatalogRecorder::stream_batch(std::vector<TapeMember>& members) {
  if (stream_failed_) {
    members.clear();  // the commit indexes the image: nothing to keep
    return true;
  }
  // The tape's data comes first: on a nearly full file system the members
  // wait for the end of the file (as they all did before they streamed),
  // rather than take the space the records still being written need.  A
  // failed commit then loses nothing (the image is whole and is indexed
  // again); a write that fails for want of space would cut the archive.
  std::string image_path;
  TapePosition start;
  {
    std::lock_guard lock(moved_mu_);
    image_path = image_path_;
    start = start_;
  }
  struct statvfs fs {};
  if (statvfs(image_path.c_str(), &fs) == 0 &&
      static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < kStreamingNeedsFreeBytes) {
    return false;
  }
  MemberBatch batch = writer_.spare();
  // Only what is known before the end: where the file is.
  batch.row = TapeFileRow();
  batch.row.file_number = start.file;
  batch.row.first_block = start.object_index;
  batch.row.image_offset = start.offset;
  batch.row.written_at = catalog_now();
  batch.first = !streamed_;
  batch.catch_up_names = false;
  batch.members.clear();
  batch.members.swap(members);
  streamed_ = true;
  ++batches_waiting_;
  writer_.push(std::move(batch));  // never refused: write_batch does not fail the queue
  return true;
}

void CatalogRecorder::moved_to(std::string image_path, Format format, const std::map<uint64_t, uint64_t>& file_offsets) {
  std::lock_guard lock(moved_mu_);
  image_path_ = std::move(image_path);
  format_ = format;
  // A tape file begun in the middle (mid_file_) is read back by its number
  // at its commit: its offset in the old image is never used.
  if (!active_ || mid_file_) return;
  auto begins = file_offsets.find(start_.file);
  if (begins != file_offsets.end()) {
    start_.offset = begins->second;
  } else {
    behind_ = true;  // where it begins is found by indexing the new image
  }
}

bool CatalogRecorder::write_batch(MemberBatch& batch) {
  if (batch.catch_up_names) {
    // A failure leaves the names for later: searches stay exact.
    bool caught_up = false;
    while (!writer_yield_ && batches_waiting_ == 0 &&
           catalog_.catch_up_name_index(kNameIndexChunk, &caught_up).is_ok() && !caught_up) {
    }
    return true;
  }
  --batches_waiting_;
  if (!stream_failed_ && !catalog_.stream_members(volser_, batch.row, batch.first, batch.members).is_ok()) {
    stream_failed_ = true;
  }
  batch.members.clear();  // the batch comes back as a spare: keep no members alive in it
  return true;
}

TapeFileAnalysis CatalogRecorder::finish_analysis() {
  TapeFileAnalysis analysis = analyzer_.finish();
  drain_writer();
  return analysis;
}

void CatalogRecorder::drain_writer() {
  writer_yield_ = true;
  writer_.drain();
  writer_yield_ = false;
}

void CatalogRecorder::record(std::span<const uint8_t> data) {
  if (!active_) return;
  has_objects_ = true;
  if (!mid_file_) analyzer_.add_record(data);
}

Status CatalogRecorder::changing() {
  if (marked_pending_) return Status::ok();
  bool was_pending = false;
  VTAPE_RETURN_IF_ERROR(catalog_.set_write_pending(volser_, &was_pending));
  marked_pending_ = true;
  // An earlier change was never recorded (a failed commit before the
  // cartridge was unloaded and loaded again): the next commit indexes the
  // whole image, or it would clear the mark over a tape file still missing.
  if (was_pending) behind_ = true;
  return Status::ok();
}

Status CatalogRecorder::commit(bool closed, uint64_t image_size) {
  Status s = behind_ ? reindex_volume(image_size) : record_file(closed, image_size);
  if (!s.is_ok()) {
    behind_ = true;
    return s;
  }
  // replace_files cleared write_pending with the commit.
  behind_ = false;
  marked_pending_ = false;
  queue_name_catch_up();
  return Status::ok();
}

void CatalogRecorder::queue_name_catch_up() {
  MemberBatch batch = writer_.spare();
  batch.catch_up_names = true;
  batch.members.clear();
  writer_.push(std::move(batch));
}

Status CatalogRecorder::reindex_volume(uint64_t image_size) {
  // The analysis of the current file is not needed: the image says it all.
  (void)finish_analysis();
  OpenOptions options;
  options.format = format_;
  std::unique_ptr<TapeImage> image;
  VTAPE_RETURN_IF_ERROR(TapeImage::open(image_path_, options, &image));
  VolumeIndex index;
  VTAPE_RETURN_IF_ERROR(index_image(*image, /*salvage=*/true, catalog_.digest_for_new_files(), &index));
  VTAPE_RETURN_IF_ERROR(store_volume_index(catalog_, volser_, index, image_size));
  return catalog_.add_event(volser_, drive_, "reconcile",
                            fmt::format("indexed from the image after a failed catalog update: {} tape files",
                                        index.files.size()));
}

Status CatalogRecorder::record_file(bool closed, uint64_t image_size) {
  CatalogedFile file;
  if (mid_file_) {
    // The file's first records went by before we were watching: read the
    // whole file back from the image.
    OpenOptions options;
    options.format = format_;
    std::unique_ptr<TapeImage> image;
    VTAPE_RETURN_IF_ERROR(TapeImage::open(image_path_, options, &image));
    Motion m;
    VTAPE_RETURN_IF_ERROR(space_files_forward(*image, start_.file, &m));
    VTAPE_RETURN_IF_ERROR(index_tape_file(*image, catalog_.digest_for_new_files(), &file));
  } else {
    TapeFileAnalysis a = finish_analysis();
    // A batch could not be put in while the file was written (a full disk,
    // a busy catalog): what the catalog holds of it is incomplete, and the
    // image says it all.
    if (stream_failed_) return reindex_volume(image_size);
    file.row.file_number = start_.file;
    file.row.first_block = start_.object_index;
    file.row.image_offset = start_.offset;
    file.row.records = a.records;
    file.row.bytes = a.bytes;
    file.row.smallest = a.smallest;
    file.row.largest = a.largest;
    file.row.digest = a.digest;
    file.row.digest_algorithm = a.digest_algorithm;
    file.row.closed_cleanly = closed;
    file.row.content = content_name(a.content);
    file.row.compression = a.compression;
    file.row.damage = a.damage.value_or("");
    file.members = std::move(a.members);
    file.record_crcs = std::move(a.record_crcs);
    file.label_volser = a.label_volser;
    file.label_owner = a.label_owner;
  }
  // The volume label is what file 0 says (a tape rewritten without labels
  // has none any more).
  if (start_.file == 0 || !file.label_volser.empty()) {
    VTAPE_RETURN_IF_ERROR(catalog_.set_label(volser_, file.label_volser, file.label_owner));
  }
  file.row.written_at = catalog_now();
  if (streamed_) {
    VTAPE_RETURN_IF_ERROR(catalog_.complete_streamed_file(volser_, file, image_size, file.row.written_at));
  } else {
    VTAPE_RETURN_IF_ERROR(catalog_.replace_files(volser_, start_.file, {file}, image_size, file.row.written_at));
  }
  VTAPE_RETURN_IF_ERROR(catalog_.add_event(
      volser_, drive_, "write",
      fmt::format("file {}: {} records, {} bytes, {}{}", file.row.file_number, file.row.records, file.row.bytes,
                  file.row.content, closed ? "" : " (no filemark)")));
  if (!file.row.damage.empty()) {
    VTAPE_RETURN_IF_ERROR(catalog_.add_event(volser_, drive_, "error",
                                             fmt::format("file {}: {}", file.row.file_number, file.row.damage)));
  }
  return Status::ok();
}

Status CatalogRecorder::filemark_written(const TapePosition& after, uint64_t image_size) {
  if (!active_) return Status::ok();
  Status s = commit(true, image_size);
  // The next file starts right after the filemark, at its first block.
  begin(after);
  return s;
}

Status CatalogRecorder::stop(uint64_t image_size) {
  if (!active_) return Status::ok();
  active_ = false;
  if (!has_objects_) return Status::ok();
  return commit(false, image_size);
}

}  // namespace vtape

namespace vtape {

Status CatalogRecorder::erased(const TapePosition& at, uint64_t image_size) {
  active_ = false;
  if (at.block == 0) {
    // Nothing of file `at.file` is left: it and everything after it are gone
    // (members of it still on their way to the catalog go in first).
    (void)finish_analysis();
    Status s = behind_ ? reindex_volume(image_size)
                       : catalog_.replace_files(volser_, at.file, {}, image_size, catalog_now());
    if (!s.is_ok()) {
      behind_ = true;
      return s;
    }
    behind_ = false;
    marked_pending_ = false;
    return catalog_.add_event(volser_, drive_, "erase", fmt::format("from file {}", at.file));
  }
  // Erased in the middle of a file: what is left of it is read back.
  begin(at);
  has_objects_ = true;
  VTAPE_RETURN_IF_ERROR(commit(false, image_size));
  active_ = false;
  return catalog_.add_event(volser_, drive_, "erase", fmt::format("from file {} block {}", at.file, at.block));
}

}  // namespace vtape
