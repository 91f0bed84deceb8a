#include "library/migration_observer.h"

#include <algorithm>
#include <chrono>

#include "library/tape_library.h"

namespace vtape {

uint64_t MigrationObserver::take_changed_from() {
  std::lock_guard lock(mu_);
  return std::exchange(changed_from_, kNoChange);
}

bool MigrationObserver::changed_below(uint64_t objects) {
  std::lock_guard lock(mu_);
  return changed_from_ < objects;
}

bool MigrationObserver::unloaded() {
  std::lock_guard lock(mu_);
  return unloaded_;
}

std::optional<Status> MigrationObserver::failure() {
  std::lock_guard lock(mu_);
  return failure_;
}

double MigrationObserver::longest_hold_ms() {
  std::lock_guard lock(mu_);
  return longest_hold_ms_;
}

void MigrationObserver::start_synchronous(ImageCopier* copier) {
  std::lock_guard lock(mu_);
  copier_ = copier;
  synchronous_from_ = copier->objects();
}

bool MigrationObserver::stop_synchronous() {
  std::lock_guard lock(mu_);
  return std::exchange(copier_, nullptr) != nullptr;
}

Status MigrationObserver::sync_copy(const std::string& path, uint64_t* synced) {
  *synced = 0;
  {
    std::lock_guard lock(mu_);
    if (copier_ == nullptr) return Status::ok();  // the phase ended: the switch syncs it all
    if (Status s = copier_->target().flush(); !s.is_ok()) return s;
    *synced = copier_->target().size();
  }
  // A descriptor of our own: the copy's may be written meanwhile.
  return sync_file_at(path);
}

bool MigrationObserver::synchronous() {
  std::lock_guard lock(mu_);
  return copier_ != nullptr;
}

// The copy's objects appended in the synchronous phase carry no source
// offsets (the drive does not say where a record ends in its image): a
// cut sends the copy back to before the phase began.
void MigrationObserver::end_synchronous_locked() {
  if (copier_ == nullptr) return;
  copier_ = nullptr;
  changed_from_ = std::min(changed_from_, synchronous_from_);
}

void MigrationObserver::changed_at_locked(uint64_t object_index) {
  changed_from_ = std::min(changed_from_, object_index);
  if (copier_ != nullptr && object_index != copier_->objects()) end_synchronous_locked();
}

void MigrationObserver::unloading() {
  std::lock_guard lock(mu_);
  unloaded_ = true;
  end_synchronous_locked();
}

void MigrationObserver::tape_file_begins(const TapePosition& at) {
  std::lock_guard lock(mu_);
  changed_at_locked(at.object_index);
}

Status MigrationObserver::erased(const TapePosition& at, uint64_t) {
  std::lock_guard lock(mu_);
  changed_at_locked(at.object_index);
  return Status::ok();
}

void MigrationObserver::record(std::span<const uint8_t> data) {
  std::lock_guard lock(mu_);
  if (copier_ == nullptr) return;
  auto start = std::chrono::steady_clock::now();
  if (Status s = copier_->append_record(data); !s.is_ok()) {
    failure_ = s;
    end_synchronous_locked();
    return;
  }
  std::chrono::duration<double, std::milli> held = std::chrono::steady_clock::now() - start;
  longest_hold_ms_ = std::max(longest_hold_ms_, held.count());
}

Status MigrationObserver::filemark(const TapePosition& after, uint64_t) {
  std::lock_guard lock(mu_);
  if (copier_ == nullptr) return Status::ok();
  if (Status s = copier_->append_filemark(after.offset); !s.is_ok()) {
    failure_ = s;
    end_synchronous_locked();
  }
  return Status::ok();
}

}  // namespace vtape
