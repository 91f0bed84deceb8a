#include "library/drive_mirror.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <ctime>
#include <optional>

#include <fmt/format.h>

#include "library/catalog_sync.h"
#include "library/daemon_log.h"
#include "library/stream_sender.h"
#include "tapeformat/base/time_format.h"
#include "tapeformat/tape_image.h"

namespace vtape {

bool parse_mirror_destination(const std::string& text, MirrorOptions* out) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  out->host = text.substr(0, colon);
  out->prefix = text.substr(colon + 1);
  return true;
}

// One generation's stream (mirror_observer.h): the objects from BOT to the
// end of what the drive writes, to the remote cartridge from its BOT.
class DriveMirror::Run {
 public:
  Run(DriveMirror& m, const MirrorObserver::View& v, std::string remote) : m_(m), generation_(v.generation),
      cartridge_(v.cartridge), remote_(std::move(remote)), v_start_(v.start) {}

  // true: the stream ended (or the generation is over); false: it failed
  // and starts again from the image after the retry delay.
  bool go() {
    StreamSenderOptions so;
    so.host = m_.options_.host;
    so.volser = remote_;
    so.ssh_command = m_.options_.ssh_command;
    so.receive_command = m_.options_.receive_command;
    so.format = std::string(format_name(cartridge_.format));
    so.overwrite = 1;  // always: the remote cartridge is this tape from BOT
    so.prefix = local_prefix(v_start_);
    so.retries = -1;
    so.retry_delay = m_.options_.retry_seconds;
    so.cancel = &m_.cancel_;
    so.on_break = [this](const StreamBreak& b) {
      log(LogPriority::kWarning, fmt::format("mirror: the link to {} broke ({}); {} records and filemarks acknowledged, "
                                             "reconnecting in {}s", remote_, b.why, b.acknowledged, b.delay));
      m_.set_status("retrying", b.why);
      broke_ = true;
    };
    StreamSender sender(so);
    m_.set_status("connecting");
    if (so.prefix) {
      if (Status s = sender.start(); !s.is_ok()) return failed(s);
      if (sender.kept_prefix()) {
        next_ = so.prefix->objects;
        log(LogPriority::kNotice, fmt::format("mirror: {} holds the first {} records and filemarks of {} ({} tape "
                                              "files) already: sending what follows", remote_, next_,
                                              cartridge_.volser, so.prefix->totals.digests.size()));
      }
    }
    for (;;) {
      if (m_.cancel_) return true;
      MirrorObserver::View v = m_.observer_->view();
      if (v.generation != generation_) {
        if (v.loaded && v.writing && v.cartridge.volser == cartridge_.volser) {
          log(LogPriority::kNotice, fmt::format("mirror: writing went back to record {}: {} starts again from BOT",
                                                v.end, remote_));
        }
        return true;
      }
      std::optional<StreamObject> obj = m_.observer_->take(generation_, next_);
      if (!obj && next_ < v.synced) {
        StreamObject from_image;
        if (Status s = read_image(next_, v.synced, &from_image); !s.is_ok()) {
          if (m_.observer_->view().generation != generation_) return true;  // cut by a rewrite
          return failed(s);
        }
        obj = std::move(from_image);
      }
      if (obj) {
        if (Status s = sender.add(std::move(*obj)); !s.is_ok()) return failed(s);
        ++next_;
        // The acknowledged records' buffers go back to the observer's pool.
        for (std::vector<uint8_t> b = sender.spare_buffer(); b.capacity() > 0; b = sender.spare_buffer()) {
          m_.observer_->recycle(std::move(b));
        }
      } else if (v.closing && next_ == v.end) {
        if (Status s = sender.finish(); !s.is_ok()) return failed(s);
        compare(sender);
        note(sender, v);
        m_.observer_->finished(generation_);
        return true;
      } else if (Status s = sender.wait_for_input(m_.wake_fd_, std::chrono::milliseconds(500)); !s.is_ok()) {
        return failed(s);
      } else {
        uint64_t count = 0;
        [[maybe_unused]] ssize_t n = ::read(m_.wake_fd_, &count, sizeof count);
      }
      note(sender, v);
    }
  }

 private:
  void log(LogPriority p, const std::string& text) const {
    log_message(p, LogFields::of_drive(m_.drive_, cartridge_.volser), text);
  }

  bool failed(const Status& s) {
    if (m_.cancel_) return true;
    log(LogPriority::kError, fmt::format("mirror: the stream to {} failed: {}; it starts again from the image in {}s",
                                         remote_, s.message(), m_.options_.retry_seconds));
    m_.set_status("retrying", s.message());
    return false;
  }

  // Object `number` from the local image, below `synced` (the last sync
  // point: the drive wrote everything before it out).  Read in order from
  // BOT, as the mirror asks; opened again when the image has grown past
  // what it held when it was opened, where the cartridge's image is now
  // (vtape migrate may have moved it: the same objects, another file).
  Status read_image(uint64_t number, uint64_t synced, StreamObject* out) {
    if (!image_ || image_next_ > number || number >= image_synced_) {
      Cartridge now = m_.observer_->view().cartridge;
      OpenOptions o;
      o.format = now.format;
      image_path_ = now.image_path;
      VTAPE_RETURN_IF_ERROR(TapeImage::open(image_path_, o, &image_));
      image_next_ = 0;
      image_synced_ = synced;
    }
    for (;;) {
      TapeObject obj;
      std::vector<uint8_t> data;
      Status st = image_->read(&obj, &data);
      if (!st.is_ok()) return Status::io_error(image_->describe(st), EIO);
      if (obj.kind == ObjectKind::kEndOfData) {
        return Status::io_error(fmt::format("{}: the image ends at record {}, before record {} the drive wrote",
                                            image_path_, image_next_, number), EIO);
      }
      if (obj.kind != ObjectKind::kRecord && obj.kind != ObjectKind::kFilemark) continue;
      if (image_next_++ < number) continue;
      out->filemark = obj.kind == ObjectKind::kFilemark;
      out->data = std::move(data);
      return Status::ok();
    }
  }

  // What the tape held before the generation began (its first `start`
  // objects), as the local catalog describes it: whole tape files, each
  // ended by a filemark.  nullopt when there is none or the catalog does
  // not describe exactly that (then the remote is written from BOT).
  std::optional<StreamPrefix> local_prefix(uint64_t start) const {
    if (start == 0 || m_.options_.library_dir.empty()) return std::nullopt;
    std::unique_ptr<TapeLibrary> lib;
    std::unique_ptr<Catalog> catalog;
    std::vector<TapeFileRow> rows;
    if (!TapeLibrary::open(m_.options_.library_dir, false, &lib).is_ok() ||
        !open_library_catalog(*lib, &catalog).is_ok() || !catalog->files(cartridge_.volser, &rows).is_ok()) {
      return std::nullopt;
    }
    StreamPrefix p;
    uint64_t end = 0;
    for (const TapeFileRow& r : rows) {
      if (r.first_block >= start) break;
      if (!r.closed_cleanly || r.writing || r.first_block != end) return std::nullopt;
      if (p.digest.empty()) p.digest = r.digest_algorithm;
      if (r.digest_algorithm != p.digest) return std::nullopt;
      p.totals.records += r.records;
      p.totals.bytes += r.bytes;
      p.totals.filemarks += 1;
      p.totals.digests.push_back(r.digest);
      end = r.first_block + r.records + 1;
    }
    if (end != start) return std::nullopt;
    p.objects = start;
    return p;
  }

  void compare(const StreamSender& sender) const {
    const StreamTotals& a = sender.sent();
    const StreamTotals& b = sender.received();
    bool same = a.records == b.records && a.bytes == b.bytes && filemarks_on_tape(a) == b.filemarks &&
                a.digests == b.digests;
    if (same) {
      log(LogPriority::kNotice, fmt::format("mirror: {} holds what {} holds: {} records, {} filemarks, {} bytes, "
                                            "{} tape files of the same digests", remote_, cartridge_.volser,
                                            b.records, b.filemarks, b.bytes, b.digests.size()));
    } else {
      log(LogPriority::kError, fmt::format("mirror: {} does not hold what {} holds: sent {} records, {} filemarks, "
                                           "{} bytes; received {} records, {} filemarks, {} bytes; digests {}",
                                           remote_, cartridge_.volser, a.records, a.filemarks, a.bytes, b.records,
                                           b.filemarks, b.bytes, a.digests == b.digests ? "agree" : "differ"));
    }
  }

  // The status after each step; a reconnection logged once.
  void note(const StreamSender& sender, const MirrorObserver::View& v) {
    uint64_t acked = sender.acknowledged();
    uint64_t unacked = sender.produced() - acked;
    std::lock_guard lock(m_.status_mu_);
    MirrorLinkStatus& s = m_.status_;
    if (acked > last_acked_) {
      last_acked_ = acked;
      s.last_ack = utc_iso8601(std::time(nullptr));
    }
    s.remote = remote_;
    s.objects_behind = v.end > acked ? v.end - acked : 0;
    s.bytes_behind = v.queued_bytes + v.dropped_bytes + sender.unacknowledged_bytes() - unacked * kStreamFrameHeader;
    if (sender.connected()) {
      if (broke_) {
        broke_ = false;
        log_message(LogPriority::kNotice, LogFields::of_drive(m_.drive_, cartridge_.volser),
                    fmt::format("mirror: reconnected to {}, resuming after record {}", remote_, acked));
      }
      s.link = s.objects_behind == 0 ? "caught up" : "connected";
      s.reason.clear();
    }
  }

  DriveMirror& m_;
  const uint64_t generation_;
  const Cartridge cartridge_;
  const std::string remote_;
  const uint64_t v_start_;  // where the generation's writing began
  uint64_t next_ = 0;  // the next object (from BOT) to send
  std::unique_ptr<TapeImage> image_;
  std::string image_path_;  // the file image_ reads
  uint64_t image_next_ = 0;
  uint64_t image_synced_ = 0;  // the sync point when the image was opened
  uint64_t last_acked_ = 0;
  bool broke_ = false;
};

DriveMirror::DriveMirror(int drive, MirrorOptions options) : drive_(drive), options_(std::move(options)) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  observer_ = std::make_shared<MirrorObserver>(drive_, options_.queue_bytes, wake_fd_, options_.unload_wait);
  thread_ = std::thread([this] { loop(); });
}

DriveMirror::~DriveMirror() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void DriveMirror::set_status(const std::string& link, const std::string& reason) {
  std::lock_guard lock(status_mu_);
  status_.link = link;
  status_.reason = reason;
}

MirrorLinkStatus DriveMirror::status() const {
  std::lock_guard lock(status_mu_);
  return status_;
}

void DriveMirror::loop() {
  uint64_t done = 0;  // the generation whose stream ended
  uint64_t idle = 0;  // the generation the status was last reset for
  while (!cancel_) {
    MirrorObserver::View v = observer_->view();
    if (!v.writing && v.generation != idle) {
      std::lock_guard lock(status_mu_);
      status_ = MirrorLinkStatus{};
      idle = v.generation;
    }
    if (!v.loaded || !v.writing || v.generation == done) {
      pollfd p{wake_fd_, POLLIN, 0};
      if (::poll(&p, 1, 500) > 0) {
        uint64_t count = 0;
        [[maybe_unused]] ssize_t n = ::read(wake_fd_, &count, sizeof count);
      }
      continue;
    }
    std::optional<std::string> remote = normalize_volser(options_.prefix + v.cartridge.volser);
    if (!remote) {
      std::string why = fmt::format("'{}' + '{}' is no volume serial (1 to 6 of A-Z and 0-9)", options_.prefix,
                                    v.cartridge.volser);
      log_message(LogPriority::kWarning, LogFields::of_drive(drive_, v.cartridge.volser), "mirror: not mirrored: " + why);
      {
        std::lock_guard lock(status_mu_);
        status_ = MirrorLinkStatus{};
        status_.link = "not mirrored";
        status_.reason = why;
      }
      observer_->finished(v.generation);
      done = v.generation;
      continue;
    }
    {
      std::lock_guard lock(status_mu_);
      status_ = MirrorLinkStatus{};
      status_.remote = *remote;
    }
    Run run(*this, v, *remote);
    if (run.go()) {
      done = v.generation;
      continue;
    }
    // Failed: the same generation again from BOT after the delay.
    for (double waited = 0; waited < options_.retry_seconds && !cancel_; waited += 0.1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

void DriveMirror::stop() {
  if (!thread_.joinable()) return;
  observer_->close();
  auto deadline = std::chrono::steady_clock::now() + options_.unload_wait;
  while (!observer_->caught_up() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!observer_->caught_up()) {
    MirrorLinkStatus s = status();
    MirrorObserver::View v = observer_->view();
    log_message(LogPriority::kWarning, LogFields::of_drive(drive_, v.cartridge.volser),
                fmt::format("mirror: stopped before {} caught up: {} records and filemarks ({} bytes) not "
                            "acknowledged; the next write after a load sends them again from the image",
                            s.remote, s.objects_behind, s.bytes_behind));
  }
  cancel_ = true;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
}

}  // namespace vtape
