// TapeDrive: one virtual tape drive with the behaviour of the Linux st
// driver (see man/vtapefs.8).  It knows nothing of FUSE: the adapter turns
// open/read/write/ioctl/release requests into these calls, and the unit
// tests drive it directly.
//
// All public methods lock the drive's mutex; a drive is used by one open
// file at a time (a second open gets kBusy) but status and cartridge
// handling may come from other threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "library/daemon_log.h"
#include "library/drive_error.h"
#include "library/drive_observer.h"
#include "library/mirror_status.h"
#include "library/tape_operation.h"
#include "library/tape_library.h"
#include "tapeformat/tape_image.h"

namespace vtape {

// The largest record one write() can carry through FUSE: the kernel splits
// larger writes into requests that cannot be told apart from separate
// writes.  256 pages is the kernel's default fuse max_pages_limit.
inline constexpr uint32_t kMaxDriveRecord = 1u << 20;

struct DriveOpenMode {
  bool rewind_on_close = false;  // stN rather than nstN
  bool writable = false;         // O_WRONLY or O_RDWR
  bool nonblocking = false;      // O_NONBLOCK: open even without a usable cartridge
};

// What a drive reports of itself (a door encodes it: the mount as MTIOCGET),
// and more for `vtape status`.
struct DriveStatus {
  int number = 0;
  bool loaded = false;
  bool open = false;
  std::string volser;
  Format format = Format::kSimh;
  uint64_t capacity = 0;
  uint64_t used = 0;             // bytes of image up to the end of data
  uint64_t early_warning = 0;    // byte offset where early warning begins
  bool write_protected = false;
  bool locked = false;
  bool compression = false;
  // st's buffer-writes: write() returns once its record is in the drive's
  // buffer; false: write-through, every record is in the image file before
  // its write() returns.
  bool buffered_writes = true;
  int64_t file = 0;
  int64_t block = 0;             // -1 when unknown
  uint64_t block_address = 0;    // MTIOCPOS: records and filemarks from BOT
  uint32_t block_size = 0;       // 0: variable-block mode
  uint8_t density = 0;
  // Where the tape is (all false when nothing is loaded; a loaded drive is
  // online, an empty one has its door open).
  bool at_bot = false;           // the beginning of the tape
  bool after_filemark = false;   // just past a filemark (block 0 of a file after the first)
  bool past_early_warning = false;
  bool at_end_of_data = false;
  // The door that holds the drive open ("mount (pid N)", an rmt session);
  // empty when it is not open or nobody said (DriveService fills it in).
  std::string held_by;
  // vtapefs --mirror: the drive's link to the remote library (DriveService
  // fills it in).
  std::optional<MirrorLinkStatus> mirror;
};

// A descriptor of a cartridge's image file of its own (a dup), shared by
// the doors that still move bytes out of it (a splice to the kernel) after
// the drive has let go of the image: it is closed when the last one is done.
class ImageDescriptor {
 public:
  explicit ImageDescriptor(int fd) : fd_(fd) {}
  ~ImageDescriptor();
  ImageDescriptor(const ImageDescriptor&) = delete;
  ImageDescriptor& operator=(const ImageDescriptor&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// A record that a read left in the image file for the caller to take
// itself (TapeDrive::read with min_extent): `length` bytes at `offset` of
// `file`.  length 0: the read gave no such record.
struct RecordExtent {
  std::shared_ptr<const ImageDescriptor> file;
  uint64_t offset = 0;
  size_t length = 0;
};

// The drive's states (TapeDrive::state()), each with the invariants that
// TapeDrive::check_invariants() checks after every public call in debug
// builds.  Settings (block size, density, lock, compression) and the
// position belong to no state.
enum class DriveState {
  kEmpty,         // no cartridge, not open
  kOpenNoMedium,  // open without a cartridge (O_NONBLOCK, or after MTOFFL)
  kLoaded,        // a cartridge, not open
  kOpenIdle,      // open, reading or positioning, nothing unsynced of this open
  kOpenWriting,   // open, records (or MTWSM) written since the last filemark:
                  // the image is past its last sync point, the .dirty marker
                  // exists, close writes a filemark
  kClosing,       // close(2) seen (flush done), release on its way
  kError,         // a write or sync failed and left the image's end unknown:
                  // reads, writes and operations fail with EIO until a
                  // rewind, MTSEEK, MTEOM, unload or load (st's pos_unknown)
};
const char* describe(DriveState state);

class TapeDrive {
 public:
  // Called after a cartridge goes in or out (by MTOFFL too), so the library
  // can remember it.
  using CartridgeListener = std::function<void(int drive, const std::optional<std::string>& volser)>;

  explicit TapeDrive(int number) : number_(number) {}
  ~TapeDrive();

  int number() const { return number_; }
  void set_listener(CartridgeListener listener) { listener_ = std::move(listener); }
  // The parts that follow this drive's tape (the catalog), told of every
  // load, record, filemark, stop, erase and unload in the order added.
  // Given by the drive's owner before cartridges are loaded.
  void add_observer(std::shared_ptr<DriveObserver> observer);
  void clear_observers();
  void remove_observer(const DriveObserver* observer);

  // Cartridge handling (vtape load / unload; MTOFFL).
  Status load(const Cartridge& cartridge);
  Status unload();
  std::optional<std::string> loaded_volser() const;
  void set_write_protected(bool on);

  // One open file at a time.  FUSE gives three steps: open returns a
  // handle; flush comes with every close(2), of duplicated descriptors too,
  // and puts the data written so far on disk before close returns; release
  // comes once, after the last close, asynchronously, and does the rest of
  // what st does at close (a filemark after writing, rewind for stN) and
  // frees the drive.  An open that arrives between a close and its release
  // waits for the release instead of failing with EBUSY.
  DriveError open(const DriveOpenMode& mode, uint64_t* handle);
  DriveError flush(uint64_t handle);
  void release(uint64_t handle);
  // The same for callers that keep no handle (one open at a time):
  // release() is flush and release of the current open.
  DriveError open(const DriveOpenMode& mode);
  DriveError release();
  // One record per call (variable mode) or size/block_size records (fixed
  // mode), into `buffer`; *length is how much of it was filled.  Nothing
  // (0) is a filemark (or the first read at end of data right after one).
  DriveError read(std::span<uint8_t> buffer, size_t* length);
  // The same, except that in variable-block mode, on images that store
  // records as they are (SIMH, E11, MTD), a record of at least `min_extent`
  // bytes (and at most buffer.size()) is not copied: *extent says where it
  // is in the image file, and the caller moves it (the mount splices it to
  // the kernel: no copy through the daemon).  Smaller records, and every
  // read elsewhere, fill `buffer` as read() does.
  // `interrupted`, when given, is asked while a read waits for a feed (see
  // attach_feed): true gives the read up with kInterrupted.
  DriveError read(std::span<uint8_t> buffer, size_t* length, size_t min_extent, RecordExtent* extent,
                  const std::function<bool()>& interrupted = {});
  // The same into a vector (resized to what was read).
  DriveError read(size_t size, std::vector<uint8_t>* out);
  DriveError write(std::span<const uint8_t> data);
  DriveError fsync();
  // Motion, marks and settings (tape_operation.h); count as the op says.
  DriveError operation(TapeOp op, int count);
  DriveStatus status() const;

  // How writes reach the image (st's buffer-writes option, kept across
  // cartridges as st keeps its options; TapeOp::kSetBufferedWrites from a
  // door).  Buffered (the default): write() returns once its record is in
  // the drive's buffer (ImageFile's pending objects, a few MiB), which goes
  // to the image in large writes at every sync point (a filemark, fsync,
  // every operation that is no setting, a read, a position query, close,
  // unload) and when it is full.  Write-through: every record is in the
  // image file before its write() returns.
  void set_buffered_writes(bool on);
  // Writes the drive's buffer out to the image (no fsync), as st does
  // before it answers a position query (MTIOCGET, MTIOCPOS).  A failure
  // is kept as a deferred error for the next write, filemark or close.
  void flush_buffer();

  // A feed (`vtape receive --to-drive`, issue 18): records and filemarks
  // that come from outside the open file (a receiver, through the control
  // socket) are appended at the end of data while the open file (the
  // mount's door) may read the drive: the one pair of doors that share a
  // drive, on purpose.  The feed writes where the tape ended when it
  // attached, and gives the reader its place back after each write.  A read
  // that meets the end of data while a feed is attached waits for the next
  // record or filemark, or the feed's end, as a read of a pipe waits.
  // kBusy when a feed is attached already or the drive is open for writing
  // (and an open for writing is kBusy while a feed is attached);
  // `*objects_before`: the records and filemarks before the feed's first.
  DriveError attach_feed(uint64_t* objects_before);
  // As write() and MTWEOF 1 at the feed's place; past early warning every
  // record is kNoSpace (a feed has no next volume to go to).
  DriveError feed_record(std::span<const uint8_t> data);
  DriveError feed_filemark();
  // What the feed wrote is on stable storage.
  DriveError feed_sync();
  // The feed ends: `complete` puts a filemark after its records (st's rule
  // at close), else the tape is synced as it is.  Waiting reads wake up and
  // find the usual end of data.
  DriveError detach_feed(bool complete);

  // For a migration (library/cartridge_migration.h): runs `work` under the
  // drive's mutex, between two calls, after the drive's buffer went out to
  // the image (no fsync), so the image file holds every record accepted;
  // `work` gets its size.  `work` may hand back a replacement: a copy of
  // the image holding the same objects (in any format), on which the drive
  // goes on at the same position, the cartridge's image path and format
  // now the copy's, and the old image closed as at unload once the mutex
  // is released (its syncs hold up no writer); with it, where
  // each tape file begins in the copy, for what the drive and its
  // observers keep in the old image's offsets.  kNotFound when `volser` is
  // not in the drive; an error when the drive cannot say what its image
  // holds (kError) or a feed writes to it.  `held`, if given, gets how
  // long the mutex was held (the pause of a writer waiting for it).
  // `synced_size`: how much of the copy the caller knows is on disk; the
  // drive then takes it as the copy's last sync point instead of syncing
  // the copy itself under the mutex.
  struct ImageReplacement {
    std::unique_ptr<TapeImage> image;
    TapeFileOffsets file_offsets;
    std::optional<uint64_t> synced_size;
    // Whether the drive's image has its .dirty marker (the work asked
    // once): the copy then gets one too.
    bool image_marked = false;
  };
  using ImageWork = std::function<Status(uint64_t image_size, ImageReplacement* replacement)>;
  // How many times the drive has synced its image (its sync points, a
  // close): a migration's copy synced before the count moved holds all
  // that the image promises.  Without the mutex, so also inside `work`.
  uint64_t image_syncs() const { return image_syncs_.load(std::memory_order_acquire); }
  Status with_flushed_image(const std::string& volser, const ImageWork& work,
                            std::chrono::steady_clock::duration* held = nullptr);

  DriveState state() const;
  // What is wrong with the drive's state (empty when its invariants hold).
  // Debug builds check it at the end of every public call and abort.
  std::string check_invariants() const;

 private:
  // Checks the invariants when it goes out of scope (before the lock).
  struct InvariantCheck {
    const TapeDrive& drive;
    ~InvariantCheck();
  };
  DriveState state_locked() const;
  std::string invariants_locked() const;
  bool usable() const { return image_ != nullptr; }
  DriveError check_writable() const;
  // *written: whether a filemark went on the tape (even when the catalog
  // then failed to record the tape file it ends).
  DriveError write_filemark_if_writing(bool* written = nullptr);
  DriveError write_filemarks(int count);
  DriveError begin_unsynced_change();
  DriveError sync_point();
  DriveError rewind();
  DriveError space_files(int count);
  DriveError space_records(int count);
  DriveError seek_block(int64_t address);
  DriveError unload_locked();
  DriveError begin_read();
  DriveError read_one(std::span<uint8_t> buffer, size_t* length);
  DriveError read_in_place(std::span<uint8_t> buffer, size_t* length, size_t min_extent, RecordExtent* extent);
  // A read that met no record: what st gives at a filemark or end of data.
  DriveError read_met(const TapeObject& obj, bool after_filemark);
  // The image's own descriptor for extents (made at the first, per image).
  std::shared_ptr<const ImageDescriptor> image_descriptor();
  DriveError read_fixed(std::span<uint8_t> buffer, size_t* length);
  DriveError close_work();
  // The image at rest after the last writer is done: synced, without the
  // crash guard, the .dirty marker gone.
  DriveError put_image_at_rest();
  // While a feed is attached, a read at the end of data waits here.
  DriveError wait_for_feed(std::unique_lock<std::mutex>& lock, const std::function<bool()>& interrupted);
  // Runs `write` at the feed's place, then puts the reader's back.
  DriveError at_feed_end(const std::function<DriveError()>& write);
  DriveError feed_filemark_locked();
  // What the drive's log lines name: the drive, its cartridge, where the
  // tape is (file and block address), and `sys_errno`.
  LogFields log_fields(int sys_errno = 0) const;
  DriveError fail_io(const Status& s);
  // A failed change of the image (a write, filemark, erase or sync): where
  // the image ends is not known any more, the drive goes to kError.
  DriveError fail_write(const Status& s);
  // After a failed write-out of the buffer: the records accepted but cut
  // off with it are no longer on the tape, so the observers (the catalog)
  // learn that the tape now ends where the image was cut.
  void observe_lost_records(int sys_errno);
  // Switches the image to the drive's write mode, writing out the buffer
  // first when buffering ends.
  DriveError apply_write_mode();
  // The error of a write-out that nobody could be told of (a position
  // query), reported once by the next write, filemark or close, as st
  // reports a deferred error; kNone when there is none.
  DriveError take_deferred_error() { return std::exchange(deferred_error_, DriveError::kNone); }
  // kError: the caller gets EIO.
  bool refuses_work() const { return position_unknown_; }
  void forget_read_state() {
    eod_zero_returned_ = false;
    block_buffer_.clear();
    block_buffer_used_ = 0;
    end_of_data_.reset();
  }
  uint64_t early_warning_offset() const;
  // image_->sync(), counted (image_syncs()).
  Status sync_image();
  // Synced, its crash guard off, synced again: at rest (counted too).
  Status settle_image();
  Status load_locked(const Cartridge& cartridge);
  Status close_image();
  // The drive goes on in the copy; the old image goes to `replaced`.
  Status replace_image(ImageReplacement replacement, std::unique_ptr<TapeImage>* replaced);
  // Closes an image replace_image() took out of use, as close_image() does
  // at unload: synced, its crash guard and dirty marker gone.
  void close_replaced_image(std::unique_ptr<TapeImage> image, const std::string& volser);
  // Telling the observers (DriveObserver).  A tape file an observer cannot
  // follow (the catalog on a full disk) is an error of the call that ends
  // it, as st reports a failed flush: ENOSPC or EIO, from close() too.  The
  // tape keeps what was written; the next commit indexes the whole image
  // again.
  void observe_file_begins_if_needed();
  DriveError observe_changing();
  DriveError observe_stop();
  DriveError observe_filemark();
  DriveError observe_erased();
  DriveError observer_error(const Status& s);

  const int number_;
  CartridgeListener listener_;
  std::vector<std::shared_ptr<DriveObserver>> observers_;
  // The observers were told a tape file begins and not yet that it ended
  // (tape_file_begins until stopped or erased; a filemark begins the next).
  bool file_observed_ = false;
  // Where the tape file the observers follow began (tape_file_begins).
  TapePosition observed_file_start_;
  mutable std::mutex mu_;
  std::condition_variable released_;

  std::optional<Cartridge> cartridge_;
  std::unique_ptr<TapeImage> image_;
  std::shared_ptr<const ImageDescriptor> image_descriptor_;  // of image_, once asked for
  bool is_open_ = false;
  bool closed_by_user_ = false;     // close(2) seen (flush), release may be on its way
  uint64_t handle_ = 0;             // the current open's handle
  uint64_t last_handle_ = 0;
  DriveOpenMode mode_;
  bool writing_ = false;             // the last operation was a write
  // The load found damage before the last sync point: the .dirty marker
  // stays (and the next load says so again) until the image is repaired.
  bool keep_dirty_marker_ = false;
  // close(2) wrote the filemark that ends what was written; if a duplicate
  // descriptor writes again, the tape steps back over it first.
  bool provisional_filemark_ = false;
  bool eod_zero_returned_ = false;   // a read at end of data after a filemark gave 0 once
  // Where MTEOM left the tape, its block number included, which st reports
  // as unknown (-1) but the drive counted: a write there starts the
  // catalog's next tape file without reading the tape back from the start.
  std::optional<TapePosition> end_of_data_;
  bool early_warning_error_due_ = false;  // next write past early warning fails ENOSPC
  bool position_unknown_ = false;         // kError
  uint32_t block_size_ = 0;
  uint8_t density_ = 0;
  bool locked_ = false;
  bool compression_ = false;
  std::atomic<uint64_t> image_syncs_{0};
  bool buffered_writes_ = true;
  DriveError deferred_error_ = DriveError::kNone;
  std::vector<uint8_t> record_;      // reused read buffer
  // Fixed-block mode: the rest of a block a short read did not take, as
  // st keeps it in its buffer for the next read.
  std::vector<uint8_t> block_buffer_;
  size_t block_buffer_used_ = 0;
  // The feed (attach_feed): where it writes next, whether it has written
  // records since its last filemark (or its start), and the wake-up of the
  // reads that wait for it.
  bool feed_attached_ = false;
  TapePosition feed_end_;
  bool feed_writing_ = false;
  std::condition_variable fed_;
};

}  // namespace vtape
