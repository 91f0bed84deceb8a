#include "library/control_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "library/control_protocol.h"

namespace vtape {

Status ControlServer::start(const std::string& socket_path, Handler handler, mode_t mode) {
  path_ = socket_path;
  handler_ = std::move(handler);
  std::string ignored;
  if (control_request(socket_path, "status", &ignored).is_ok()) {
    return Status::invalid_argument(fmt::format("another vtapefs is already serving this library ({})", socket_path));
  }
  unlink(socket_path.c_str());  // a stale socket from a daemon that died
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    return Status::invalid_argument(fmt::format("socket path too long: {}", socket_path));
  }
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Status::io_error("socket", errno);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || chmod(socket_path.c_str(), mode) != 0 ||
      listen(listen_fd_, 8) != 0) {
    return Status::io_error(fmt::format("cannot listen on {}", socket_path), errno);
  }
  if (pipe2(stop_pipe_, O_CLOEXEC) != 0) return Status::io_error("pipe", errno);
  thread_ = std::thread([this] { run(); });
  return Status::ok();
}

void ControlServer::stop() {
  if (!thread_.joinable()) return;
  char c = 'x';
  (void)!write(stop_pipe_[1], &c, 1);
  thread_.join();
  close(listen_fd_);
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
  unlink(path_.c_str());
}

void ControlServer::run() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    std::string request;
    char buf[512];
    while (request.find('\n') == std::string::npos && request.size() < 4096) {
      ssize_t n = read(conn, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
    }
    request = request.substr(0, request.find('\n'));
    std::string answer = handler_(request);
    size_t done = 0;
    while (done < answer.size()) {
      ssize_t n = write(conn, answer.data() + done, answer.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(conn);
  }
}

}  // namespace vtape
