// BackgroundSha256: SHA-256 of a stream of records computed on a thread of
// its own, so that a restore reads, checks record CRCs and writes while the
// digest (the most expensive part of checking, about 0.6 s of CPU per GiB)
// runs beside it.  Records are gathered into chunks of 1 MiB (so the
// worker wakes once a chunk, not once a record), at most `max_bytes` in
// flight, in reused buffers.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "index/sha256.h"
#include "tapeformat/base/work_queue.h"

namespace vtape {

class BackgroundSha256 {
 public:
  explicit BackgroundSha256(size_t max_bytes = 8u << 20);

  void update(std::span<const uint8_t> data);
  // Waits for everything given so far; the digest as 64 hex digits.  The
  // next update() starts a new digest.
  std::string hex_digest();

 private:
  void hand_off();  // queues filling_ for the worker

  static constexpr size_t kChunk = 1u << 20;
  Sha256 sha_;  // used by the worker only, and by hex_digest() once it is idle
  std::vector<uint8_t> filling_;  // the caller's side: records not queued yet
  WorkQueue<std::vector<uint8_t>> queue_;  // declared last: stopped first
};

}  // namespace vtape
