// BackgroundAnalyzer: a TapeFileAnalyzer on a worker thread of its own, so
// that a drive's write() does not wait for the digest and the content
// recognition of each record (they cost more than writing the record).
//
// add_record() copies the record into a chunk of a small pool and returns;
// a full chunk goes to the worker, which analyses its records in order.
// When every chunk is in flight, add_record() waits for one (the queue is
// bounded: at most kPoolChunks chunks of kChunkBytes, more only for records
// larger than a chunk; the chunks are reused).  finish() hands over what is left, waits until the
// worker has analysed every record, and returns the analysis, as
// TapeFileAnalyzer::finish() would have after the same records.
//
// One producer thread (the drive's, under its lock) calls every method.
// The worker thread (a WorkQueue's) starts with the first record, so a
// drive that only reads never has one; if it cannot be started, the records
// are analysed in add_record() itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "index/tape_file_analyzer.h"
#include "tapeformat/base/work_queue.h"

namespace vtape {

class BackgroundAnalyzer {
 public:
  static constexpr size_t kChunkBytes = 1 << 20;
  static constexpr size_t kPoolChunks = 4;

  explicit BackgroundAnalyzer(DigestAlgorithm digest, size_t chunk_bytes = kChunkBytes);
  ~BackgroundAnalyzer();
  BackgroundAnalyzer(const BackgroundAnalyzer&) = delete;
  BackgroundAnalyzer& operator=(const BackgroundAnalyzer&) = delete;

  // A new tape file: whatever was added and not finished is dropped.
  void start();
  void add_record(std::span<const uint8_t> data);
  // The analysis of every record added since start(); start() again before
  // adding more.
  TapeFileAnalysis finish();

 private:
  // Records laid end to end; lengths[i] is the size of the i-th one.
  struct Chunk {
    std::vector<uint8_t> bytes;
    size_t used = 0;
    std::vector<uint32_t> lengths;
  };

  void hand_over_current();
  // Waits until the worker has analysed everything handed over.
  void drain();

  const DigestAlgorithm digest_;
  const size_t chunk_bytes_;
  std::unique_ptr<TapeFileAnalyzer> analyzer_;  // used by the worker while it is busy
  std::optional<Chunk> current_;                // being filled by the producer
  WorkQueue<Chunk> queue_;                      // declared last: stopped first
};

}  // namespace vtape
