#include "library/control_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcntl.h>

#include <time.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "library/control_protocol.h"

namespace vtape {

Status ControlServer::start(const std::string& socket_path, Handler handler, mode_t mode, SessionHandler sessions) {
  path_ = socket_path;
  handler_ = std::move(handler);
  sessions_ = std::move(sessions);
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

namespace {

// A request must arrive whole within this time: a client that connects and
// says nothing (or too little) is dropped.
constexpr int kRequestTimeoutMs = 3000;
constexpr size_t kMaxRequestBytes = 4096;
// Connections served at once; one more waits for a place (wait_for_place)
// and is refused when none comes.
constexpr size_t kMaxConnections = 16;
// When all those places are taken, a client silent for longer than this is
// dropped for a new one (a real client sends its line at once).
constexpr int64_t kSilentDropMs = 200;

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Reads up to the first newline, within the deadline.  False (with `why`)
// when the client sent no whole line in time, too much, or went away.
// `*after`: what came after the newline (a feed's first frames).
bool read_request(int fd, std::string* request, std::string* after, std::string* why) {
  int64_t deadline = now_ms() + kRequestTimeoutMs;
  std::string got;
  char buf[512];
  while (got.find('\n') == std::string::npos) {
    if (got.size() > kMaxRequestBytes) {
      *why = fmt::format("request longer than {} bytes", kMaxRequestBytes);
      return false;
    }
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      *why = "no request line within the time allowed";
      return false;
    }
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;  // timed out: the deadline check says so
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *why = "the client closed the connection before a whole request line";
      return false;
    }
    got.append(buf, static_cast<size_t>(n));
  }
  size_t nl = got.find('\n');
  *request = got.substr(0, nl);
  *after = got.substr(nl + 1);
  return true;
}

void write_answer(int fd, const std::string& answer) {
  // A client that does not read cannot hold the thread either.
  timeval tv{kRequestTimeoutMs / 1000, 0};
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  size_t done = 0;
  while (done < answer.size()) {
    ssize_t n = send(fd, answer.data() + done, answer.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

void ControlServer::stop() {
  if (!thread_.joinable()) return;
  char c = 'x';
  (void)!write(stop_pipe_[1], &c, 1);
  thread_.join();
  // Clients still being read get end-of-file now instead of their timeout.
  std::list<std::unique_ptr<Connection>> left;
  {
    std::lock_guard lock(conn_mu_);
    for (auto& conn : connections_) shutdown(conn->fd, SHUT_RDWR);
    left.swap(connections_);
  }
  for (auto& conn : left) {
    conn->thread.join();
    close(conn->fd);
  }
  close(listen_fd_);
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
  unlink(path_.c_str());
}

size_t ControlServer::reap_locked() {
  size_t active = 0;
  for (auto it = connections_.begin(); it != connections_.end();) {
    if ((*it)->done) {
      (*it)->thread.join();
      close((*it)->fd);
      it = connections_.erase(it);
    } else {
      ++active;
      ++it;
    }
  }
  return active;
}

void ControlServer::run() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::unique_lock lock(conn_mu_);
    if (!wait_for_place(lock)) {
      write_answer(fd, fmt::format("error vtapefs is serving {} control connections already; try again\n",
                                   kMaxConnections));
      close(fd);
      continue;
    }
    auto conn = std::make_unique<Connection>();
    conn->fd = fd;
    conn->accepted_ms = now_ms();
    Connection* c = conn.get();
    connections_.push_back(std::move(conn));
    c->thread = std::thread([this, c] {
      serve(*c);
      // The client reads to end-of-file; the descriptor itself is closed
      // when the thread is joined.
      shutdown(c->fd, SHUT_RDWR);
      c->done = true;
    });
  }
}

bool ControlServer::wait_for_place(std::unique_lock<std::mutex>& conn_lock) {
  int64_t give_up = now_ms() + kRequestTimeoutMs;
  for (;;) {
    if (reap_locked() < kMaxConnections) return true;
    // A client that sent its line at once is not dropped for one that
    // connected a moment later: only one silent for this long is.
    Connection* silent = nullptr;
    int64_t now = now_ms();
    for (auto& conn : connections_) {
      if (conn->has_request || conn->dropped || conn->done || now - conn->accepted_ms < kSilentDropMs) continue;
      if (silent == nullptr || conn->accepted_ms < silent->accepted_ms) silent = conn.get();
    }
    if (silent != nullptr) {
      silent->dropped = true;
      // Its reader sees end-of-file and answers why it was dropped.
      shutdown(silent->fd, SHUT_RD);
    } else if (now >= give_up) {
      return false;
    }
    conn_lock.unlock();
    pollfd stop{stop_pipe_[0], POLLIN, 0};
    int stopping = poll(&stop, 1, 10);
    conn_lock.lock();
    if (stopping > 0) return false;
  }
}

void ControlServer::serve(Connection& c) {
  std::string request, after, why;
  if (!read_request(c.fd, &request, &after, &why)) {
    if (c.dropped) why = "no request line while other clients waited for the control socket";
    write_answer(c.fd, "error " + why + "\n");
    return;
  }
  c.has_request = true;
  std::optional<Session> session;
  {
    std::lock_guard lock(handler_mu_);
    if (sessions_) session = sessions_(request);
    if (!session) session = Session{handler_(request), nullptr};
  }
  write_answer(c.fd, session->answer);
  if (session->serve) session->serve(c.fd, std::move(after));
}

}  // namespace vtape
