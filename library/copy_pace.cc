#include "library/copy_pace.h"

#include <algorithm>
#include <thread>

namespace vtape {

void CopyPace::after(uint64_t bytes, const std::atomic<bool>* stop) {
  if (rate_ == 0) return;
  Clock::time_point now = Clock::now();
  if (!started_) {
    started_ = true;
    since_ = now;
  }
  bytes_since_ += bytes;
  auto due = [&] {
    return since_ + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(static_cast<double>(bytes_since_) / static_cast<double>(rate_)));
  };
  // Behind by more than a second (the copy paused): the average starts
  // again from here.
  if (now - due() > std::chrono::seconds(1)) {
    since_ = now;
    bytes_since_ = 0;
    return;
  }
  // Slept in short slices, so that a stop is seen soon.
  for (Clock::time_point until = due(); (now = Clock::now()) < until;) {
    if (stop != nullptr && stop->load()) return;
    std::this_thread::sleep_for(std::min<Clock::duration>(until - now, std::chrono::milliseconds(50)));
  }
}

}  // namespace vtape
