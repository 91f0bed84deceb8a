#include "tests/test_support/control_client_helpers.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace vtape::testing {

std::string control_socket_path(const MountedVtapefs& vt) { return vt.library() + "/vtapefs.sock"; }

int connect_control(const MountedVtapefs& vt) {
  std::string path = control_socket_path(vt);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    close(fd);
    errno = e;  // the caller reports why it could not connect
    return -1;
  }
  return fd;
}

std::string read_answer(int fd, double limit_s) {
  std::string out;
  auto start = std::chrono::steady_clock::now();
  char buf[4096];
  while (seconds_since(start) < limit_s) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string send_raw(const MountedVtapefs& vt, const std::string& bytes, bool close_after, double limit_s) {
  int fd = connect_control(vt);
  if (fd < 0) return "cannot connect: " + std::string(std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) break;  // the daemon stopped reading (a line too long): fine
    done += static_cast<size_t>(n);
  }
  if (close_after) shutdown(fd, SHUT_WR);
  std::string answer = read_answer(fd, limit_s);
  close(fd);
  return answer;
}

CommandResult timed_status(const MountedVtapefs& vt, double* took) {
  auto t = std::chrono::steady_clock::now();
  CommandResult r = run_command("timeout 10 env VTAPE_LIBRARY=" + shell_quote(vt.library()) + " " +
                                shell_quote(VTAPE_BINARY) + " status");
  *took = seconds_since(t);
  return r;
}

}  // namespace vtape::testing
