#include "index/background_sha256.h"

namespace vtape {

BackgroundSha256::BackgroundSha256(size_t max_bytes)
    : queue_(
          max_bytes,
          [this](std::vector<uint8_t>& chunk) {
            sha_.update(chunk);
            return true;
          },
          [](const std::vector<uint8_t>& chunk) { return chunk.size(); }) {}

void BackgroundSha256::update(std::span<const uint8_t> data) {
  filling_.insert(filling_.end(), data.begin(), data.end());
  if (filling_.size() >= kChunk) hand_off();
}

void BackgroundSha256::hand_off() {
  queue_.push(std::move(filling_));
  filling_ = queue_.spare();
  filling_.clear();
}

std::string BackgroundSha256::hex_digest() {
  if (!filling_.empty()) hand_off();
  queue_.drain();
  std::string digest = sha_.hex_digest();
  sha_.reset();
  return digest;
}

}  // namespace vtape
