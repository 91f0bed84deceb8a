// Notices that the client of a long control request (vtape snapshot) has
// gone away while the daemon still works on its answer, so that the work
// stops instead of running on for nobody: a hostile client that asks for
// a snapshot at a crawl and hangs up would otherwise hold a control
// connection and a half-made cartridge for as long as the copy takes.
//
// Only a full close counts (POLLHUP: the client closed its socket or was
// killed).  A client that shut its sending side after the request
// (POLLRDHUP alone, what `socat` does at the end of its input) may still
// be reading, and its snapshot goes on.
#pragma once

#include <atomic>
#include <thread>

namespace vtape {

class ClientHangupWatch {
 public:
  // Watches `fd` (a connected stream socket, not owned) on a thread of its
  // own until the object goes away.
  explicit ClientHangupWatch(int fd);
  ~ClientHangupWatch();
  ClientHangupWatch(const ClientHangupWatch&) = delete;
  ClientHangupWatch& operator=(const ClientHangupWatch&) = delete;

  // Set once the client has hung up: a stop flag for ImageCopier::copy_until.
  const std::atomic<bool>* hung_up() const { return &hung_up_; }

 private:
  void watch(int fd);

  std::atomic<bool> hung_up_{false};
  int wake_fd_ = -1;  // an eventfd that ends the watch
  std::thread thread_;
};

}  // namespace vtape
