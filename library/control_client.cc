#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "library/control_protocol.h"

namespace vtape {

Status control_connect(const std::string& socket_path, int* out) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    return Status::invalid_argument(fmt::format("socket path too long: {}", socket_path));
  }
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::io_error("socket", errno);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    close(fd);
    if (e == ENOENT || e == ECONNREFUSED) {
      return Status::not_found(fmt::format("no vtapefs is running on this library ({})", socket_path));
    }
    return Status::io_error(fmt::format("cannot reach vtapefs at {}", socket_path), e);
  }
  *out = fd;
  return Status::ok();
}

Status control_request(const std::string& socket_path, const std::string& request, std::string* payload) {
  int fd = -1;
  VTAPE_RETURN_IF_ERROR(control_connect(socket_path, &fd));
  std::string line = request + "\n";
  // send(MSG_NOSIGNAL), not write(): a daemon that refuses a client (all its
  // places taken) answers and closes, maybe before the request is sent, and
  // SIGPIPE would kill the caller before it could print why.  Its answer is
  // still read after a failed send.
  int send_errno = 0;
  for (size_t done = 0; done < line.size();) {
    ssize_t n = send(fd, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      send_errno = errno;
      break;
    }
    done += static_cast<size_t>(n);
  }
  std::string answer;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  auto nl = answer.find('\n');
  std::string head = answer.substr(0, nl);
  if (head == "ok") {
    *payload = nl == std::string::npos ? "" : answer.substr(nl + 1);
    return Status::ok();
  }
  if (head.rfind("error ", 0) == 0) return Status::invalid_argument(head.substr(6));
  if (send_errno != 0) {
    return Status::io_error(fmt::format("vtapefs at {} closed the connection before taking the request '{}'",
                                        socket_path, request),
                            send_errno);
  }
  return Status::io_error(fmt::format("vtapefs gave no answer to '{}'", request), EPROTO);
}

}  // namespace vtape
