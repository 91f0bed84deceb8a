#include "tools/background_sha256.h"

#include <cstring>

namespace vtape {

BackgroundSha256::BackgroundSha256(size_t max_bytes) : max_bytes_(max_bytes), worker_([this] { run(); }) {}

BackgroundSha256::~BackgroundSha256() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    changed_.notify_all();
  }
  worker_.join();
}

void BackgroundSha256::update(std::span<const uint8_t> data) {
  filling_.insert(filling_.end(), data.begin(), data.end());
  if (filling_.size() >= kChunk) hand_off();
}

void BackgroundSha256::hand_off() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return queue_.empty() || bytes_queued_ + filling_.size() <= max_bytes_; });
  bytes_queued_ += filling_.size();
  queue_.push_back(std::move(filling_));
  filling_.clear();
  if (!spare_.empty()) {
    filling_ = std::move(spare_.back());
    spare_.pop_back();
    filling_.clear();
  }
  changed_.notify_all();
}

std::string BackgroundSha256::hex_digest() {
  if (!filling_.empty()) hand_off();
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return queue_.empty() && !busy_; });
  std::string digest = sha_.hex_digest();
  sha_.reset();
  return digest;
}

void BackgroundSha256::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    std::vector<uint8_t> buffer = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    sha_.update(buffer);
    lock.lock();
    busy_ = false;
    bytes_queued_ -= buffer.size();
    if (spare_.size() < 16) spare_.push_back(std::move(buffer));
    changed_.notify_all();
  }
}

}  // namespace vtape
