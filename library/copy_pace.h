// Keeps a copy at or under a rate in bytes per second (vtape snapshot and
// vtape migrate --max-rate): a cartridge moved or copied while its storage
// also serves the drives takes no more of the disk than the user allows.
// The rate is an average since the copy began; after a pause (a sync, a
// look under the drive's mutex) the copy may catch up for at most a
// second's worth, not burst for the whole pause.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace vtape {

// The lowest rate a user may ask of a copy (max-rate= of the control
// requests, vtape snapshot and vtape migrate --max-rate): 1 MiB a second.
// A copy at a crawl holds its cartridge, a control connection and (a
// snapshot) a half-made cartridge for hours or days; at this rate a GiB
// takes 17 minutes.
constexpr uint64_t kMinCopyRate = 1u << 20;

class CopyPace {
 public:
  // 0: no limit.
  explicit CopyPace(uint64_t bytes_per_second = 0) : rate_(bytes_per_second) {}

  uint64_t rate() const { return rate_; }
  // `bytes` more were copied: sleeps while the copy is ahead of the rate,
  // waking early when `stop` is set.
  void after(uint64_t bytes, const std::atomic<bool>* stop = nullptr);

 private:
  using Clock = std::chrono::steady_clock;
  uint64_t rate_;
  bool started_ = false;
  Clock::time_point since_;
  uint64_t bytes_since_ = 0;
};

}  // namespace vtape
