#include "tools/read_ahead.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <system_error>

namespace vtape {

namespace {

// poll(2) that goes on after a signal.
int poll_again(pollfd* fds, nfds_t n, int milliseconds) {
  int r;
  while ((r = ::poll(fds, n, milliseconds)) < 0 && errno == EINTR) {
  }
  return r;
}

}  // namespace

ReadAhead::ReadAhead(int fd, size_t chunk_bytes, size_t max_chunks)
    : fd_(fd), chunk_bytes_(chunk_bytes), max_chunks_(max_chunks < 1 ? 1 : max_chunks) {
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) return;  // no thread: next() reads itself
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error&) {
    // As without the pipe: read on the caller's thread.
  }
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (stop_pipe_[1] >= 0) {
    char c = 0;
    while (::write(stop_pipe_[1], &c, 1) < 0 && errno == EINTR) {
    }
  }
  if (thread_.joinable()) thread_.join();
  for (int fd : stop_pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

ReadAhead::Chunk ReadAhead::take_spare_locked() {
  if (spares_.empty()) return Chunk{std::make_unique_for_overwrite<uint8_t[]>(chunk_bytes_), 0};
  Chunk c = std::move(spares_.back());
  spares_.pop_back();
  c.size = 0;
  return c;
}

// Reads go into one chunk until it is full, or until the consumer waits
// for input or none is there to read: then it is handed over.  So a busy
// consumer finds whole chunks (the pipe from ssh gives a few tens of KiB a
// read), and the bound on chunks is one on bytes.
void ReadAhead::run() {
  Chunk filling;
  // Hands `filling` over (waiting for room); false: stopped.
  auto hand_over = [&]() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return stopping_ || ready_.size() < max_chunks_; });
    if (stopping_) return false;
    ready_.push_back(std::move(filling));
    filling = take_spare_locked();
    changed_.notify_all();
    return true;
  };
  auto end = [&](int error) {
    std::lock_guard lock(mu_);
    if (filling.size > 0) ready_.push_back(std::move(filling));
    ended_ = true;
    error_ = error;
    changed_.notify_all();
  };
  {
    std::lock_guard lock(mu_);
    filling = take_spare_locked();
  }
  for (;;) {
    if (filling.size == chunk_bytes_ && !hand_over()) return;
    pollfd p[2] = {{fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    int ready = poll_again(p, 2, 0);
    if (ready == 0 && filling.size > 0) {
      // Nothing more to read at once: what there is goes to the consumer.
      if (!hand_over()) return;
    }
    if (ready == 0) ready = poll_again(p, 2, -1);
    if (ready < 0) return end(errno);
    if ((p[1].revents & POLLIN) != 0) return;  // stopped
    ssize_t n = ::read(fd_, filling.data.get() + filling.size, chunk_bytes_ - filling.size);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return end(n < 0 ? errno : 0);
    filling.size += static_cast<size_t>(n);
    bool consumer_waits;
    {
      std::lock_guard lock(mu_);
      consumer_waits = ready_.empty();
    }
    if (consumer_waits && !hand_over()) return;
  }
}

bool ReadAhead::wait(int milliseconds) {
  if (!thread_.joinable()) {
    pollfd p{fd_, POLLIN, 0};
    return poll_again(&p, 1, milliseconds) > 0;
  }
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, std::chrono::milliseconds(milliseconds),
                           [&] { return !ready_.empty() || ended_; });
}

ReadAhead::Result ReadAhead::read_inline(Chunk* chunk, int* error) {
  {
    std::lock_guard lock(mu_);
    if (ended_) {
      *error = error_;
      return error_ != 0 ? Result::kError : Result::kEnd;
    }
    *chunk = take_spare_locked();
  }
  ssize_t n;
  while ((n = ::read(fd_, chunk->data.get(), chunk_bytes_)) < 0 && errno == EINTR) {
  }
  if (n > 0) {
    chunk->size = static_cast<size_t>(n);
    return Result::kData;
  }
  std::lock_guard lock(mu_);
  ended_ = true;
  error_ = n < 0 ? errno : 0;
  *error = error_;
  return error_ != 0 ? Result::kError : Result::kEnd;
}

ReadAhead::Result ReadAhead::next(Chunk* chunk, int* error) {
  if (!thread_.joinable()) return read_inline(chunk, error);
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return !ready_.empty() || ended_; });
  if (!ready_.empty()) {
    *chunk = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return Result::kData;
  }
  *error = error_;
  return error_ != 0 ? Result::kError : Result::kEnd;
}

void ReadAhead::give_back(Chunk chunk) {
  if (!chunk.data) return;
  std::lock_guard lock(mu_);
  // The thread never holds more than max_chunks_ + 1 chunks: keep as many.
  if (spares_.size() <= max_chunks_) spares_.push_back(std::move(chunk));
}

}  // namespace vtape
