// BackgroundDigest: the digest (index/digest.h, of the algorithm chosen at
// construction) of a stream of records computed on a thread of its own, so
// that a restore reads, checks record CRCs and writes while the digest runs
// beside it (SHA-256 costs about 0.6 s of CPU per GiB; XXH3-128 far less,
// but still a pass over every byte).  Records are gathered into chunks of
// 1 MiB (so the worker wakes once a chunk, not once a record), at most
// `max_bytes` in flight, in reused buffers.  XXH3-128 is computed on the
// caller's thread instead: it runs faster than the copy into a chunk that
// handing it over costs (a restore to an image spent as much CPU on that
// copy as on the digest).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "index/digest.h"
#include "tapeformat/base/work_queue.h"

namespace vtape {

class BackgroundDigest {
 public:
  explicit BackgroundDigest(DigestAlgorithm algorithm, size_t max_bytes = 8u << 20);

  DigestAlgorithm algorithm() const { return digest_.algorithm(); }
  void update(std::span<const uint8_t> data);
  // Waits for everything given so far; the digest as lower-case hex.  The
  // next update() starts a new digest.
  std::string hex_digest();

 private:
  void hand_off();  // queues filling_ for the worker

  static constexpr size_t kChunk = 1u << 20;
  Digest digest_;  // used by the worker only, and by hex_digest() once it is idle
  const bool inline_;  // computed by update() itself, no worker involved
  std::vector<uint8_t> filling_;  // the caller's side: records not queued yet
  WorkQueue<std::vector<uint8_t>> queue_;  // declared last: stopped first
};

}  // namespace vtape
