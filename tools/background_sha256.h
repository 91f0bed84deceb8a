// BackgroundSha256: SHA-256 of a stream of records computed on a thread of
// its own, so that a restore reads, checks record CRCs and writes while the
// digest (the most expensive part of checking, about 0.6 s of CPU per GiB)
// runs beside it.  Records are gathered into chunks of 1 MiB (so the
// worker wakes once a chunk, not once a record), at most `max_bytes` in
// flight, in reused buffers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "index/sha256.h"

namespace vtape {

class BackgroundSha256 {
 public:
  explicit BackgroundSha256(size_t max_bytes = 8u << 20);
  ~BackgroundSha256();
  BackgroundSha256(const BackgroundSha256&) = delete;
  BackgroundSha256& operator=(const BackgroundSha256&) = delete;

  void update(std::span<const uint8_t> data);
  // Waits for everything given so far; the digest as 64 hex digits.  The
  // next update() starts a new digest.
  std::string hex_digest();

 private:
  void run();
  void hand_off();  // queues filling_ for the worker

  static constexpr size_t kChunk = 1u << 20;
  std::vector<uint8_t> filling_;  // the caller's side: records not queued yet

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::vector<uint8_t>> queue_;
  std::vector<std::vector<uint8_t>> spare_;
  size_t bytes_queued_ = 0;
  const size_t max_bytes_;
  bool busy_ = false;
  bool stopping_ = false;
  Sha256 sha_;  // used by the worker only, and by hex_digest() once it is idle
  std::thread worker_;
};

}  // namespace vtape
