// ReadAhead: reads a file descriptor (vtape receive's standard input, the
// pipe from ssh) on a thread of its own into chunks, so that the reading
// goes on while the consumer is busy elsewhere: the receiver syncing the
// tape before an acknowledgement.  Without it the pipe filled during each
// sync, and ssh and the sender stood still while the disk worked (issue
// 18's figure).  At most `max_chunks` chunks are read and not yet taken:
// then the thread waits, and the pipe fills as before (memory stays
// bounded whatever the sender's window).
//
// One consumer thread calls wait(), next() and give_back().  The
// destructor stops the thread, even one waiting for input, and joins it.
// If no thread can be started, next() reads on the caller's thread: slower,
// never wrong.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace vtape {

class ReadAhead {
 public:
  // A piece of input as one read(2) returned it.
  struct Chunk {
    std::unique_ptr<uint8_t[]> data;
    size_t size = 0;
    std::span<const uint8_t> bytes() const { return {data.get(), size}; }
  };
  enum class Result {
    kData,   // *chunk holds bytes
    kEnd,    // end of input (read returned 0)
    kError,  // read failed; *error is its errno
  };

  ReadAhead(int fd, size_t chunk_bytes, size_t max_chunks);
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // Whether next() would return at once: a chunk, the end or an error is
  // there, or comes within `milliseconds`.
  bool wait(int milliseconds);
  // The next chunk, the end of input or a read error, waiting as long as it
  // takes.  After kEnd or kError every call returns the same.
  Result next(Chunk* chunk, int* error);
  // A chunk taken with next(), done with: its memory is read into again.
  void give_back(Chunk chunk);

 private:
  void run();
  Chunk take_spare_locked();
  Result read_inline(Chunk* chunk, int* error);

  const int fd_;
  const size_t chunk_bytes_;
  const size_t max_chunks_;
  int stop_pipe_[2] = {-1, -1};  // written by the destructor: the thread's poll wakes up
  std::thread thread_;

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Chunk> ready_;
  std::vector<Chunk> spares_;
  bool ended_ = false;  // after the chunks in ready_: the end of input, or an error
  int error_ = 0;       // errno of that error; 0 at the end of input
  bool stopping_ = false;
};

}  // namespace vtape
