#include "library/client_hangup_watch.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace vtape {

ClientHangupWatch::ClientHangupWatch(int fd) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  // Without an eventfd there is no way to end the watch: nothing is
  // watched (the request runs to its end, as it did before).
  if (wake_fd_ >= 0) thread_ = std::thread([this, fd] { watch(fd); });
}

ClientHangupWatch::~ClientHangupWatch() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void ClientHangupWatch::watch(int fd) {
  for (;;) {
    // No events asked of the client's socket: POLLHUP and POLLERR come
    // anyway, and bytes the client sends after its request (POLLIN) wake
    // nothing.
    pollfd fds[2] = {{fd, 0, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) {
      hung_up_ = true;
      return;
    }
  }
}

}  // namespace vtape
