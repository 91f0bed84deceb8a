// StreamSender: the sending end of the stream protocol (issue 18,
// library/stream_protocol.h, man/vtape-stream.5), for `vtape send` and the
// mirror of a drive.  Objects (records and filemarks) are handed to it one
// by one; it runs a command (ssh HOST vtape receive) and speaks the
// protocol on that command's standard input and output.  A bounded window
// of unacknowledged objects in flight keeps the link full while memory
// stays bounded; after a broken connection it runs the command again with
// the same stream id and resumes after what the receiver says it holds
// (ACCEPT); at the end it sends END and takes the receiver's SUMMARY.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "index/digest.h"
#include "library/stream_protocol.h"
#include "tapeformat/base/status.h"

namespace vtape {

struct StreamObject {
  bool filemark = false;
  std::vector<uint8_t> data;
};

// A broken link the sender is about to reconnect after.
struct StreamBreak {
  std::string why;
  uint64_t acknowledged = 0;  // objects the receiver holds
  uint64_t kept_objects = 0;  // sent but not acknowledged: sent again
  uint64_t kept_bytes = 0;
  double delay = 0;           // seconds until the reconnection
  int attempt = 0;            // this reconnection's number
  int retries = 0;            // how many are allowed (-1: no limit)
};

// The tape a stream continues (HELLO's prefix, man/vtape-stream.5): its
// first `objects` objects from BOT, whole tape files of these totals
// (digests of the algorithm `digest`).
struct StreamPrefix {
  uint64_t objects = 0;
  std::string digest;
  StreamTotals totals;
};

struct StreamSenderOptions {
  std::string host;
  std::string volser;
  std::string ssh_command = "ssh";
  std::string receive_command = "vtape receive";
  std::string format;
  uint8_t overwrite = 0;
  uint32_t block_size = 10240;
  int retries = 5;             // -1: reconnect for ever
  double retry_delay = 5;
  uint64_t window = 64u << 20;
  // Set: the receiver need not be sent these objects when its cartridge
  // holds exactly them (kept_prefix()); else the stream writes from BOT.
  std::optional<StreamPrefix> prefix;
  // Told of each break before the wait to reconnect (from the sending thread).
  std::function<void(const StreamBreak&)> on_break;
  // When set and true, every call gives up soon (ECANCELED): a daemon that stops.
  const std::atomic<bool>* cancel = nullptr;
};

class StreamSender {
 public:
  explicit StreamSender(StreamSenderOptions o);
  ~StreamSender();
  StreamSender(const StreamSender&) = delete;
  StreamSender& operator=(const StreamSender&) = delete;

  // One more object of the stream: kept in the window until acknowledged.
  // The first one waits for the receiver's ACCEPT: it names the digest
  // algorithm the tape files are compared with.
  Status add(StreamObject obj);
  // Waits for the receiver's first ACCEPT (add() does too): then
  // kept_prefix() says where the stream starts.
  Status start() { return wait_for_accept(); }
  // The receiver holds options.prefix: the objects given to add() are
  // those after it, and the totals of END count it too.
  bool kept_prefix() const { return kept_prefix_; }
  // No more objects: everything sent, END, and the receiver's SUMMARY.
  Status finish();
  // Keeps the link moving (what was added goes out, acknowledgements come
  // in) until `fd` has something to read: input that pauses must not hold
  // back what it already gave, which a reader on the other side (receive
  // --to-drive) is waiting for.
  Status wait_for_input(int fd);
  // The same for at most about `most` (a mirror that updates its status).
  Status wait_for_input(int fd, std::chrono::milliseconds most);

  // An empty buffer for the next object's data, with the room of one
  // acknowledged before when there is one: a source that fills it and
  // hands it to add() does not allocate per record.
  std::vector<uint8_t> spare_buffer();

  const StreamTotals& sent() const { return sent_; }
  const StreamTotals& received() const { return received_; }
  int reconnections() const { return reconnections_; }
  const StreamId& id() const { return id_; }
  uint64_t produced() const { return produced_; }
  uint64_t acknowledged() const { return acked_; }
  uint64_t unacknowledged_bytes() const { return window_bytes_; }
  // The receiver accepted the current connection.
  bool connected() const { return accepted_; }

 private:
  Status wait_for_accept();
  void disconnect();
  void hang_up();
  Status connect();
  void broke(const std::string& why);
  void next_frame();
  void drop_acknowledged(uint64_t upto);
  void on_frame(const Frame& f);
  bool cancelled();  // sets the error when it is
  void pump(bool wait, int input = -1, bool* input_ready = nullptr);

  StreamSenderOptions o_;
  StreamId id_{};
  Digest digest_;
  StreamTotals sent_;
  StreamTotals received_;
  bool open_file_ = false;
  bool done_adding_ = false;
  std::deque<StreamObject> window_;
  std::vector<std::vector<uint8_t>> spare_;  // buffers of acknowledged objects, for spare_buffer()
  uint64_t window_first_ = 0;  // stream number of window_.front()
  uint64_t window_bytes_ = 0;
  uint64_t produced_ = 0;
  uint64_t next_send_ = 0;
  uint64_t acked_ = 0;
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  std::vector<uint8_t> out_;
  size_t out_pos_ = 0;
  FrameParser parser_;
  bool accepted_ = false;
  bool ever_accepted_ = false;
  bool end_sent_ = false;
  bool have_summary_ = false;
  bool retry_refusal_ = false;  // the receiver asked to be tried again
  bool kept_prefix_ = false;
  bool prefix_declined_ = false;  // a receiver of version 2 refused the prefix's HELLO
  int reconnections_ = 0;
  Status error_;
};

}  // namespace vtape
