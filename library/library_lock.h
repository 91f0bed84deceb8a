// The library's lock: DIR/vtapefs.lock, held (flock, exclusive) by whoever
// serves the library's drives and changes its state (drives.state, the
// cartridge descriptions): a vtapefs for its whole life (taken before it
// forks into the background, so a second vtapefs is refused before it
// mounts anything), or a `vtape` command that changes the state while no
// daemon runs, for the length of that change.  So there is one writer of
// the library's state at a time, and a command never writes the state
// under a daemon that is still starting: it waits for that daemon and asks
// it instead.  The lock file holds the holder's pid, for messages.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "library/tape_library.h"
#include "tapeformat/base/status.h"

namespace vtape {

class LibraryLock {
 public:
  ~LibraryLock();
  LibraryLock(const LibraryLock&) = delete;
  LibraryLock& operator=(const LibraryLock&) = delete;

  // Takes the lock without waiting.  *held_by_other is set (and *out left
  // empty, the status ok) when another process holds it.
  static Status try_acquire(const TapeLibrary& library, std::unique_ptr<LibraryLock>* out, bool* held_by_other);
  // The pid written in the lock file by its last holder (0 if none).
  static long holder_pid(const TapeLibrary& library);
  // Records this process (the daemon, after it forked) as the holder.
  void note_holder();

 private:
  explicit LibraryLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// How long a command waits for a vtapefs that holds the lock but does not
// answer on its socket yet (it is starting), and a vtapefs for a command
// that holds the lock for a moment.
constexpr int kLockWaitMilliseconds = 10000;

// Sends `request` to the vtapefs serving the library, or, when none does,
// runs `offline` holding the library's lock (a starting vtapefs is waited
// for, not written under).  *offline_ran says which happened.  The daemon's
// error or offline's status is returned.
Status request_or_offline(const TapeLibrary& library, const std::string& request, std::string* payload,
                          const std::function<Status()>& offline, bool* offline_ran);

}  // namespace vtape
