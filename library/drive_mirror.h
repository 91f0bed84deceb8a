// DriveMirror: vtapefs --mirror [USER@]HOST:PREFIX for one drive.  Every
// record and filemark written to the drive also goes to the remote library,
// cartridge PREFIX + volser, through a StreamSender (ssh HOST vtape
// receive).  Its MirrorObserver (given to the drive) notes what is written;
// this thread sends it: from the observer's queue while that holds it, from
// the local image otherwise (everything before the last sync point is
// there).  Each generation (mirror_observer.h) is one stream that writes
// the remote cartridge from BOT with --overwrite=always, or after what the
// tape held before the generation began when the remote cartridge holds
// exactly that already (a tape appended to after a load); a broken link is
// retried every --mirror-retry seconds and resumes (the sender keeps what
// was not acknowledged); a stream that fails is started again from the
// image.  The stream ends (END, SUMMARY, digests compared) at unload or
// when the daemon stops.  The journal has a line for each disconnect,
// reconnect and end; `vtape status` shows the link (MirrorLinkStatus).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "library/mirror_observer.h"
#include "library/mirror_status.h"

namespace vtape {

struct MirrorOptions {
  std::string host;    // [USER@]HOST
  std::string prefix;  // of the remote volume serials ("" allowed)
  std::string ssh_command = "ssh";
  std::string receive_command = "vtape receive";
  double retry_seconds = 5;
  uint64_t queue_bytes = 64u << 20;                // the observer's queue
  std::chrono::milliseconds unload_wait{30000};    // at unload and at stop
  // The local library, whose catalog describes what a tape held before
  // writing began (a prefix the remote cartridge may hold already).
  std::string library_dir;
};

// "[USER@]HOST:PREFIX" into host and prefix; false when it is not that.
bool parse_mirror_destination(const std::string& text, MirrorOptions* out);

class DriveMirror {
 public:
  DriveMirror(int drive, MirrorOptions options);
  ~DriveMirror();  // stop()
  DriveMirror(const DriveMirror&) = delete;
  DriveMirror& operator=(const DriveMirror&) = delete;

  std::shared_ptr<MirrorObserver> observer() const { return observer_; }
  MirrorLinkStatus status() const;
  // Waits a bounded time for the remote copy to catch up and its stream to
  // end, logs what is left behind, and ends the thread.
  void stop();

 private:
  class Run;
  void loop();
  void set_status(const std::string& link, const std::string& reason = "");

  const int drive_;
  const MirrorOptions options_;
  int wake_fd_ = -1;
  std::shared_ptr<MirrorObserver> observer_;
  std::atomic<bool> cancel_{false};
  mutable std::mutex status_mu_;
  MirrorLinkStatus status_;
  std::thread thread_;
};

}  // namespace vtape
