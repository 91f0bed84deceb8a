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
// Members can stream out while the tape file is still written: with a
// member sink set, the worker hands it the members found so far (final
// ones: ContentReader::take_members) whenever kBatchMembers have gathered
// or a second has passed since the last hand-over, in order; finish() then
// returns only the members not handed over.
//
// One producer thread (the drive's, under its lock) calls every method.
// The worker thread (a WorkQueue's) starts with the first record, so a
// drive that only reads never has one; if it cannot be started, the records
// are analysed in add_record() itself.
#pragma once

#include <cstddef>
#include <chrono>
#include <cstdint>
#include <functional>
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
  static constexpr size_t kBatchMembers = 4096;
  static constexpr std::chrono::milliseconds kBatchInterval{1000};
  // Called on the worker thread with the next members of the tape file;
  // returns whether it took them (moved them out: the vector is emptied
  // after; false: they are kept, offered again with the next batch, and
  // finish() returns those never taken).
  using MemberSink = std::function<bool(std::vector<TapeMember>& members)>;

  explicit BackgroundAnalyzer(DigestAlgorithm digest, size_t chunk_bytes = kChunkBytes);
  ~BackgroundAnalyzer();
  BackgroundAnalyzer(const BackgroundAnalyzer&) = delete;
  BackgroundAnalyzer& operator=(const BackgroundAnalyzer&) = delete;

  // A new tape file: whatever was added and not finished is dropped.  With
  // a sink, this file's members stream out to it (see above).
  void start(MemberSink sink = nullptr);
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
  // On the worker: hands the members gathered to the sink when a batch is
  // full or its interval has passed.
  void stream_members();

  const DigestAlgorithm digest_;
  const size_t chunk_bytes_;
  std::unique_ptr<TapeFileAnalyzer> analyzer_;  // used by the worker while it is busy
  // Like analyzer_, the worker's while it is busy.
  MemberSink sink_;
  std::vector<TapeMember> gathered_;  // taken from analyzer_, not yet handed to the sink
  std::chrono::steady_clock::time_point last_handed_;
  std::optional<Chunk> current_;                // being filled by the producer
  WorkQueue<Chunk> queue_;                      // declared last: stopped first
};

}  // namespace vtape
