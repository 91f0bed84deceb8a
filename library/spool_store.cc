#include "library/spool_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "index/catalog_recorder.h"
#include "library/catalog_sync.h"
#include "library/daemon_log.h"

namespace vtape {

SpoolLock::SpoolLock(const TapeLibrary& library) {
  std::string path = library.dir() + "/spool.lock";
  // Read only: flock needs no more, so the library's group can lock it too.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, library.file_mode());
  if (fd_ < 0) {
    status_ = Status::io_error(fmt::format("cannot open {}", path), errno);
    return;
  }
  while (flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) {
      status_ = Status::io_error(fmt::format("cannot lock {}", path), errno);
      return;
    }
  }
}

SpoolLock::~SpoolLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

std::string SpoolStore::default_volser() {
  if (const char* env = std::getenv("VTAPE_SPOOL_VOLSER"); env != nullptr) {
    if (auto v = normalize_volser(env)) return *v;
  }
  return kDefaultSpoolVolser;
}

SpoolStore::SpoolStore(TapeLibrary& library, Catalog& catalog, std::string volser)
    : library_(library), catalog_(catalog), spool_catalog_(catalog), volser_(std::move(volser)) {}

void SpoolStore::log_event(const std::string& kind, const std::string& detail) {
  if (Status s = catalog_.add_event(volser_, -1, kind, detail); !s.is_ok()) {
    log_message(LogPriority::kError, LogFields::of_volume(volser_),
                "spool: cannot record the event '" + kind + "': " + s.message());
  }
}

Status SpoolStore::cartridge(bool create, Cartridge* out) {
  Status s = library_.find(volser_, out);
  if (s.is_ok() || !create || s.code() != StatusCode::kNotFound) return s;
  VTAPE_RETURN_IF_ERROR(library_.create_cartridge(volser_, Format::kSimh, kDefaultCapacity, out));
  VTAPE_RETURN_IF_ERROR(catalog_.upsert_volume(volume_row(*out)));
  log_event("spool", fmt::format("spool cartridge {} created", volser_));
  return Status::ok();
}

Status SpoolStore::open_at_end(const Cartridge& c, std::unique_ptr<TapeImage>* out) {
  for (const auto& [drive, volser] : library_.loaded()) {
    if (volser == c.volser) {
      return Status::invalid_argument(
          fmt::format("the spool cartridge {} is in drive {}; unload it ('vtape unload {}')", c.volser, drive, drive));
    }
  }
  OpenOptions options;
  options.writable = true;
  options.format = c.format;
  std::unique_ptr<TapeImage> image;
  VTAPE_RETURN_IF_ERROR(TapeImage::open(c.image_path, options, &image));
  VTAPE_RETURN_IF_ERROR(image->seek_end_of_data());
  // Records after the last filemark are a spool file whose writer was
  // killed: it was never cataloged, so it goes.
  while (image->position().block > 0) {
    TapeObject obj;
    VTAPE_RETURN_IF_ERROR(image->step_back(&obj));
    if (obj.kind != ObjectKind::kRecord) break;
  }
  VTAPE_RETURN_IF_ERROR(cut_uncataloged_tape_file(c, *image));
  // Also cuts what an end guard hid (bytes of a write cut short).
  VTAPE_RETURN_IF_ERROR(image->erase_to_end());
  *out = std::move(image);
  return Status::ok();
}

// A writer killed after its spool file's filemark was on disk but before
// the catalog recorded the tape file (a killed `vtape spool load`) leaves a
// whole tape file that nothing refers to, which every later spool file would
// keep behind it (and `vtape index check` report).  Only the one last tape
// file, and only when neither the catalog's tape files nor a spool file row
// name it: a catalog that lags further (an old catalog.db put back) is not
// a killed writer's, and nothing is cut for it.
Status SpoolStore::cut_uncataloged_tape_file(const Cartridge& c, TapeImage& image) {
  uint64_t cataloged = 0;
  VTAPE_RETURN_IF_ERROR(catalog_.file_count(c.volser, &cataloged));
  if (image.position().block != 0 || image.position().file != cataloged + 1) return Status::ok();
  SpoolCriteria everything;
  everything.include_purged = true;
  std::vector<SpoolFileRow> rows;
  VTAPE_RETURN_IF_ERROR(spool_catalog_.select(everything, &rows));
  for (const auto& r : rows) {
    if (r.volser == c.volser && r.file_number >= cataloged) return Status::ok();
  }
  TapeObject obj;
  VTAPE_RETURN_IF_ERROR(image.step_back(&obj));  // its filemark
  while (!image.position().at_bot()) {
    VTAPE_RETURN_IF_ERROR(image.step_back(&obj));
    if (obj.kind == ObjectKind::kFilemark) {
      // The end of the tape file before it, which stays.
      std::vector<uint8_t> none;
      VTAPE_RETURN_IF_ERROR(image.read(&obj, &none));
      break;
    }
  }
  log_event("spool", fmt::format("cut an uncataloged tape file off {} at byte {} (after the {} the catalog "
                                 "has): its writer was killed before the catalog recorded it",
                                 c.volser, image.position().offset, cataloged));
  return Status::ok();
}

Status SpoolStore::recover() {
  std::lock_guard lock(mu_);
  Cartridge c;
  if (!cartridge(false, &c).is_ok()) return Status::ok();  // no spool yet
  SpoolLock flock_guard(library_);
  VTAPE_RETURN_IF_ERROR(flock_guard.status());
  std::unique_ptr<TapeImage> image;
  uint64_t before = 0;
  {
    struct stat st {};
    if (::stat(c.image_path.c_str(), &st) == 0) before = static_cast<uint64_t>(st.st_size);
  }
  VTAPE_RETURN_IF_ERROR(open_at_end(c, &image));
  VTAPE_RETURN_IF_ERROR(image->sync());
  uint64_t after = image->size();
  VTAPE_RETURN_IF_ERROR(image->close());
  if (after != before) {
    log_event("spool", fmt::format("cut an interrupted spool write off {} at byte {}", c.volser, after));
  }
  return Status::ok();
}

Status SpoolStore::append_locked(const SpoolMetadata& meta, const SpoolRecordSource& records, uint64_t* file_number,
                                 uint64_t* offset) {
  Cartridge c;
  VTAPE_RETURN_IF_ERROR(cartridge(true, &c));
  if (c.write_protected) return Status::invalid_argument(fmt::format("the spool cartridge {} is write-protected", c.volser));
  // Its tape files are cataloged too: the volume row must be there (made by
  // `vtape new` while no daemon ran, it may not be).
  VTAPE_RETURN_IF_ERROR(catalog_.upsert_volume(volume_row(c)));
  std::unique_ptr<TapeImage> image;
  VTAPE_RETURN_IF_ERROR(open_at_end(c, &image));
  TapePosition start = image->position();
  if (start.offset + spool_tape_file_bound(meta) > c.capacity) {
    return Status::no_space(fmt::format("the spool cartridge {} is full ({} of {} bytes used)", c.volser,
                                        start.offset, c.capacity));
  }
  // Buffered, not written through record by record as a drive does: the
  // blocks go out through the image's write buffer; a failure or a crash
  // leaves none of it (the guard, then erase_to_end below).
  VTAPE_RETURN_IF_ERROR(image->enable_crash_guard());
  CatalogRecorder recorder(catalog_, c.volser, c.image_path, c.format, -1);
  recorder.begin(start);
  Status s = write_spool_tape_file(*image, meta, records, [&](std::span<const uint8_t> r) { recorder.record(r); });
  if (s.is_ok()) s = image->sync();
  // A spool file the catalog cannot record (a full disk, a damaged
  // catalog.db) fails the writer's close() as a drive's tape file does;
  // it is not left on the cartridge for the catalog to miss.
  if (s.is_ok()) s = recorder.filemark_written(image->position(), image->size());
  if (!s.is_ok()) {
    // Nothing of it may stay: back to where it began.
    image->seek_to_offset(start.offset);
    (void)image->erase_to_end();
    (void)image->sync();
    return s;
  }
  VTAPE_RETURN_IF_ERROR(image->disable_crash_guard());
  VTAPE_RETURN_IF_ERROR(image->sync());
  VTAPE_RETURN_IF_ERROR(image->close());
  *file_number = start.file;
  *offset = start.offset;
  return Status::ok();
}

Status SpoolStore::archive(const SpoolFile& file, SpoolFileRow* row) {
  return archive(file.meta, spool_records_source(file.records), row);
}

Status SpoolStore::archive(const SpoolMetadata& meta, const SpoolRecordSource& records, SpoolFileRow* row) {
  std::lock_guard lock(mu_);
  SpoolLock flock_guard(library_);
  VTAPE_RETURN_IF_ERROR(flock_guard.status());
  SpoolFile f;
  f.meta = meta;
  // The spoolid goes into the header: chosen before writing.  The flock
  // keeps any other process from taking it meanwhile; insert() records it
  // as it is.
  VTAPE_RETURN_IF_ERROR(spool_catalog_.free_spoolid(f.meta.owner, f.meta.spoolid, &f.meta.spoolid));
  SpoolFileRow r;
  r.meta = f.meta;
  r.volser = volser_;
  VTAPE_RETURN_IF_ERROR(append_locked(f.meta, records, &r.file_number, &r.image_offset));
  Status s = spool_catalog_.insert(&r);
  if (!s.is_ok()) return s;
  log_event("spool", fmt::format("{} {:04} {} {}: {} records, {} bytes, file {}", r.meta.owner, r.meta.spoolid,
                                 r.meta.name_type(), spool_queue_name(r.meta.queue), r.meta.records,
                                 r.meta.data_bytes, r.file_number));
  *row = std::move(r);
  return Status::ok();
}

Status SpoolStore::rearchive(const SpoolMetadata& meta, const SpoolRecordSource& records, SpoolFileRow* row) {
  std::lock_guard lock(mu_);
  SpoolLock flock_guard(library_);
  VTAPE_RETURN_IF_ERROR(flock_guard.status());
  SpoolFile f;
  f.meta = meta;
  f.meta.spoolid = row->meta.spoolid;
  f.meta.owner = row->meta.owner;
  f.meta.unique_id = row->meta.unique_id;
  f.meta.opened_us = row->meta.opened_us;
  SpoolFileRow r = *row;
  r.meta = f.meta;
  VTAPE_RETURN_IF_ERROR(append_locked(f.meta, records, &r.file_number, &r.image_offset));
  r.volser = volser_;
  VTAPE_RETURN_IF_ERROR(spool_catalog_.update(r));
  log_event("spool", fmt::format("{} {:04} {} rewritten: {} records, {} bytes, file {}", r.meta.owner, r.meta.spoolid,
                                 r.meta.name_type(), r.meta.records, r.meta.data_bytes, r.file_number));
  *row = std::move(r);
  return Status::ok();
}

Status SpoolStore::send_to_reader(const SpoolFile& file, const std::string& user, SpoolFileRow* row) {
  SpoolFile f = file;
  VTAPE_RETURN_IF_ERROR(normalize_spool_user(user, &f.meta.owner));
  f.meta.queue = SpoolQueue::kReader;
  return archive(f, row);
}

Status SpoolStore::update(const SpoolFileRow& row) { return spool_catalog_.update(row); }

Status SpoolStore::purge(const SpoolFileRow& row) {
  VTAPE_RETURN_IF_ERROR(spool_catalog_.purge(row.id));
  log_event("spool-purge", fmt::format("{} {:04} {} {}", row.meta.owner, row.meta.spoolid, row.meta.name_type(),
                                       spool_queue_name(row.meta.queue)));
  return Status::ok();
}

Status SpoolStore::read(const SpoolFileRow& row, SpoolFile* out) {
  Cartridge c;
  VTAPE_RETURN_IF_ERROR(library_.find(row.volser, &c));
  OpenOptions options;
  options.format = c.format;
  std::unique_ptr<TapeImage> image;
  VTAPE_RETURN_IF_ERROR(TapeImage::open(c.image_path, options, &image));
  image->seek_to_offset(row.image_offset);
  SpoolFile f;
  bool end = false;
  Status s = read_spool_tape_file(*image, &f, &end);
  if (s.is_ok() && end) s = Status::corrupt(row.image_offset, "a spool tape file", "the end of the data");
  if (s.is_ok() && (f.meta.unique_id != row.meta.unique_id || f.meta.opened_us != row.meta.opened_us)) {
    s = Status::corrupt(row.image_offset,
                        fmt::format("spool file {} {:04} ({})", row.meta.owner, row.meta.spoolid,
                                    row.meta.unique_id_hex()),
                        fmt::format("spool file {} {:04} ({})", f.meta.owner, f.meta.spoolid, f.meta.unique_id_hex()));
  }
  if (!s.is_ok()) return s;
  out->meta = row.meta;
  out->records = std::move(f.records);
  return Status::ok();
}

Status SpoolStore::content(const SpoolFileRow& row, std::string* out) {
  SpoolFile f;
  VTAPE_RETURN_IF_ERROR(read(row, &f));
  *out = spool_content_from_records(f.meta, f.records);
  return Status::ok();
}

}  // namespace vtape
