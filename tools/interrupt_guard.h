// InterruptGuard: while one lives, Ctrl-C and SIGTERM set a flag instead of
// ending the command, so that it stops at a safe point of its own (a
// restore at the next record, a migration by aborting before its switch)
// rather than dying with a tape past its last sync point.  A signal that
// was ignored from the start (a background job's SIGINT) stays ignored.
#pragma once

#include <signal.h>

#include <atomic>

namespace vtape {

class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // Set once SIGINT or SIGTERM arrived while a guard lived (cleared when a
  // guard is made).
  static const std::atomic<bool>& interrupted();

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace vtape
