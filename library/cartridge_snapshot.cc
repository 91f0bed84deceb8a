#include "library/cartridge_snapshot.h"

#include <unistd.h>

#include <chrono>
#include <sstream>

#include <fmt/format.h>

#include "library/catalog_sync.h"
#include "library/migration_observer.h"

namespace vtape {
namespace {

Status pick_volser(const TapeLibrary& library, const std::string& asked, std::string* out) {
  if (!asked.empty()) {
    auto v = normalize_volser(asked);
    if (!v) return Status::invalid_argument(fmt::format("'{}' is not a volume serial (1 to 6 letters or digits)", asked));
    *out = *v;
    return Status::ok();
  }
  for (int i = 1; i <= 9999; ++i) {
    std::string v = fmt::format("SN{:04d}", i);
    Cartridge c;
    if (!library.find(v, &c).is_ok()) {
      *out = v;
      return Status::ok();
    }
  }
  return Status::invalid_argument("no free volume serial SN0001 to SN9999: name the snapshot with --as");
}

// Copies the cartridge's image up to the point in time, then follows
// any cut until a look under the drive's mutex finds none.
// `stop` set: the copy ends early with an error.
Status copy_point_in_time(const Cartridge& source, TapeDrive* drive, ImageCopier& copier, SnapshotReport* out,
                          const std::atomic<bool>* stop) {
  if (drive == nullptr) {
    std::unique_ptr<TapeImage> image;
    OpenOptions options;
    options.format = source.format;
    VTAPE_RETURN_IF_ERROR(TapeImage::open(source.image_path, options, &image));
    return copier.copy_until(image->size(), stop);
  }
  auto observer = std::make_shared<MigrationObserver>();
  drive->add_observer(observer);
  auto locked = [&](const std::function<Status(uint64_t)>& work) {
    auto start = std::chrono::steady_clock::now();
    Status s = drive->with_flushed_image(source.volser, [&](uint64_t size, auto*) { return work(size); });
    std::chrono::duration<double, std::milli> held = std::chrono::steady_clock::now() - start;
    out->longest_hold_ms = std::max(out->longest_hold_ms, held.count());
    return s;
  };
  uint64_t point = 0;
  Status s = locked([&](uint64_t size) {
    point = size;
    return Status::ok();
  });
  for (int pass = 0; s.is_ok(); ++pass) {
    Status copied = copier.copy_until(point, stop);
    bool stopped = stop != nullptr && stop->load();
    if (!copied.is_ok() && (stopped || !observer->changed_below(UINT64_MAX))) {
      s = copied;
      break;
    }
    // What the copy read is the tape at `point` unless the tape was cut
    // below it meanwhile: then the copy follows the cut to the tape's new
    // end, after a few tries under the mutex (the tape stands still).
    bool again = false;
    s = locked([&](uint64_t size) {
      uint64_t changed = observer->take_changed_from();
      if (changed >= copier.objects() && copied.is_ok()) return Status::ok();
      out->followed_cut = true;
      VTAPE_RETURN_IF_ERROR(copier.cut_at(changed));
      point = size;
      if (pass >= 3) {
        copier.set_max_rate(0);  // the writer waits for this one
        return copier.copy_until(size, stop);
      }
      again = true;
      return Status::ok();
    });
    if (!again) break;
  }
  drive->remove_observer(observer.get());
  return s;
}

}  // namespace

Status snapshot_cartridge(TapeLibrary& library, Catalog& catalog, const std::string& volser,
                          const std::string& new_volser, uint64_t max_rate, TapeDrive* drive, SnapshotReport* out,
                          const std::atomic<bool>* stop) {
  Cartridge source;
  VTAPE_RETURN_IF_ERROR(library.find(volser, &source));
  VTAPE_RETURN_IF_ERROR(pick_volser(library, new_volser, &out->volser));
  Cartridge snap;
  VTAPE_RETURN_IF_ERROR(library.create_cartridge(out->volser, source.format, source.capacity, &snap));
  auto discard = [&](const Status& s) {
    ::unlink(snap.image_path.c_str());
    ::unlink((library.cartridges_dir() + "/" + snap.volser + ".cartridge").c_str());
    return s;
  };
  OpenOptions options;
  options.writable = true;
  options.format = snap.format;
  std::unique_ptr<TapeImage> target;
  if (Status s = TapeImage::open(snap.image_path, options, &target); !s.is_ok()) return discard(s);
  ImageCopier copier(source.image_path, source.format, std::move(target));
  copier.set_max_rate(max_rate);
  if (Status s = copy_point_in_time(source, drive, copier, out, stop); !s.is_ok()) {
    if (stop != nullptr && stop->load()) {
      return discard(Status::invalid_argument(
          fmt::format("snapshot {} of {} stopped: its client hung up; the partial copy is removed", snap.volser,
                      source.volser)));
    }
    return discard(s);
  }
  if (Status s = copier.sync(); !s.is_ok()) return discard(s);
  out->counts = copier.counts();
  out->image_path = snap.image_path;
  out->image_size = copier.target().size();
  if (Status s = library.set_protected(snap.volser, true); !s.is_ok()) return discard(s);
  VTAPE_RETURN_IF_ERROR(library.find(snap.volser, &snap));
  VTAPE_RETURN_IF_ERROR(sync_volume_to_catalog(catalog, snap, /*force=*/true));
  return catalog.add_event(snap.volser, drive != nullptr ? drive->number() : -1, "snapshot",
                           fmt::format("of {} ({} records, {} filemarks)", source.volser, out->counts.records_copied,
                                       out->counts.filemarks_copied));
}

std::string snapshot_report_text(const SnapshotReport& r) {
  return fmt::format("volser {}\nimage {}\nimage_size {}\nbytes_read {}\nrecords {}\nfilemarks {}\nfollowed_cut {}\n"
                     "longest_hold_ms {:.3f}\n",
                     r.volser, r.image_path, r.image_size, r.counts.bytes_read, r.counts.records_copied,
                     r.counts.filemarks_copied, r.followed_cut ? 1 : 0, r.longest_hold_ms);
}

SnapshotReport parse_snapshot_report(const std::string& text) {
  SnapshotReport r;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    size_t blank = line.find(' ');
    if (blank == std::string::npos) continue;
    std::string key = line.substr(0, blank), value = line.substr(blank + 1);
    uint64_t n = std::strtoull(value.c_str(), nullptr, 10);
    if (key == "volser") r.volser = value;
    if (key == "image") r.image_path = value;
    if (key == "image_size") r.image_size = n;
    if (key == "bytes_read") r.counts.bytes_read = n;
    if (key == "records") r.counts.records_copied = n;
    if (key == "filemarks") r.counts.filemarks_copied = n;
    if (key == "followed_cut") r.followed_cut = n != 0;
    if (key == "longest_hold_ms") r.longest_hold_ms = std::strtod(value.c_str(), nullptr);
  }
  return r;
}

}  // namespace vtape
