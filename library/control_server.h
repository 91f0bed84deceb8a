// The daemon's side of the control socket (control_protocol.h): a thread
// that accepts one connection at a time and hands each request line to a
// handler.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <thread>

#include "tapeformat/status.h"

namespace vtape {

class ControlServer {
 public:
  // Returns the answer to send: "ok\n..." or "error ...\n".
  using Handler = std::function<std::string(const std::string& request)>;

  ~ControlServer() { stop(); }
  // Binds the socket (refusing when another daemon answers on it) and starts
  // the thread.
  // The socket gets exactly `mode` (the library's file mode) before it listens.
  Status start(const std::string& socket_path, Handler handler, mode_t mode);
  void stop();

 private:
  void run();

  std::string path_;
  Handler handler_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace vtape
