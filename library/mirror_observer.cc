#include "library/mirror_observer.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "library/daemon_log.h"

namespace vtape {

void MirrorObserver::wake() {
  uint64_t one = 1;
  // An eventfd adds; it cannot be full in practice (and never blocks).
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void MirrorObserver::restart(uint64_t at) {
  ++view_.generation;
  view_.writing = true;
  view_.start = view_.end = view_.synced = at;
  queue_.clear();
  queue_first_ = at;
  view_.queued_bytes = view_.dropped_bytes = 0;
  dropped_ = false;
}

void MirrorObserver::loaded(const Cartridge& cartridge) {
  std::lock_guard lock(mu_);
  ++view_.generation;
  view_.loaded = true;
  view_.writing = false;
  view_.closing = false;
  view_.cartridge = cartridge;
  view_.end = view_.synced = 0;
  queue_.clear();
  view_.queued_bytes = view_.dropped_bytes = 0;
  dropped_ = false;
  wake();
}

void MirrorObserver::image_replaced(const Cartridge& cartridge, const TapeFileOffsets&) {
  std::lock_guard lock(mu_);
  view_.cartridge = cartridge;
}

void MirrorObserver::unloading() {
  std::lock_guard lock(mu_);
  view_.closing = true;
  // The drive's mutex is held: no waiting here (wait_after_unload() does,
  // without it).  What is left goes on from the image.
  unloaded_generation_ = view_.writing ? view_.generation : 0;
  wake();
}

bool MirrorObserver::wait_after_unload() {
  std::unique_lock lock(mu_);
  uint64_t generation = unloaded_generation_;
  if (generation == 0) return true;
  if (finished_cv_.wait_for(lock, unload_wait_, [&] { return finished_generation_ >= generation; })) return true;
  log_message(LogPriority::kWarning, LogFields::of_drive(drive_, view_.cartridge.volser),
              fmt::format("mirror: unloaded before the remote copy caught up ({} records and filemarks of {} on "
                          "this tape, {} bytes queued or to read from the image); it goes on from the image "
                          "until the next load",
                          view_.end, view_.cartridge.volser, view_.queued_bytes + view_.dropped_bytes));
  return false;
}

void MirrorObserver::close() {
  std::lock_guard lock(mu_);
  view_.closing = true;
  wake();
}

void MirrorObserver::tape_file_begins(const TapePosition& at) {
  std::lock_guard lock(mu_);
  if (!view_.writing || at.object_index != view_.end) {
    // The first write since the load, or one that starts before the end
    // of what was written (the tape is cut there): the remote cartridge
    // starts again from BOT, the objects before `at` from the image.
    restart(at.object_index);
    wake();
  }
}

void MirrorObserver::record(std::span<const uint8_t> data) {
  std::lock_guard lock(mu_);
  ++view_.end;
  if (dropped_ || view_.queued_bytes + data.size() > queue_limit_) {
    if (!dropped_) {
      // Full: the mirror reads these from the image after the next sync point.
      log_message(LogPriority::kNotice, LogFields::of_drive(drive_, view_.cartridge.volser),
                  fmt::format("mirror: the queue of {} bytes is full at record {} of {}; the mirror reads what "
                              "follows from the image after the next sync point", queue_limit_, view_.end - 1,
                              view_.cartridge.volser));
      dropped_ = true;
      queue_.clear();
      view_.dropped_bytes += view_.queued_bytes;
      view_.queued_bytes = 0;
    }
    view_.dropped_bytes += data.size();
    return;
  }
  if (queue_.empty()) queue_first_ = view_.end - 1;
  StreamObject obj;
  if (!pool_.empty()) {
    obj.data = std::move(pool_.back());
    pool_.pop_back();
    pool_bytes_ -= obj.data.capacity();
  }
  obj.data.assign(data.begin(), data.end());  // within the buffer's room: no allocation
  queue_.push_back(std::move(obj));
  view_.queued_bytes += data.size();
  wake();
}

Status MirrorObserver::filemark(const TapePosition& after, uint64_t) {
  std::lock_guard lock(mu_);
  if (!dropped_) {
    if (queue_.empty()) queue_first_ = view_.end;
    queue_.push_back(StreamObject{true, {}});
  }
  view_.end = after.object_index;
  // A filemark is a sync point: everything before it is in the image.
  view_.synced = view_.end;
  if (dropped_) {
    dropped_ = false;
    view_.dropped_bytes = 0;
    queue_first_ = view_.end;
  }
  wake();
  return Status::ok();
}

Status MirrorObserver::stopped(uint64_t) {
  std::lock_guard lock(mu_);
  view_.synced = view_.end;
  if (dropped_) {
    dropped_ = false;
    view_.dropped_bytes = 0;
    queue_first_ = view_.end;
  }
  wake();
  return Status::ok();
}

Status MirrorObserver::erased(const TapePosition& at, uint64_t) {
  std::lock_guard lock(mu_);
  if (view_.writing && at.object_index < view_.end) restart(at.object_index);
  wake();
  return Status::ok();
}

void MirrorObserver::recycle(std::vector<uint8_t> buffer) {
  // Enough for a burst of records between two turns of the mirror thread;
  // more would only hold memory.
  constexpr size_t kPoolBytes = 8u << 20;
  std::lock_guard lock(mu_);
  if (pool_bytes_ + buffer.capacity() > kPoolBytes) return;
  pool_bytes_ += buffer.capacity();
  pool_.push_back(std::move(buffer));
}

MirrorObserver::View MirrorObserver::view() const {
  std::lock_guard lock(mu_);
  return view_;
}

std::optional<StreamObject> MirrorObserver::take(uint64_t generation, uint64_t number) {
  std::lock_guard lock(mu_);
  if (generation != view_.generation) return std::nullopt;
  while (!queue_.empty() && queue_first_ < number) {
    view_.queued_bytes -= queue_.front().data.size();
    queue_.pop_front();
    ++queue_first_;
  }
  if (queue_.empty() || queue_first_ != number) return std::nullopt;
  StreamObject obj = std::move(queue_.front());
  queue_.pop_front();
  ++queue_first_;
  view_.queued_bytes -= obj.data.size();
  return obj;
}

bool MirrorObserver::caught_up() const {
  std::lock_guard lock(mu_);
  return !view_.writing || finished_generation_ >= view_.generation;
}

void MirrorObserver::finished(uint64_t generation) {
  std::lock_guard lock(mu_);
  finished_generation_ = std::max(finished_generation_, generation);
  finished_cv_.notify_all();
}

}  // namespace vtape
