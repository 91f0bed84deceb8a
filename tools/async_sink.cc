#include "tools/async_sink.h"

#include <cstring>

namespace vtape {

AsyncSink::AsyncSink(RecordSink& target, size_t max_bytes)
    : target_(target), max_bytes_(max_bytes), worker_([this] { run(); }) {}

AsyncSink::~AsyncSink() { (void)finish(); }

Status AsyncSink::push(Item item) {
  std::unique_lock lock(mu_);
  // Wait for room (one item is always let through, however large).
  changed_.wait(lock, [&] {
    return !error_.is_ok() || queue_.empty() || bytes_queued_ + item.data.size() <= max_bytes_;
  });
  if (!error_.is_ok()) return error_;
  bytes_queued_ += item.data.size();
  queue_.push_back(std::move(item));
  // While the lock is held anyway: a reused buffer for the next record.
  if (next_buffer_.capacity() == 0 && !spare_.empty()) {
    next_buffer_ = std::move(spare_.back());
    spare_.pop_back();
  }
  changed_.notify_all();
  return Status::ok();
}

Status AsyncSink::begin_file(uint64_t file) { return push({Kind::kBeginFile, file, 0, false, {}}); }

Status AsyncSink::record(std::span<const uint8_t> data, bool error_flag) {
  Item item{Kind::kRecord, 0, 0, error_flag, std::move(next_buffer_)};
  next_buffer_ = {};
  item.data.resize(data.size());
  if (!data.empty()) std::memcpy(item.data.data(), data.data(), data.size());
  return push(std::move(item));
}

Status AsyncSink::filemark() { return push({Kind::kFilemark, 0, 0, false, {}}); }

Status AsyncSink::end_file(uint64_t file, bool damaged) { return push({Kind::kEndFile, file, damaged, false, {}}); }


void AsyncSink::run() {
  std::deque<Item> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing and drained
      // Everything queued at once: one wake-up for many records.
      batch.swap(queue_);
    }
    Status s;
    size_t done_bytes = 0;
    for (Item& item : batch) {
      if (s.is_ok()) {
        switch (item.kind) {
          case Kind::kBeginFile: s = target_.begin_file(item.a); break;
          case Kind::kRecord: s = target_.record(item.data, item.flag); break;
          case Kind::kFilemark: s = target_.filemark(); break;
          case Kind::kEndFile: s = target_.end_file(item.a, item.b != 0); break;
        }
      }
      done_bytes += item.data.size();
    }
    std::lock_guard lock(mu_);
    bytes_queued_ -= done_bytes;
    for (Item& item : batch) {
      if (item.data.capacity() > 0 && spare_.size() < 64) spare_.push_back(std::move(item.data));
    }
    batch.clear();
    if (!s.is_ok() && error_.is_ok()) {
      error_ = s;
      queue_.clear();  // nothing after a failed write is written
      bytes_queued_ = 0;
    }
    changed_.notify_all();
  }
}

Status AsyncSink::finish() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    changed_.notify_all();
  }
  if (worker_.joinable()) worker_.join();
  std::lock_guard lock(mu_);
  return error_;
}

}  // namespace vtape
