#include "library/catalog_observer.h"

#include <fmt/format.h>

#include "library/catalog_sync.h"
#include "library/daemon_log.h"

namespace vtape {
void CatalogObserver::loaded(const Cartridge& cartridge) {
  // The volume row must exist before any of its tape files is recorded.
  if (Status s = catalog_.upsert_volume(volume_row(cartridge)); !s.is_ok()) {
    log_message(LogPriority::kError, LogFields::of_drive(drive_, cartridge.volser), "catalog: " + s.message());
  }
  volser_ = cartridge.volser;
  recorder_ = std::make_unique<CatalogRecorder>(catalog_, cartridge.volser, cartridge.image_path, cartridge.format,
                                                drive_);
  event("load", fmt::format("drive {}", drive_));
}

void CatalogObserver::image_replaced(const Cartridge& cartridge, const TapeFileOffsets& file_offsets) {
  if (recorder_) recorder_->moved_to(cartridge.image_path, cartridge.format, file_offsets);
}

void CatalogObserver::unloading() {
  event("unload", fmt::format("drive {}", drive_));
  recorder_.reset();
  volser_.clear();
}

Status CatalogObserver::changing() {
  if (!recorder_) return Status::ok();
  return recorder_->changing();
}

void CatalogObserver::tape_file_begins(const TapePosition& at) {
  if (recorder_) recorder_->begin(at);
}

void CatalogObserver::record(std::span<const uint8_t> data) {
  if (recorder_) recorder_->record(data);
}

Status CatalogObserver::filemark(const TapePosition& after, uint64_t image_size) {
  if (!recorder_) return Status::ok();
  return recorder_->filemark_written(after, image_size);
}

Status CatalogObserver::stopped(uint64_t image_size) {
  if (!recorder_) return Status::ok();
  return recorder_->stop(image_size);
}

Status CatalogObserver::erased(const TapePosition& at, uint64_t image_size) {
  if (!recorder_) return Status::ok();
  return recorder_->erased(at, image_size);
}

void CatalogObserver::event(const std::string& kind, const std::string& detail) {
  Status s = catalog_.add_event(volser_, drive_, kind, detail);
  if (!s.is_ok()) {
    log_message(LogPriority::kError, LogFields::of_drive(drive_, volser_),
                "catalog: cannot record the event '" + kind + "': " + s.message());
  }
}

}  // namespace vtape
