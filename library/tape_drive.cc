#include "library/tape_drive.h"

#include "library/dirty_marker.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "tapeformat/format_table.h"
#include "tapeformat/image_scan.h"
#include "tapeformat/tape_motion.h"

namespace vtape {
namespace {

// Bytes a record of n bytes takes on the cartridge, framing included, for
// the capacity check (drives write with the default WriteOptions).
uint64_t framed_record_size(Format format, size_t n) { return format_spec(format).framed_size(n, WriteOptions{}); }

// The errno a failed Status stands for, for the log.
int errno_of(const Status& s) {
  if (s.sys_errno() != 0) return s.sys_errno();
  return s.code() == StatusCode::kNoSpace ? ENOSPC : 0;
}

}  // namespace

const char* describe(DriveState state) {
  switch (state) {
    case DriveState::kEmpty: return "empty";
    case DriveState::kOpenNoMedium: return "open without a cartridge";
    case DriveState::kLoaded: return "loaded";
    case DriveState::kOpenIdle: return "open";
    case DriveState::kOpenWriting: return "open, writing";
    case DriveState::kClosing: return "closed, release pending";
    case DriveState::kError: return "error: position unknown";
  }
  return "?";
}

ImageDescriptor::~ImageDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

TapeDrive::~TapeDrive() {
  std::lock_guard lock(mu_);
  (void)close_image();
}

// ---- state ----------------------------------------------------------------

DriveState TapeDrive::state_locked() const {
  if (position_unknown_) return DriveState::kError;
  if (!cartridge_) return is_open_ ? DriveState::kOpenNoMedium : DriveState::kEmpty;
  if (!is_open_) return DriveState::kLoaded;
  if (writing_) return DriveState::kOpenWriting;
  if (closed_by_user_) return DriveState::kClosing;
  return DriveState::kOpenIdle;
}

DriveState TapeDrive::state() const {
  std::lock_guard lock(mu_);
  return state_locked();
}

std::string TapeDrive::check_invariants() const {
  std::lock_guard lock(mu_);
  return invariants_locked();
}

// The invariants of each state (DriveState), as pager.c's assert_pager_state
// states SQLite's: a description of every one that does not hold.
std::string TapeDrive::invariants_locked() const {
  std::string wrong;
  auto require = [&wrong](bool holds, const char* what) {
    if (!holds) wrong += fmt::format("{}{}", wrong.empty() ? "" : "; ", what);
  };
  // Every state.
  require(cartridge_.has_value() == (image_ != nullptr), "a cartridge without its image or an image without one");
  require(!closed_by_user_ || is_open_, "a close(2) seen on a drive that is not open");
  require(!provisional_filemark_ || (is_open_ && closed_by_user_ && !writing_),
          "a provisional filemark outside a close of a writing open");
  require(block_buffer_used_ <= block_buffer_.size(), "the fixed-block buffer served more than it holds");
  require(!feed_attached_ || image_ != nullptr, "a feed attached without a cartridge");
  require(!feed_attached_ || !is_open_ || !mode_.writable, "a feed beside an open for writing");
  require(!feed_writing_ || feed_attached_, "feed records without a feed");
  DriveState state = state_locked();
  switch (state) {
    case DriveState::kEmpty:
    case DriveState::kOpenNoMedium:
      require(!writing_, "writing without a cartridge");
      require(!file_observed_, "a tape file observed without a cartridge");
      require(!end_of_data_ && block_buffer_.empty() && !eod_zero_returned_, "read state without a cartridge");
      break;
    case DriveState::kLoaded:
      require(!writing_, "writing while not open");
      require(!file_observed_ || feed_attached_, "a tape file observed while neither open nor fed");
      require(!mode_.writable, "a writable mode while not open");
      break;
    case DriveState::kOpenIdle:
    case DriveState::kClosing:
      break;
    case DriveState::kOpenWriting:
      require(mode_.writable, "writing through a read-only open");
      require(file_observed_, "writing a tape file the observers were not told of");
      require(format_is_writable(cartridge_->format), "writing a read-only format");
      require(has_dirty_marker(cartridge_->image_path), "writing past the last sync point without a .dirty marker");
      break;
    case DriveState::kError:
      require(image_ != nullptr, "position unknown without a cartridge");
      require(!writing_, "writing in the error state (close would put a filemark after a failed write)");
      require(!provisional_filemark_, "a provisional filemark in the error state");
      break;
  }
  if (!wrong.empty()) wrong = fmt::format("drive {} ({}): {}", number_, describe(state), wrong);
  return wrong;
}

TapeDrive::InvariantCheck::~InvariantCheck() {
#ifndef NDEBUG
  std::string wrong = drive.invariants_locked();
  if (!wrong.empty()) {
    log_message(LogPriority::kError, "invariant broken: " + wrong);
    std::abort();
  }
#endif
}

// ---- observers ------------------------------------------------------------

void TapeDrive::add_observer(std::shared_ptr<DriveObserver> observer) {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  observers_.push_back(std::move(observer));
}

void TapeDrive::clear_observers() {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  observers_.clear();
}

void TapeDrive::remove_observer(const DriveObserver* observer) {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  std::erase_if(observers_, [observer](const auto& o) { return o.get() == observer; });
}

void TapeDrive::observe_file_begins_if_needed() {
  if (file_observed_) return;
  file_observed_ = true;
  TapePosition at = image_->position();
  if (at.block < 0 && end_of_data_ && end_of_data_->object_index == at.object_index) at.block = end_of_data_->block;
  observed_file_start_ = at;
  for (auto& o : observers_) o->tape_file_begins(at);
}

DriveError TapeDrive::observer_error(const Status& s) {
  log_message(LogPriority::kError, log_fields(errno_of(s)), "catalog: " + s.message());
  return s.code() == StatusCode::kNoSpace ? DriveError::kNoSpace : DriveError::kIo;
}

// Every observer is told; the first error is the caller's.
DriveError TapeDrive::observe_changing() {
  Status first = Status::ok();
  for (auto& o : observers_) {
    if (Status s = o->changing(); !s.is_ok() && first.is_ok()) first = s;
  }
  return first.is_ok() ? DriveError::kNone : observer_error(first);
}

DriveError TapeDrive::observe_stop() {
  if (!file_observed_) return DriveError::kNone;
  file_observed_ = false;
  Status first = Status::ok();
  for (auto& o : observers_) {
    if (Status s = o->stopped(image_->size()); !s.is_ok() && first.is_ok()) first = s;
  }
  return first.is_ok() ? DriveError::kNone : observer_error(first);
}

DriveError TapeDrive::observe_filemark() {
  if (!file_observed_) return DriveError::kNone;
  Status first = Status::ok();
  for (auto& o : observers_) {
    if (Status s = o->filemark(image_->position(), image_->size()); !s.is_ok() && first.is_ok()) first = s;
  }
  return first.is_ok() ? DriveError::kNone : observer_error(first);
}

DriveError TapeDrive::observe_erased() {
  file_observed_ = false;
  Status first = Status::ok();
  for (auto& o : observers_) {
    if (Status s = o->erased(image_->position(), image_->size()); !s.is_ok() && first.is_ok()) first = s;
  }
  return first.is_ok() ? DriveError::kNone : observer_error(first);
}

// ---- cartridges -----------------------------------------------------------

namespace {

// Close is a sync point; the guard comes off so the image at rest is a
// plain image of its format.
Status settle(TapeImage& image) {
  Status s = image.sync();
  if (s.is_ok()) s = image.disable_crash_guard();
  if (s.is_ok()) s = image.sync();
  return s;
}

}  // namespace

// settle() of the drive's image, counted (image_syncs()).
Status TapeDrive::settle_image() {
  Status s = settle(*image_);
  image_syncs_.fetch_add(1, std::memory_order_release);
  return s;
}

Status TapeDrive::close_image() {
  if (!image_) return Status::ok();
  Status s = settle_image();
  if (s.is_ok()) s = image_->close();
  if (s.is_ok() && cartridge_ && !keep_dirty_marker_) remove_dirty_marker(cartridge_->image_path);
  image_.reset();
  image_descriptor_.reset();
  return s;
}

Status TapeDrive::load_locked(const Cartridge& cartridge) {
  // A dirty marker means the daemon stopped while this image was being
  // written.  What was written after the last sync point may be torn (SIMH
  // images end in a guard marker; AWS/HET may end in a torn object): it is
  // cut, as the tape would end after a power loss.  Damage before that
  // point is reported and the cartridge write-protected, never cut.
  bool dirty = has_dirty_marker(cartridge.image_path);
  OpenOptions options;
  // A read-only format (TPC) is loaded read only; it can never be written.
  options.writable = format_is_writable(cartridge.format);
  options.format = cartridge.format;
  std::unique_ptr<TapeImage> image;
  VTAPE_RETURN_IF_ERROR(TapeImage::open(cartridge.image_path, options, &image));
  Recovery recovery;
  if (dirty && options.writable) {
    VTAPE_RETURN_IF_ERROR(recover_interrupted_write(cartridge.volser, *image, &recovery));
    if (!recovery.message.empty()) {
      log_message(recovery.damaged ? LogPriority::kError : LogPriority::kNotice,
                  LogFields::of_drive(number_, cartridge.volser), recovery.message);
    }
  }
  VTAPE_RETURN_IF_ERROR(image->rewind());
  image->set_write_through(!buffered_writes_);
  // The filemark's sync then waits for the last few MiB, not the whole file.
  image->set_early_writeback(true);
  image_ = std::move(image);
  image_descriptor_.reset();
  cartridge_ = cartridge;
  keep_dirty_marker_ = recovery.damaged;
  if (!options.writable || recovery.damaged) cartridge_->write_protected = true;
  writing_ = false;
  // A new tape starts in the default mode: variable blocks, default density.
  block_size_ = 0;
  density_ = 0;
  file_observed_ = false;
  for (auto& o : observers_) {
    o->loaded(cartridge);
    if (recovery.damaged) o->event("error", recovery.message);
  }
  forget_read_state();
  early_warning_error_due_ = false;
  position_unknown_ = false;  // a new tape
  deferred_error_ = DriveError::kNone;  // the last tape's, reported or not
  return Status::ok();
}

Status TapeDrive::load(const Cartridge& cartridge) {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  if (cartridge_) {
    return Status::invalid_argument(
        fmt::format("drive {} already holds {}; unload it first", number_, cartridge_->volser));
  }
  VTAPE_RETURN_IF_ERROR(load_locked(cartridge));
  if (listener_) listener_(number_, cartridge.volser);
  return Status::ok();
}

DriveError TapeDrive::unload_locked() {
  if (!cartridge_) return DriveError::kNoMedium;
  if (feed_attached_) return DriveError::kBusy;  // the feed writes on this tape
  DriveError e = write_filemark_if_writing();
  if (DriveError c = observe_stop(); e == DriveError::kNone) e = c;
  for (auto& o : observers_) o->unloading();
  LogFields fields = log_fields();
  Status s = close_image();
  if (!s.is_ok()) {
    fields.sys_errno = errno_of(s);
    log_message(LogPriority::kError, fields, s.message());
  }
  cartridge_.reset();
  forget_read_state();
  provisional_filemark_ = false;
  position_unknown_ = false;
  locked_ = false;  // ejecting opens the door lock, as st does before unloading
  if (listener_) listener_(number_, std::nullopt);
  return s.is_ok() ? e : DriveError::kIo;
}

Status TapeDrive::unload() {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  if (!cartridge_) return Status::not_found(fmt::format("drive {} is empty", number_));
  if (is_open_) return Status::invalid_argument(fmt::format("drive {} is in use (open)", number_));
  if (locked_) return Status::invalid_argument(fmt::format("drive {} is locked (MTLOCK)", number_));
  if (feed_attached_) return Status::invalid_argument(fmt::format("drive {} is being fed (vtape receive)", number_));
  DriveError e = unload_locked();
  if (e != DriveError::kNone) return Status::io_error(fmt::format("unloading drive {}", number_), to_errno(e));
  return Status::ok();
}

std::optional<std::string> TapeDrive::loaded_volser() const {
  std::lock_guard lock(mu_);
  if (!cartridge_) return std::nullopt;
  return cartridge_->volser;
}

void TapeDrive::set_write_protected(bool on) {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  if (cartridge_) cartridge_->write_protected = on;
}

Status TapeDrive::with_flushed_image(const std::string& volser, const ImageWork& work,
                                     std::chrono::steady_clock::duration* held) {
  std::unique_ptr<TapeImage> replaced;
  Status s = [&] {
    std::lock_guard lock(mu_);
    // Destroyed after `check` and before the lock: the whole hold.
    struct HoldTimer {
      std::chrono::steady_clock::duration* out;
      std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
      ~HoldTimer() {
        if (out != nullptr) *out = std::chrono::steady_clock::now() - start;
      }
    } timer{held};
    InvariantCheck check{*this};
    if (!cartridge_ || cartridge_->volser != volser) {
      return Status::not_found(fmt::format("{} is not in drive {} any more", volser, number_));
    }
    if (refuses_work()) {
      return Status::invalid_argument(fmt::format("drive {} lost its position after a failed write", number_));
    }
    if (Status f = image_->flush(); !f.is_ok()) {
      DriveError e = fail_write(f);
      if (deferred_error_ == DriveError::kNone) deferred_error_ = e;
      return Status::invalid_argument(image_->describe(f));
    }
    ImageReplacement replacement;
    VTAPE_RETURN_IF_ERROR(work(image_->size(), &replacement));
    if (!replacement.image) return Status::ok();
    if (feed_attached_) {
      return Status::invalid_argument(fmt::format("drive {} is being fed (vtape receive)", number_));
    }
    return replace_image(std::move(replacement), &replaced);
  }();
  if (replaced) close_replaced_image(std::move(replaced), volser);
  return s;
}

namespace {

// Moves `image` to the object `at` names (a copy of the tape `at` was
// taken on): forward from where it stands, or from BOT.
Status move_to_object(TapeImage& image, const TapePosition& at) {
  if (image.position().object_index > at.object_index) VTAPE_RETURN_IF_ERROR(image.rewind());
  while (image.position().object_index < at.object_index) {
    TapeObject obj;
    VTAPE_RETURN_IF_ERROR(image.read(&obj, nullptr));
    if (obj.kind == ObjectKind::kEndOfData) {
      return Status::invalid_argument(
          fmt::format("{} ends at object {}, before object {} of the tape it copies", image.path(),
                      image.position().object_index, at.object_index));
    }
  }
  if (at.block < 0) image.mark_block_unknown();
  return Status::ok();
}

}  // namespace

// The copy takes the image's place: what the drive keeps of the old
// image's positions moves to the copy's, the .dirty marker and the crash
// guard go with the writing, and the old image is closed at rest.
Status TapeDrive::replace_image(ImageReplacement replacement, std::unique_ptr<TapeImage>* replaced) {
  std::unique_ptr<TapeImage> copy = std::move(replacement.image);
  const TapeFileOffsets& file_offsets = replacement.file_offsets;
  TapePosition at = image_->position();
  VTAPE_RETURN_IF_ERROR(move_to_object(*copy, at));
  if (keep_dirty_marker_) return Status::invalid_argument(fmt::format("{} is damaged", cartridge_->volser));
  const std::string new_path = copy->path();
  if (replacement.image_marked) {
    uint64_t synced = copy->size();
    if (replacement.synced_size) {
      synced = *replacement.synced_size;
    } else {
      VTAPE_RETURN_IF_ERROR(copy->sync());
    }
    VTAPE_RETURN_IF_ERROR(mark_unsynced(new_path, synced));
    VTAPE_RETURN_IF_ERROR(copy->enable_crash_guard());
  }
  copy->set_write_through(!buffered_writes_);
  copy->set_early_writeback(true);
  // Positions of the old image that the drive keeps: offsets change with
  // the format; the object counts do not.  The start of a tape file is
  // where the copy says that file begins.
  auto moved = [&](TapePosition p) {
    auto begins = file_offsets.find(p.file);
    if (p.object_index == at.object_index) {
      p.offset = copy->position().offset;
    } else if (p.block == 0 && begins != file_offsets.end()) {
      p.offset = begins->second;
    }
    return p;
  };
  if (end_of_data_) end_of_data_ = moved(*end_of_data_);
  observed_file_start_ = moved(observed_file_start_);
  // The old image keeps its dirty marker until it is closed, after the
  // mutex: a crash before then finds it marked, as a drive's image is.
  *replaced = std::move(image_);
  image_descriptor_.reset();
  image_ = std::move(copy);
  cartridge_->image_path = new_path;
  cartridge_->format = image_->format();
  for (auto& o : observers_) o->image_replaced(*cartridge_, file_offsets);
  return Status::ok();
}

void TapeDrive::close_replaced_image(std::unique_ptr<TapeImage> image, const std::string& volser) {
  std::string path = image->path();
  Status s = settle(*image);
  if (s.is_ok()) s = image->close();
  if (s.is_ok()) {
    remove_dirty_marker(path);
  } else {
    log_message(LogPriority::kError, LogFields::of_drive(number_, volser),
                "closing the image a migration replaced: " + s.message());
  }
}

// ---- open and close -------------------------------------------------------

DriveError TapeDrive::open(const DriveOpenMode& mode, uint64_t* handle) {
  std::unique_lock lock(mu_);
  InvariantCheck check{*this};
  // FUSE sends release after close(2) has returned: a program that closes
  // and reopens at once must not see EBUSY.  Wait a little for that release;
  // a descriptor really still open elsewhere keeps the drive busy.
  if (is_open_ && closed_by_user_) {
    released_.wait_for(lock, std::chrono::seconds(2), [this] { return !is_open_; });
  }
  if (is_open_) return DriveError::kBusy;
  if (feed_attached_ && mode.writable) return DriveError::kBusy;  // the feed is the drive's writer
  if (!mode.nonblocking) {
    if (!cartridge_) return DriveError::kNoMedium;
    if (mode.writable && cartridge_->write_protected) return DriveError::kReadOnlyMedium;
  }
  is_open_ = true;
  closed_by_user_ = false;
  handle_ = ++last_handle_;
  *handle = handle_;
  mode_ = mode;
  // A new open starts neither reading nor writing; the end-of-data state
  // stays, so a loop of reads across opens still ends with EIO.
  writing_ = false;
  provisional_filemark_ = false;
  return DriveError::kNone;
}

DriveError TapeDrive::open(const DriveOpenMode& mode) {
  uint64_t handle = 0;
  return open(mode, &handle);
}

DriveError TapeDrive::close_work() {
  if (!usable()) return DriveError::kNone;
  DriveError e = write_filemark_if_writing();
  // A feed still writing keeps its tape file and the image's guard; it
  // puts the image at rest when it ends.
  if (!feed_attached_) {
    if (DriveError c = observe_stop(); e == DriveError::kNone) e = c;
    if (DriveError c = put_image_at_rest(); e == DriveError::kNone) e = c;
  }
  if (mode_.rewind_on_close) {
    // The rewind of stN finds the tape's position again, as MTREW does.
    if (image_->rewind().is_ok()) position_unknown_ = false;
    forget_read_state();
  }
  return e;
}

DriveError TapeDrive::put_image_at_rest() {
  Status s = settle_image();
  if (s.is_ok() && cartridge_ && !keep_dirty_marker_) remove_dirty_marker(cartridge_->image_path);
  if (!s.is_ok()) {
    log_message(LogPriority::kError, log_fields(errno_of(s)), image_->describe(s));
    return DriveError::kIo;
  }
  return DriveError::kNone;
}

DriveError TapeDrive::flush(uint64_t handle) {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  if (!is_open_ || handle != handle_) return DriveError::kNone;
  closed_by_user_ = true;
  if (!usable()) return DriveError::kNone;
  if (DriveError e = take_deferred_error(); e != DriveError::kNone) return e;
  // The filemark that ends what was written goes on disk before close(2)
  // returns.  This may be the close of a duplicate descriptor (dd dup2()s
  // its output): if writing goes on, write() steps back over it.
  if (writing_) {
    bool written = false;
    DriveError e = write_filemark_if_writing(&written);
    provisional_filemark_ = written;
    return e;
  }
  return sync_point();
}

void TapeDrive::release(uint64_t handle) {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  if (!is_open_ || handle != handle_) return;
  (void)close_work();  // close(2) has returned already; errors are logged
  is_open_ = false;
  closed_by_user_ = false;
  provisional_filemark_ = false;
  mode_ = DriveOpenMode{};
  released_.notify_all();
}

DriveError TapeDrive::release() {
  uint64_t handle = 0;
  {
    std::lock_guard lock(mu_);
    if (!is_open_) return DriveError::kNone;
    handle = handle_;
  }
  DriveError e = flush(handle);
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  if (!is_open_ || handle != handle_) return e;
  DriveError closing = close_work();
  is_open_ = false;
  closed_by_user_ = false;
  provisional_filemark_ = false;
  mode_ = DriveOpenMode{};
  released_.notify_all();
  return e != DriveError::kNone ? e : closing;
}

// ---- data -----------------------------------------------------------------

LogFields TapeDrive::log_fields(int sys_errno) const {
  LogFields f = LogFields::of_drive(number_).with_errno(sys_errno);
  if (cartridge_) f.volser = cartridge_->volser;
  if (image_) {
    TapePosition at = image_->position();
    f.file = at.file;
    if (at.block >= 0) f.record = static_cast<uint64_t>(at.block);
  }
  return f;
}

DriveError TapeDrive::fail_io(const Status& s) {
  log_message(LogPriority::kError, log_fields(errno_of(s)), image_ ? image_->describe(s) : s.message());
  return s.code() == StatusCode::kNoSpace ? DriveError::kNoSpace : DriveError::kIo;
}

DriveError TapeDrive::fail_write(const Status& s) {
  // As st's pos_unknown: nothing more is read or written, and close writes
  // no filemark after a record that may not be there, until a rewind (or
  // MTSEEK, MTEOM, unload) finds the position again.
  position_unknown_ = true;
  writing_ = false;
  provisional_filemark_ = false;
  DriveError e = fail_io(s);
  observe_lost_records(errno_of(s));
  return e;
}

void TapeDrive::observe_lost_records(int sys_errno) {
  // The image keeps every whole object that reached it (ImageFile cuts
  // back to the last one); the drive's position still counts those
  // accepted after it.
  uint64_t accepted_end = image_->position().offset;
  uint64_t kept_end = image_->size();
  if (accepted_end <= kept_end) return;
  log_message(LogPriority::kError, log_fields(sys_errno),
              fmt::format("{} bytes of records accepted into the drive's buffer were lost with it: the tape now "
                          "ends at byte {}",
                          accepted_end - kept_end, kept_end));
  if (file_observed_) {
    file_observed_ = false;
    // Cut in the tape file being written: what is left of it is read back
    // from the image (block unknown), or nothing of it is left.
    TapePosition at = observed_file_start_;
    if (kept_end > at.offset) at.block = -1;
    at.offset = std::min(at.offset, kept_end);
    for (auto& o : observers_) {
      if (Status s = o->erased(at, kept_end); !s.is_ok()) (void)observer_error(s);
    }
  }
  // The drive's position is where the tape now ends (block unknown, as
  // after MTEOM), so that MTIOCPOS and MTIOCGET do not count lost records;
  // the state stays kError until the position is found again.
  if (image_->rewind().is_ok() && image_->seek_end_of_data().is_ok()) image_->mark_block_unknown();
}

DriveError TapeDrive::apply_write_mode() {
  if (!usable()) return DriveError::kNone;
  if (!buffered_writes_) {
    if (Status s = image_->flush(); !s.is_ok()) return fail_write(s);
  }
  image_->set_write_through(!buffered_writes_);
  return DriveError::kNone;
}

void TapeDrive::set_buffered_writes(bool on) {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  buffered_writes_ = on;
  if (DriveError e = apply_write_mode(); e != DriveError::kNone && deferred_error_ == DriveError::kNone) {
    deferred_error_ = e;
  }
}

void TapeDrive::flush_buffer() {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  if (!usable() || !writing_ || refuses_work()) return;
  if (Status s = image_->flush(); !s.is_ok()) {
    DriveError e = fail_write(s);
    if (deferred_error_ == DriveError::kNone) deferred_error_ = e;
  }
}

DriveError TapeDrive::read_met(const TapeObject& obj, bool after_filemark) {
  if (obj.kind == ObjectKind::kFilemark) {
    eod_zero_returned_ = false;
    return DriveError::kNone;
  }
  // End of data: right after a filemark the first read gives 0 (like a
  // second filemark); blank tape otherwise.
  if (after_filemark && !eod_zero_returned_) {
    eod_zero_returned_ = true;
    return DriveError::kNone;
  }
  return DriveError::kIo;
}

DriveError TapeDrive::read_one(std::span<uint8_t> buffer, size_t* length) {
  const TapePosition& pos = image_->position();
  bool after_filemark = pos.block == 0 && pos.file > 0;
  TapeObject obj;
  Status s = image_->read(&obj, &record_);
  if (!s.is_ok()) return fail_io(s);
  if (obj.kind != ObjectKind::kRecord) return read_met(obj, after_filemark);
  eod_zero_returned_ = false;
  if (record_.size() > buffer.size()) return DriveError::kBufferTooSmall;  // the record is passed
  std::copy(record_.begin(), record_.end(), buffer.begin());
  *length = record_.size();
  return DriveError::kNone;
}

// The record's bytes go from the image file straight to the caller's
// buffer (or, as an extent, to the kernel), never through record_.
DriveError TapeDrive::read_in_place(std::span<uint8_t> buffer, size_t* length, size_t min_extent,
                                    RecordExtent* extent) {
  const TapePosition& pos = image_->position();
  bool after_filemark = pos.block == 0 && pos.file > 0;
  TapeObject obj;
  uint64_t data_at = 0;
  if (Status s = image_->read_in_place(&obj, &data_at); !s.is_ok()) return fail_io(s);
  if (obj.kind != ObjectKind::kRecord) return read_met(obj, after_filemark);
  eod_zero_returned_ = false;
  if (obj.length > buffer.size()) return DriveError::kBufferTooSmall;  // the record is passed
  if (extent != nullptr && obj.length >= min_extent) {
    if (auto file = image_descriptor()) {
      *extent = RecordExtent{std::move(file), data_at, obj.length};
      return DriveError::kNone;
    }
  }
  if (Status s = image_->read_bytes(data_at, buffer.first(obj.length)); !s.is_ok()) return fail_io(s);
  *length = obj.length;
  return DriveError::kNone;
}

std::shared_ptr<const ImageDescriptor> TapeDrive::image_descriptor() {
  if (!image_descriptor_) {
    int fd = ::dup(image_->descriptor());
    if (fd < 0) return nullptr;  // the caller copies the record instead
    image_descriptor_ = std::make_shared<const ImageDescriptor>(fd);
  }
  return image_descriptor_;
}

DriveError TapeDrive::read_fixed(std::span<uint8_t> buffer, size_t* length) {
  // Fixed-block mode: any count; blocks are taken whole from the tape and
  // what a short read leaves is served to the next read.  A filemark after
  // some data is reported by the next read.
  const TapePosition& pos = image_->position();
  bool after_filemark = pos.block == 0 && pos.file > 0;
  size_t& filled = *length;
  while (filled < buffer.size()) {
    if (block_buffer_used_ < block_buffer_.size()) {
      size_t take = std::min(buffer.size() - filled, block_buffer_.size() - block_buffer_used_);
      std::copy_n(block_buffer_.begin() + static_cast<ptrdiff_t>(block_buffer_used_), take,
                  buffer.begin() + static_cast<ptrdiff_t>(filled));
      filled += take;
      block_buffer_used_ += take;
      continue;
    }
    TapeObject next;
    if (Status s = image_->peek(&next); !s.is_ok()) return fail_io(s);
    if (next.kind == ObjectKind::kRecord) {
      TapeObject obj;
      if (Status s = image_->read(&obj, &block_buffer_); !s.is_ok()) return fail_io(s);
      block_buffer_used_ = 0;
      eod_zero_returned_ = false;
      if (block_buffer_.size() != block_size_) {
        block_buffer_.clear();
        return DriveError::kIo;  // a record of the wrong size for this block size
      }
      continue;
    }
    if (filled > 0) return DriveError::kNone;
    if (next.kind == ObjectKind::kFilemark) {
      TapeObject obj;
      if (Status s = image_->read(&obj, nullptr); !s.is_ok()) return fail_io(s);
      return DriveError::kNone;
    }
    if (after_filemark && !eod_zero_returned_) {
      eod_zero_returned_ = true;
      return DriveError::kNone;
    }
    return DriveError::kIo;
  }
  return DriveError::kNone;
}

DriveError TapeDrive::begin_read() {
  if (!usable()) return DriveError::kNoMedium;
  if (refuses_work()) return DriveError::kIo;
  provisional_filemark_ = false;
  if (writing_) {
    writing_ = false;
    if (Status s = sync_image(); !s.is_ok()) return fail_write(s);
    if (DriveError e = observe_stop(); e != DriveError::kNone) return e;
  }
  return DriveError::kNone;
}

DriveError TapeDrive::read(std::span<uint8_t> buffer, size_t* length) {
  return read(buffer, length, SIZE_MAX, nullptr);
}

DriveError TapeDrive::read(std::span<uint8_t> buffer, size_t* length, size_t min_extent, RecordExtent* extent,
                           const std::function<bool()>& interrupted) {
  std::unique_lock lock(mu_);
  InvariantCheck check{*this};
  *length = 0;
  if (extent != nullptr) *extent = RecordExtent{};
  if (DriveError e = begin_read(); e != DriveError::kNone) return e;
  if (DriveError e = wait_for_feed(lock, interrupted); e != DriveError::kNone) return e;
  if (block_size_ != 0) return read_fixed(buffer, length);
  if (image_->records_in_place()) return read_in_place(buffer, length, min_extent, extent);
  return read_one(buffer, length);
}

DriveError TapeDrive::wait_for_feed(std::unique_lock<std::mutex>& lock, const std::function<bool()>& interrupted) {
  // The feed's next write, or its end, wakes the wait; the interruption is
  // asked every so often (the FUSE layer cannot wake a condition variable).
  constexpr auto kInterruptPoll = std::chrono::milliseconds(100);
  while (feed_attached_ && usable() && !refuses_work()) {
    if (block_size_ != 0 && block_buffer_used_ < block_buffer_.size()) return DriveError::kNone;
    TapeObject next;
    if (Status s = image_->peek(&next); !s.is_ok()) return fail_io(s);
    if (next.kind != ObjectKind::kEndOfData) return DriveError::kNone;
    if (interrupted && interrupted()) return DriveError::kInterrupted;
    fed_.wait_for(lock, kInterruptPoll);
  }
  if (!usable()) return DriveError::kNoMedium;
  return refuses_work() ? DriveError::kIo : DriveError::kNone;
}

DriveError TapeDrive::read(size_t size, std::vector<uint8_t>* out) {
  out->resize(size);
  size_t length = 0;
  DriveError e = read(std::span<uint8_t>(*out), &length);
  out->resize(length);
  return e;
}

DriveError TapeDrive::check_writable() const {
  if (!mode_.writable || cartridge_->write_protected) return DriveError::kWriteProtected;
  return DriveError::kNone;
}

uint64_t TapeDrive::early_warning_offset() const { return vtape::early_warning_offset(cartridge_->capacity); }

DriveError TapeDrive::write(std::span<const uint8_t> data) {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  if (!usable()) return DriveError::kNoMedium;
  if (DriveError e = take_deferred_error(); e != DriveError::kNone) return e;
  if (refuses_work()) return DriveError::kIo;
  if (DriveError e = check_writable(); e != DriveError::kNone) return e;
  if (data.empty()) return DriveError::kNone;
  if (block_size_ != 0 && data.size() % block_size_ != 0) return DriveError::kInvalidArgument;
  if (data.size() > format_max_record_size(cartridge_->format)) return DriveError::kRecordTooLarge;
  uint64_t start = image_->position().offset;
  // Physical end: nothing more fits, every write fails.
  if (start + framed_record_size(cartridge_->format, data.size()) > cartridge_->capacity) return DriveError::kNoSpace;
  // Past early warning the writes alternate: one fails with ENOSPC (GNU tar
  // -M takes it as "next volume"), the next succeeds.
  if (start >= early_warning_offset() && early_warning_error_due_) {
    early_warning_error_due_ = false;
    return DriveError::kNoSpace;
  }
  if (provisional_filemark_) {
    // Writing goes on after the close of a duplicate descriptor: the
    // filemark written then was not the end after all.
    provisional_filemark_ = false;
    TapeObject obj;
    if (Status s = image_->step_back(&obj); !s.is_ok()) return fail_write(s);
    // The next write takes the filemark, which was a sync point, away.
    if (DriveError e = begin_unsynced_change(); e != DriveError::kNone) return e;
    writing_ = true;
    // The catalog goes on with the same tape file (read back when it is next
    // committed, as the start of it went by before this write).
    DriveError stopped = observe_stop();
    observe_file_begins_if_needed();
    if (stopped != DriveError::kNone) return stopped;
  }
  if (!writing_) {
    if (DriveError e = begin_unsynced_change(); e != DriveError::kNone) return e;
  }
  observe_file_begins_if_needed();
  if (DriveError e = observe_changing(); e != DriveError::kNone) return e;
  size_t step = block_size_ != 0 ? block_size_ : data.size();
  for (size_t at = 0; at < data.size(); at += step) {
    auto record = data.subspan(at, std::min(step, data.size() - at));
    Status s = image_->write_record(record);
    if (!s.is_ok()) return fail_write(s);
    for (auto& o : observers_) o->record(record);
  }
  writing_ = true;
  forget_read_state();
  if (image_->position().offset >= early_warning_offset()) early_warning_error_due_ = true;
  return DriveError::kNone;
}

DriveError TapeDrive::fsync() {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  if (!usable()) return DriveError::kNone;
  if (DriveError e = take_deferred_error(); e != DriveError::kNone) return e;
  if (refuses_work()) return DriveError::kIo;
  return sync_point();
}

// From the first write or filemark after a sync point on, the image may be
// torn by a crash: the marker goes on disk first (saying where the image
// ended at that sync point, which is where writing starts), so that the
// next load repairs it, then the guard of SIMH-framed images.  Whenever the
// image on disk holds a guard or anything unsynced, the marker exists.
DriveError TapeDrive::begin_unsynced_change() {
  if (cartridge_) {
    if (Status s = mark_unsynced(cartridge_->image_path, image_->position().offset); !s.is_ok()) return fail_io(s);
  }
  if (Status s = image_->enable_crash_guard(); !s.is_ok()) return fail_write(s);
  return DriveError::kNone;
}

Status TapeDrive::sync_image() {
  Status s = image_->sync();
  image_syncs_.fetch_add(1, std::memory_order_release);
  return s;
}

// Everything written is on disk; the marker (if writing made one) learns
// that the repair after a crash may cut nothing before here.
DriveError TapeDrive::sync_point() {
  if (Status s = sync_image(); !s.is_ok()) return fail_write(s);
  if (cartridge_) {
    if (Status s = advance_sync_point(cartridge_->image_path, image_->size()); !s.is_ok()) return fail_io(s);
  }
  return DriveError::kNone;
}

// ---- motion and marks -----------------------------------------------------

DriveError TapeDrive::write_filemarks(int count) {
  if (DriveError e = check_writable(); e != DriveError::kNone) return e;
  if (!writing_ && count > 0) {
    if (DriveError e = begin_unsynced_change(); e != DriveError::kNone) return e;
  }
  // A filemark is a sync point: on disk, then in the catalog.  Every
  // filemark asked for is written; a catalog failure is reported after.
  DriveError catalog = DriveError::kNone;
  for (int i = 0; i < count; ++i) {
    observe_file_begins_if_needed();
    if (DriveError e = observe_changing(); e != DriveError::kNone) return e;
    if (Status s = image_->write_filemark(); !s.is_ok()) return fail_write(s);
    if (DriveError e = sync_point(); e != DriveError::kNone) return e;
    if (DriveError e = observe_filemark(); catalog == DriveError::kNone) catalog = e;
  }
  if (count == 0) {
    if (DriveError e = sync_point(); e != DriveError::kNone) return e;
  }
  writing_ = false;
  forget_read_state();
  return catalog;
}

DriveError TapeDrive::write_filemark_if_writing(bool* written) {
  if (written != nullptr) *written = false;
  if (!writing_ || !usable()) return DriveError::kNone;
  writing_ = false;
  // The records before it marked the volume write-pending already.
  observe_file_begins_if_needed();
  if (Status s = image_->write_filemark(); !s.is_ok()) return fail_write(s);
  if (DriveError e = sync_point(); e != DriveError::kNone) return e;
  if (written != nullptr) *written = true;
  return observe_filemark();
}

DriveError TapeDrive::rewind() {
  if (Status s = image_->rewind(); !s.is_ok()) return fail_io(s);
  return DriveError::kNone;
}

DriveError TapeDrive::space_files(int count) {
  Motion m;
  if (count >= 0) {
    if (Status s = space_files_forward(*image_, static_cast<uint64_t>(count), &m); !s.is_ok()) return fail_io(s);
  } else {
    if (Status s = space_files_backward(*image_, static_cast<uint64_t>(-int64_t(count)), &m); !s.is_ok()) {
      return fail_io(s);
    }
    // Before a filemark the block number is unknown, as st says; at the
    // beginning of the tape it is 0.
    if (!image_->position().at_bot()) image_->mark_block_unknown();
  }
  return m.stopped_at == ObjectKind::kRecord ? DriveError::kNone : DriveError::kIo;
}

DriveError TapeDrive::space_records(int count) {
  Motion m;
  Status s = count >= 0 ? space_records_forward(*image_, static_cast<uint64_t>(count), &m)
                        : space_records_backward(*image_, static_cast<uint64_t>(-int64_t(count)), &m);
  if (!s.is_ok()) return fail_io(s);
  return m.stopped_at == ObjectKind::kRecord ? DriveError::kNone : DriveError::kIo;
}

DriveError TapeDrive::seek_block(int64_t address) {
  if (address < 0) return DriveError::kInvalidArgument;
  uint64_t target = static_cast<uint64_t>(address);
  if (target < image_->position().object_index) {
    if (Status s = image_->rewind(); !s.is_ok()) return fail_io(s);
  }
  while (image_->position().object_index < target) {
    TapeObject obj;
    if (Status s = image_->read(&obj, nullptr); !s.is_ok()) return fail_io(s);
    if (obj.kind == ObjectKind::kEndOfData) return DriveError::kIo;
  }
  return DriveError::kNone;
}

DriveError TapeDrive::operation(TapeOp op, int count) {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  // Operations that keep the "writing" state (so close still writes a
  // filemark); everything else ends it, as in st.
  bool keeps_writing = op == TapeOp::kNop || op == TapeOp::kSetBlockSize || op == TapeOp::kSetDensity ||
                       op == TapeOp::kSetDriveBuffer || op == TapeOp::kSetBufferedWrites;
  // A deferred error goes to the next operation that is no setting (a
  // filemark, motion), as st reports it.
  if (!keeps_writing || op == TapeOp::kNop) {
    if (DriveError e = take_deferred_error(); e != DriveError::kNone) return e;
  }
  provisional_filemark_ = false;
  // After a failed write only the operations that find the position again
  // are done, as st does while its position is unknown; they clear it.
  if (refuses_work()) {
    if (op != TapeOp::kRewind && op != TapeOp::kRetension && op != TapeOp::kUnload && op != TapeOp::kLocate &&
        op != TapeOp::kEndOfData) {
      return DriveError::kIo;
    }
    position_unknown_ = false;
  }
  // Settings work on an empty drive too (mt-st opens O_NONBLOCK for them).
  switch (op) {
    case TapeOp::kSetBlockSize:
      if (count < 0 || static_cast<uint32_t>(count) > kMaxDriveRecord) return DriveError::kInvalidArgument;
      block_size_ = static_cast<uint32_t>(count);
      return DriveError::kNone;
    case TapeOp::kSetDensity:
      density_ = static_cast<uint8_t>(count & 0xFF);
      return DriveError::kNone;
    case TapeOp::kSetDriveBuffer:
      return DriveError::kNone;
    case TapeOp::kSetBufferedWrites:
      buffered_writes_ = count != 0;
      return apply_write_mode();
    case TapeOp::kSetCompression:
      compression_ = count != 0;
      writing_ = false;
      return DriveError::kNone;
    case TapeOp::kLock:
      locked_ = true;
      writing_ = false;
      return DriveError::kNone;
    case TapeOp::kUnlock:
      locked_ = false;
      writing_ = false;
      return DriveError::kNone;
    default:
      break;
  }
  if (!usable()) return op == TapeOp::kNop ? DriveError::kNone : DriveError::kNoMedium;
  bool backward_over_files = op == TapeOp::kSpaceFilesBackward || op == TapeOp::kSpaceFilesBackwardToMark;
  if (writing_ && (op == TapeOp::kRewind || op == TapeOp::kUnload || op == TapeOp::kLocate || backward_over_files)) {
    if (DriveError e = write_filemark_if_writing(); e != DriveError::kNone) return e;
    // As st: the filemark just written is not one the caller asked to
    // space over.
    if (backward_over_files) ++count;
  }
  bool writes_filemarks = op == TapeOp::kWriteFilemarks || op == TapeOp::kWriteFilemarksImmediate;
  if (!keeps_writing) {
    if (writing_) {
      if (Status s = sync_image(); !s.is_ok()) return fail_write(s);
    }
    writing_ = false;
    if (!writes_filemarks) {
      if (DriveError e = observe_stop(); e != DriveError::kNone) return e;
    }
  }
  forget_read_state();
  early_warning_error_due_ = false;
  switch (op) {
    case TapeOp::kNop:
      if (Status s = image_->flush(); !s.is_ok()) return fail_write(s);
      return DriveError::kNone;
    case TapeOp::kSpaceFilesForward: return space_files(count);
    case TapeOp::kSpaceFilesBackward: return space_files(-count);
    case TapeOp::kSpaceRecordsForward: return space_records(count);
    case TapeOp::kSpaceRecordsBackward: return space_records(-count);
    case TapeOp::kWriteFilemarks:
    case TapeOp::kWriteFilemarksImmediate: return write_filemarks(count);
    case TapeOp::kRewind:
    case TapeOp::kRetension: return rewind();
    case TapeOp::kUnload: {
      (void)rewind();
      return unload_locked();
    }
    case TapeOp::kLoad: return rewind();
    case TapeOp::kSpaceFilesBackwardToMark: {
      if (DriveError e = space_files(-count); e != DriveError::kNone) return e;
      return space_files(1);
    }
    case TapeOp::kSpaceFilesForwardToMark: {
      if (DriveError e = space_files(count); e != DriveError::kNone) return e;
      return space_files(-1);
    }
    case TapeOp::kEndOfData: {
      if (Status s = image_->seek_end_of_data(); !s.is_ok()) return fail_io(s);
      end_of_data_ = image_->position();
      image_->mark_block_unknown();
      return DriveError::kNone;
    }
    case TapeOp::kErase: {
      if (DriveError e = check_writable(); e != DriveError::kNone) return e;
      if (DriveError e = observe_changing(); e != DriveError::kNone) return e;
      if (DriveError e = begin_unsynced_change(); e != DriveError::kNone) return e;
      if (Status s = image_->erase_to_end(); !s.is_ok()) return fail_write(s);
      if (DriveError e = sync_point(); e != DriveError::kNone) return e;
      return observe_erased();
    }
    case TapeOp::kLocate: return seek_block(count);
    default: return DriveError::kNotSupported;
  }
}

// ---- a feed ---------------------------------------------------------------

DriveError TapeDrive::attach_feed(uint64_t* objects_before) {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  if (!usable()) return DriveError::kNoMedium;
  if (feed_attached_ || (is_open_ && mode_.writable)) return DriveError::kBusy;
  if (cartridge_->write_protected) return DriveError::kWriteProtected;
  if (refuses_work()) return DriveError::kIo;
  // Where the tape ends, found from the reader's place, which it keeps.
  TapePosition reader = image_->position();
  Status s = image_->seek_end_of_data();
  TapePosition end = image_->position();
  image_->set_position(reader);
  if (!s.is_ok()) return fail_io(s);
  feed_attached_ = true;
  feed_writing_ = false;
  feed_end_ = end;
  *objects_before = end.object_index;
  return DriveError::kNone;
}

DriveError TapeDrive::at_feed_end(const std::function<DriveError()>& write) {
  if (!feed_attached_) return DriveError::kInvalidArgument;
  if (!usable()) return DriveError::kNoMedium;
  if (refuses_work()) return DriveError::kIo;
  TapePosition reader = image_->position();
  image_->set_position(feed_end_);
  DriveError e = write();
  feed_end_ = image_->position();
  image_->set_position(reader);
  fed_.notify_all();
  return e;
}

DriveError TapeDrive::feed_record(std::span<const uint8_t> data) {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  return at_feed_end([&] {
    if (cartridge_->write_protected) return DriveError::kWriteProtected;
    if (data.empty()) return DriveError::kNone;
    if (data.size() > format_max_record_size(cartridge_->format)) return DriveError::kRecordTooLarge;
    uint64_t start = image_->position().offset;
    if (start >= early_warning_offset() ||
        start + framed_record_size(cartridge_->format, data.size()) > cartridge_->capacity) {
      return DriveError::kNoSpace;
    }
    if (!feed_writing_) {
      if (DriveError e = begin_unsynced_change(); e != DriveError::kNone) return e;
    }
    observe_file_begins_if_needed();
    if (DriveError e = observe_changing(); e != DriveError::kNone) return e;
    if (Status s = image_->write_record(data); !s.is_ok()) return fail_write(s);
    for (auto& o : observers_) o->record(data);
    feed_writing_ = true;
    return DriveError::kNone;
  });
}

// At the feed's place: a filemark, as write_filemarks(1) writes it.
DriveError TapeDrive::feed_filemark_locked() {
  if (cartridge_->write_protected) return DriveError::kWriteProtected;
  if (!feed_writing_) {
    if (DriveError e = begin_unsynced_change(); e != DriveError::kNone) return e;
  }
  observe_file_begins_if_needed();
  if (DriveError e = observe_changing(); e != DriveError::kNone) return e;
  if (Status s = image_->write_filemark(); !s.is_ok()) return fail_write(s);
  if (DriveError e = sync_point(); e != DriveError::kNone) return e;
  feed_writing_ = false;
  return observe_filemark();
}

DriveError TapeDrive::feed_filemark() {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  return at_feed_end([this] { return feed_filemark_locked(); });
}

DriveError TapeDrive::feed_sync() {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  return at_feed_end([this] { return sync_point(); });
}

DriveError TapeDrive::detach_feed(bool complete) {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  if (!feed_attached_) return DriveError::kNone;
  DriveError e = DriveError::kNone;
  if (usable() && !refuses_work()) {
    // Incomplete: synced as it is, no filemark, so a resumed feed continues there.
    e = at_feed_end([&] { return complete && feed_writing_ ? feed_filemark_locked() : sync_point(); });
  }
  feed_attached_ = false;
  feed_writing_ = false;
  // With no open file the feed was the last writer: its tape file ends and
  // the image goes to rest (else the open file's close does that).
  if (usable() && !is_open_) {
    if (DriveError c = observe_stop(); e == DriveError::kNone) e = c;
    if (DriveError c = put_image_at_rest(); e == DriveError::kNone) e = c;
  }
  fed_.notify_all();
  return e;
}

DriveStatus TapeDrive::status() const {
  std::lock_guard lock(mu_);
  InvariantCheck check{*this};
  DriveStatus st;
  st.number = number_;
  st.open = is_open_;
  st.block_size = block_size_;
  st.density = density_;
  st.locked = locked_;
  st.compression = compression_;
  st.buffered_writes = buffered_writes_;
  if (!usable()) return st;
  const TapePosition& pos = image_->position();
  st.loaded = true;
  st.volser = cartridge_->volser;
  st.format = cartridge_->format;
  st.capacity = cartridge_->capacity;
  st.used = image_->size();
  st.early_warning = early_warning_offset();
  st.write_protected = cartridge_->write_protected;
  st.file = static_cast<int64_t>(pos.file);
  st.block = pos.block;
  st.block_address = pos.object_index;
  st.at_bot = pos.at_bot();
  st.after_filemark = pos.block == 0 && pos.file > 0;
  st.past_early_warning = pos.offset >= st.early_warning;
  st.at_end_of_data = pos.offset >= image_->size();
  return st;
}

}  // namespace vtape
