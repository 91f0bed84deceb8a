// AsyncSink: runs another RecordSink on a thread of its own, so that reading
// and checking the source (restore_replay: the image read, SHA-256 and
// CRC-32C of every record) overlaps with writing the target (a device, an
// image, a directory).  Calls are queued in order; the record data is
// copied into reused buffers, at most `max_bytes` in flight.  The first
// error the target returns is handed back to the reader at its next call,
// which stops the replay; finish() waits for the queue to drain.  Where the
// source bytes lie (source_object) is not passed on: a sink that copies
// image bytes as they are runs on the reader's thread instead.
#pragma once

#include <cstdint>
#include <vector>

#include "tapeformat/base/work_queue.h"
#include "library/restore_replay.h"

namespace vtape {

class AsyncSink : public RecordSink {
 public:
  explicit AsyncSink(RecordSink& target, size_t max_bytes = 32u << 20);
  ~AsyncSink() override;
  AsyncSink(const AsyncSink&) = delete;
  AsyncSink& operator=(const AsyncSink&) = delete;

  Status begin_file(uint64_t file) override;
  Status record(std::span<const uint8_t> data, bool error_flag) override;
  Status filemark() override;
  Status end_file(uint64_t file, bool damaged) override;
  // The stored bytes are not passed on: the target reads them itself.
  // Waits until the target has done everything queued; its first error.
  Status finish();

 private:
  enum class Kind { kBeginFile, kRecord, kFilemark, kEndFile };
  struct Item {
    Kind kind = Kind::kRecord;
    uint64_t a = 0, b = 0;  // file / damaged
    bool flag = false;
    std::vector<uint8_t> data;
  };
  Status push(Item item);
  bool handle(Item& item);  // on the worker

  RecordSink& target_;
  Status error_;  // the target's first error (written by the worker before the queue fails)
  WorkQueue<Item> queue_;  // declared last: stopped first
};

}  // namespace vtape
