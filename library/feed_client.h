// FeedClient: a StreamTarget that is a drive of the running vtapefs serving
// the library, reached through its control socket (a feed,
// feed_protocol.h).  `vtape receive` uses it when a daemon serves the
// library it receives into; the daemon's drive does the writing, the
// catalog and the st rules.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "library/stream_target.h"
#include "tapeformat/tape_format.h"

namespace vtape {

class FeedClient : public StreamTarget {
 public:
  // The cartridge `volser` (made in `format`, else SIMH, when it does not
  // exist) in a free drive of the daemon, positioned by `overwrite`;
  // `door` is what `vtape status` shows for the drive ("vtape receive (pid
  // N)").  Refused (the daemon's message) when it is in a drive in use.
  static Status open_cartridge(const std::string& socket_path, const std::string& volser,
                               std::optional<Format> format, StreamOverwrite overwrite, const std::string& door,
                               std::unique_ptr<FeedClient>* out);
  // The cartridge already in drive `drive` of the mount, written at its end
  // of data while a program on this host may read the drive.
  static Status open_drive(const std::string& socket_path, int drive, std::unique_ptr<FeedClient>* out);
  // An unfinished feed ends incomplete (finish(false)).
  ~FeedClient() override;
  FeedClient(const FeedClient&) = delete;
  FeedClient& operator=(const FeedClient&) = delete;

  int drive() const { return drive_; }

  // Records are not acknowledged one by one: a record the daemon refused
  // (kNoSpace at early warning or on a full disk, else an I/O error) is
  // reported by the next call, and ends the feed; objects_written() counts
  // what was sent, the tape says how much arrived.

  Status record(std::span<const uint8_t> data, bool error_flag) override;
  Status filemark() override;
  uint64_t objects_before() const override { return objects_before_; }
  uint64_t objects_written() const override { return objects_written_; }
  Status sync() override;
  Status finish(bool complete) override;

 private:
  FeedClient() = default;
  static Status open(const std::string& socket_path, const std::string& request, std::unique_ptr<FeedClient>* out);
  Status send_frame(uint8_t kind, std::span<const uint8_t> data);
  // The daemon's next line ("ok N" / "error MESSAGE"): ok with *count set,
  // or the daemon's error.
  Status read_answer(uint64_t* count);
  Status read_line(std::string* line);
  // A line the daemon sent without being asked is an error that ended the
  // feed: it is taken before anything more is sent.
  Status check_unasked_error();

  int fd_ = -1;
  int drive_ = -1;
  uint64_t objects_before_ = 0;
  uint64_t objects_written_ = 0;
  Status failed_;  // the feed's first error; everything after it fails so
};

}  // namespace vtape
