// MirrorObserver: what a drive's mirror (vtapefs --mirror, DriveMirror)
// learns of the drive (see DriveObserver).  It only takes note and never
// blocks the writer: the records written are copied into a queue of
// bounded size; when the queue is full it is dropped, and the mirror
// catches up from the image, which holds everything up to the next sync
// point (a filemark, or writing stopping: the drive's buffer is written out
// by then), after which the queue starts again.
//
// Objects are numbered from BOT (records and filemarks, as
// TapePosition::object_index).  A "generation" is one run of writing that
// the remote cartridge can follow by appending: it starts at the first
// write after a load, and again when a write starts before the end of what
// was written (a rewrite after positioning, tar -r over the end) or MTERASE
// cuts the tape there; the mirror then starts the remote cartridge again
// from BOT.
//
// No call the drive makes waits.  After an unload, wait_after_unload()
// (called without the drive's mutex, so that status requests are answered
// meanwhile) waits a bounded time for the mirror to send what is left.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "library/drive_observer.h"
#include "library/stream_sender.h"

namespace vtape {

class MirrorObserver : public DriveObserver {
 public:
  // What the mirror thread sees of the drive.
  struct View {
    uint64_t generation = 0;  // a new one at each load and each restart
    bool loaded = false;
    bool writing = false;     // written since the generation began
    Cartridge cartridge;
    uint64_t start = 0;        // where the generation's writing began (before it: what the tape held)
    uint64_t end = 0;          // objects on the tape (the next write's number)
    uint64_t synced = 0;       // objects surely in the image file
    uint64_t queued_bytes = 0;
    uint64_t dropped_bytes = 0;  // written since the queue was dropped
    bool closing = false;        // unloading, or the daemon stopping
  };

  MirrorObserver(int drive, uint64_t queue_limit, int wake_fd, std::chrono::milliseconds unload_wait)
      : drive_(drive), queue_limit_(queue_limit), wake_fd_(wake_fd), unload_wait_(unload_wait) {}

  void loaded(const Cartridge& cartridge) override;
  void unloading() override;
  Status changing() override { return Status::ok(); }
  void tape_file_begins(const TapePosition& at) override;
  void record(std::span<const uint8_t> data) override;
  Status filemark(const TapePosition& after, uint64_t image_size) override;
  Status stopped(uint64_t image_size) override;
  Status erased(const TapePosition& at, uint64_t image_size) override;
  // vtape migrate moved the image: the mirror reads the same objects from
  // the new path and format from now on (View::cartridge).
  void image_replaced(const Cartridge& cartridge, const TapeFileOffsets& file_offsets) override;
  void event(const std::string&, const std::string&) override {}

  // After the drive unloaded (its mutex not held): waits up to the
  // unload wait for the stream of what was written to end; false (and a
  // line in the log) when it did not in time.
  bool wait_after_unload();

  // For the mirror thread.
  // A buffer the mirror is done with (an acknowledged record's): record()
  // fills it next instead of allocating one under the drive's mutex.
  void recycle(std::vector<uint8_t> buffer);
  View view() const;
  // Object `number` of `generation` when the queue holds it (everything
  // before it is dropped from the queue).
  std::optional<StreamObject> take(uint64_t generation, uint64_t number);
  // The mirror has sent and had acknowledged everything of `generation` up
  // to the end, and ended the remote stream (unloading() stops waiting).
  void finished(uint64_t generation);
  // The daemon stops: the mirror finishes as at an unload.
  void close();
  // Nothing written since the load, or its stream ended.
  bool caught_up() const;

 private:
  void wake();
  void restart(uint64_t at);

  const int drive_;
  const uint64_t queue_limit_;
  const int wake_fd_;  // an eventfd the mirror thread waits on
  const std::chrono::milliseconds unload_wait_;
  mutable std::mutex mu_;
  std::condition_variable finished_cv_;
  View view_;
  bool loaded_ = false;
  uint64_t finished_generation_ = 0;
  uint64_t unloaded_generation_ = 0;  // written, then unloaded: wait_after_unload() waits for it
  uint64_t queue_first_ = 0;  // number of queue_.front()
  std::deque<StreamObject> queue_;
  std::vector<std::vector<uint8_t>> pool_;  // recycle()d buffers for record()
  uint64_t pool_bytes_ = 0;                 // their room
  bool dropped_ = false;      // the queue was full: nothing is queued until the next sync point
};

}  // namespace vtape
