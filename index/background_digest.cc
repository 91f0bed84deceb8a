#include "index/background_digest.h"

namespace vtape {

BackgroundDigest::BackgroundDigest(DigestAlgorithm algorithm, size_t max_bytes)
    : digest_(algorithm),
      inline_(algorithm == DigestAlgorithm::kXxh3_128),
      queue_(
          max_bytes,
          [this](std::vector<uint8_t>& chunk) {
            digest_.update(chunk);
            return true;
          },
          [](const std::vector<uint8_t>& chunk) { return chunk.size(); }) {}

void BackgroundDigest::update(std::span<const uint8_t> data) {
  if (inline_) {
    digest_.update(data);
    return;
  }
  filling_.insert(filling_.end(), data.begin(), data.end());
  if (filling_.size() >= kChunk) hand_off();
}

void BackgroundDigest::hand_off() {
  queue_.push(std::move(filling_));
  filling_ = queue_.spare();
  filling_.clear();
}

std::string BackgroundDigest::hex_digest() {
  if (inline_) return digest_.hex_digest();
  if (!filling_.empty()) hand_off();
  queue_.drain();
  return digest_.hex_digest();
}

}  // namespace vtape
