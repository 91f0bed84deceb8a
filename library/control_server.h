// The daemon's side of the control socket (control_protocol.h): a thread
// that accepts connections, each read on its own thread with a deadline
// (a client that connects and sends nothing holds up nobody: when all the
// places are taken, the one silent longest is dropped for a new client), and hands
// each request line to a handler, one request at a time.  stop() never
// waits for a client: it shuts down the sockets still being read.  A request
// may keep its connection after the answer (a feed, feed_protocol.h): its
// session goes on on the connection's thread, outside the one-at-a-time
// lock, until the client or stop() ends it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "tapeformat/base/status.h"

namespace vtape {

class ControlServer {
 public:
  // Returns the answer to send: "ok\n..." or "error ...\n".
  using Handler = std::function<std::string(const std::string& request)>;
  // A request that keeps its connection: `answer` is sent as for any
  // request, then `serve` gets the socket and the bytes the client sent
  // after its request line (it must not close the socket).
  struct Session {
    std::string answer;
    std::function<void(int fd, std::string early)> serve;
  };
  // Asked first, under the same lock as Handler: nullopt when the request is
  // not one that keeps its connection (Handler answers it then).
  using SessionHandler = std::function<std::optional<Session>(const std::string& request)>;

  ~ControlServer() { stop(); }
  // Binds the socket (refusing when another daemon answers on it) and starts
  // the thread.
  // The socket gets exactly `mode` (the library's file mode) before it listens.
  Status start(const std::string& socket_path, Handler handler, mode_t mode, SessionHandler sessions = nullptr);
  void stop();

 private:
  // One accepted client: its socket stays open until its thread is joined,
  // so that stop() can shut it down without hitting a reused descriptor.
  struct Connection {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
    int64_t accepted_ms = 0;              // when it was accepted (CLOCK_MONOTONIC)
    std::atomic<bool> has_request{false};  // its request line came whole
    std::atomic<bool> dropped{false};      // shut for a client that waited
  };
  void run();
  void serve(Connection& c);
  // Joins the threads of the connections that are done; returns how many
  // are still being served.  Under conn_mu_.
  size_t reap_locked();
  // Makes room for one more connection when every place is taken: the
  // client that has been silent longest (longer than a moment) is dropped
  // for the one waiting; when none is, waits for a place, at most as long
  // as a silent client may stay.  False when no place came (or stop()).
  bool wait_for_place(std::unique_lock<std::mutex>& conn_lock);

  std::string path_;
  Handler handler_;
  SessionHandler sessions_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
  std::mutex handler_mu_;  // one request handled at a time
  std::mutex conn_mu_;
  std::list<std::unique_ptr<Connection>> connections_;
};

}  // namespace vtape
