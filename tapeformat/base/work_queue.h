// WorkQueue: one worker thread that handles items in the order they were
// pushed, with a bound on the bytes in flight, for the jobs that run beside
// a reader or a drive (the catalog's analysis of a drive's records, a
// restore's SHA-256, a restore's writes to its target).
//
// - push() waits while the queue holds more than max_bytes (one item is
//   always let through, however large), so memory stays bounded whatever
//   the producer does.
// - The worker takes everything queued at once and handles it in order:
//   one wake-up for many small items.
// - Handled items come back for reuse (spare()), so that buffers are
//   allocated while the queue warms up and not for every record.
// - A handler that returns false has failed: what is queued after that
//   item is dropped, and push() refuses from then on (the caller keeps the
//   reason; the queue's lock orders it before push() sees the failure).
// - If no thread can be started, push() handles the item itself: slower,
//   never wrong.
//
// One producer thread calls push(), spare() and drain(); the destructor
// handles what is queued, then stops the worker.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace vtape {

template <class Item>
class WorkQueue {
 public:
  // handle(item) runs on the worker; item_bytes(item) is what it counts
  // against max_bytes.
  WorkQueue(size_t max_bytes, std::function<bool(Item&)> handle, std::function<size_t(const Item&)> item_bytes,
            size_t max_spares = 16)
      : max_bytes_(max_bytes), max_spares_(max_spares), handle_(std::move(handle)), item_bytes_(std::move(item_bytes)) {}
  ~WorkQueue() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    changed_.notify_all();
    if (worker_.joinable()) worker_.join();
  }
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // A handled item to fill again (its buffers keep their capacity), or a
  // new one.
  Item spare() {
    std::lock_guard lock(mu_);
    if (spares_.empty()) return Item{};
    Item item = std::move(spares_.back());
    spares_.pop_back();
    return item;
  }

  // Queues the item for the worker; false once a handler has failed.
  bool push(Item item) {
    start_worker_once();
    if (inline_) {
      if (failed_) return false;
      failed_ = !handle_(item);
      return !failed_;
    }
    size_t bytes = item_bytes_(item);
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return failed_ || queue_.empty() || queued_bytes_ + bytes <= max_bytes_; });
      if (failed_) return false;
      queued_bytes_ += bytes;
      queue_.push_back(std::move(item));
    }
    changed_.notify_all();
    return true;
  }

  // Waits until every item pushed so far is handled; false if a handler
  // failed.
  bool drain() {
    if (inline_ || !worker_.joinable()) return !failed_;
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return queue_.empty() && !busy_; });
    return !failed_;
  }

 private:
  void start_worker_once() {
    if (worker_.joinable() || inline_) return;
    try {
      worker_ = std::thread([this] { run(); });
    } catch (const std::system_error&) {
      inline_ = true;  // no thread to be had
    }
  }

  void run() {
    std::deque<Item> batch;
    std::unique_lock lock(mu_);
    for (;;) {
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is handled
      batch.swap(queue_);
      busy_ = true;
      bool failed = failed_;
      lock.unlock();
      size_t done_bytes = 0;
      for (Item& item : batch) {
        if (!failed) failed = !handle_(item);
        done_bytes += item_bytes_(item);
      }
      lock.lock();
      queued_bytes_ -= done_bytes;
      for (Item& item : batch) {
        if (spares_.size() < max_spares_) spares_.push_back(std::move(item));
      }
      batch.clear();
      if (failed && !failed_) {
        failed_ = true;
        // Nothing after a failed item is handled.
        for (Item& item : queue_) queued_bytes_ -= item_bytes_(item);
        queue_.clear();
      }
      busy_ = false;
      changed_.notify_all();
    }
  }

  const size_t max_bytes_;
  const size_t max_spares_;
  const std::function<bool(Item&)> handle_;
  const std::function<size_t(const Item&)> item_bytes_;

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Item> queue_;
  std::vector<Item> spares_;
  size_t queued_bytes_ = 0;
  bool busy_ = false;
  bool failed_ = false;
  bool stopping_ = false;
  bool inline_ = false;  // no worker: push() handles items itself
  std::thread worker_;
};

}  // namespace vtape
