// TapeLibrary: the cartridges of one library directory and which drive holds
// which.  Used by the vtapefs daemon and by the vtape tools (a cartridge can
// be created or protected while no daemon runs).  No FUSE in here.
//
// On disk (documented in man/vtapefs.8, "LIBRARY"):
//   DIR/cartridges/VOLSER.EXT        the tape image (EXT from the format)
//   DIR/cartridges/VOLSER.cartridge  "key value" lines: format, capacity,
//                                    protected, created, and image (its
//                                    path, when vtape migrate moved it)
//   DIR/drives.state                 "DRIVE VOLSER" lines: what is loaded
//   DIR/vtapefs.sock                 the running daemon's control socket
//   DIR/catalog.db                   the SQLite catalog (man/vtape-catalog.5)
//   DIR/settings                     "key value" lines: digest (absent: defaults)
// Metadata files are replaced atomically (write, fsync, rename).
//
// Access: the directory is the record of who may use the library.  It is
// made 0700 (only its owner), or 02770 with a group (--group G: the group
// that may use it; the setgid bit gives every new file that group).  Every
// file made in it gets the directory's read and write bits for owner and
// group, never any for others (0600, or 0660 with a group): the images,
// the catalog and the spool cartridge hold other people's files.  A
// library directory that others can write is refused.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "index/digest.h"
#include "tapeformat/base/status.h"
#include "tapeformat/tape_format.h"

namespace vtape {

inline constexpr uint64_t kDefaultCapacity = 10ull << 30;  // 10 GiB

// Where a cartridge of `capacity` bytes gives early warning (an image
// offset): 1/32 of the tape before its end, at least 16 KiB, at most 64 MiB
// (the zone a real drive keeps for the labels and filemarks of a clean end).
inline uint64_t early_warning_offset(uint64_t capacity) {
  uint64_t zone = capacity / 32;
  if (zone < (16u << 10)) zone = 16u << 10;
  if (zone > (64u << 20)) zone = 64u << 20;
  return capacity > zone ? capacity - zone : 0;
}
inline constexpr const char* kDefaultScratchVolser = "SCR001";

struct Cartridge {
  std::string volser;
  Format format = Format::kSimh;
  uint64_t capacity = kDefaultCapacity;
  bool write_protected = false;
  std::string created;     // ISO 8601, UTC
  std::string image_path;  // absolute path of the image file
};

// Whether a file replaced atomically has its directory synced at once.
enum class DirectorySync { kNow, kLater };

// A file written and synced under a temporary name beside `path`, which
// install() renames over `path`: the slow half (the write and its fsync)
// can be done before a lock, the rename under it.  The temporary file is
// removed unless it was installed.
class StagedFile {
 public:
  StagedFile() = default;
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  StagedFile(StagedFile&& other) noexcept { *this = std::move(other); }
  StagedFile& operator=(StagedFile&& other) noexcept;
  ~StagedFile();

  // Writes `content` (the new file with exactly `mode`) and syncs it.
  static Status stage(const std::string& path, const std::string& content, mode_t mode, StagedFile* out);
  // The rename; the directory is synced after it unless kLater.
  Status install(DirectorySync directory);
  bool staged() const { return !temporary_.empty(); }

 private:
  std::string temporary_;
  std::string path_;
};

// A cartridge's new image, its description staged (TapeLibrary::stage_image).
struct StagedImage {
  std::string volser;
  std::string image_path;
  Format format = Format::kSimh;
  uint64_t writes_seen = 0;  // how often its description had been written when it was staged
  StagedFile description;
};

class TapeLibrary {
 public:
  // Opens (and with create, makes) a library directory.  A library made here
  // gets a scratch cartridge loaded in drive 0, so a first run needs no set-up.
  // `group` (a name or number): a library made here is shared with it; an
  // existing library must already be.
  static Status open(const std::string& dir, bool create, std::unique_ptr<TapeLibrary>* out,
                     const std::string& group = "");
  // $VTAPE_LIBRARY, else ~/.local/share/vtapefs.
  static std::string default_dir();

  const std::string& dir() const { return dir_; }
  std::string socket_path() const { return dir_ + "/vtapefs.sock"; }
  std::string cartridges_dir() const { return dir_ + "/cartridges"; }
  std::string catalog_path() const { return dir_ + "/catalog.db"; }
  // Who the library belongs to (the directory's owner and group), and the
  // mode of its files: 0600, or 0660 when it is shared with its group.
  uid_t owner() const { return owner_; }
  gid_t group() const { return group_; }
  mode_t file_mode() const { return file_mode_; }
  // Gives a file put into the library (made, copied or moved in) the
  // library's mode and group.
  Status adopt_file(const std::string& path) const;

  Status create_cartridge(const std::string& volser, Format format, uint64_t capacity, Cartridge* out);
  Status find(const std::string& volser, Cartridge* out) const;
  std::vector<Cartridge> list() const;
  Status set_protected(const std::string& volser, bool on);
  // The cartridge's image is now `image_path` (absolute), in `format`
  // (vtape migrate).
  // With DirectorySync::kLater the rename is not yet durable against a
  // power loss (a crash of the process does not undo it) until
  // sync_cartridges_dir(): a switch under a drive's lock syncs after it.
  Status set_image(const std::string& volser, const std::string& image_path, Format format,
                   DirectorySync directory = DirectorySync::kNow);
  Status sync_cartridges_dir() const;
  // set_image() in two halves, for a switch under a drive's lock: stage
  // writes and syncs the new description (before the lock), install puts
  // it in place (a rename; the directory is synced by sync_cartridges_dir()
  // after the lock).  A description changed in between is written anew.
  Status stage_image(const std::string& volser, const std::string& image_path, Format format, StagedImage* out);
  Status install_image(StagedImage* staged);
  // How many times this object wrote a cartridge's description (made it,
  // moved its image, protected it): who keeps what find() said asks again
  // once this moved.  The daemon writes every description of its library
  // through its one TapeLibrary (the library's lock keeps commands out).
  uint64_t cartridges_changed() const { return cartridges_changed_.load(std::memory_order_acquire); }

  // The algorithm of the digest the catalog keeps of each tape file written
  // or indexed from now on (rows made before keep theirs): the library's
  // setting (DIR/settings, `vtapefs --digest`), else kDefaultDigest, unless
  // this process was told otherwise (use_digest: a command's --digest).
  DigestAlgorithm digest() const { return digest_; }
  void use_digest(DigestAlgorithm algorithm) { digest_ = algorithm; }
  // Makes `algorithm` the library's setting (and this process's).
  Status save_digest(DigestAlgorithm algorithm);

  // What each drive holds, as last saved.
  std::map<int, std::string> loaded() const;
  Status set_loaded(int drive, const std::optional<std::string>& volser);

 private:
  explicit TapeLibrary(std::string dir) : dir_(std::move(dir)) {}
  Status save_cartridge(const Cartridge& c, DirectorySync directory = DirectorySync::kNow);
  std::string description_text(const Cartridge& c) const;
  std::string description_path(const std::string& volser) const;
  Status load_cartridge_file(const std::string& volser, Cartridge* out) const;
  std::string settings_path() const { return dir_ + "/settings"; }
  Status load_settings();

  std::string dir_;
  uid_t owner_ = 0;
  gid_t group_ = 0;
  mode_t file_mode_ = 0600;
  DigestAlgorithm digest_ = kDefaultDigest;
  mutable std::mutex mu_;  // serialises metadata file updates within one process
  std::atomic<uint64_t> cartridges_changed_{0};
  // How often each cartridge's description was written (under mu_): a
  // staged description is stale once its cartridge's count moved.
  std::map<std::string, uint64_t> descriptions_written_;
};

// VOLSER rules: 1 to 6 characters A-Z, 0-9; lower case is taken as upper.
std::optional<std::string> normalize_volser(const std::string& text);
// Writes `content` to `path` atomically and durably (temporary file, fsync, rename),
// the new file with exactly `mode`; the directory is synced after the rename
// (unless kLater: the caller syncs it).
Status write_file_atomically(const std::string& path, const std::string& content, mode_t mode,
                             DirectorySync directory = DirectorySync::kNow);
// fdatasync(2) of the file at `path` through a descriptor of its own (not
// through a link in its last part): its data is on disk when this returns,
// whichever descriptor wrote it.  "cannot open PATH" / "cannot sync PATH".
Status sync_file_at(const std::string& path);
// fsync(2) of the directory `dir`: the names made, renamed or removed in it
// are on disk.  "cannot open DIR" / "cannot sync DIR".
Status sync_directory_at(const std::string& dir);
// sync_directory_at() of the directory that holds `path` ("." for a bare name).
Status sync_directory_of(const std::string& path);

}  // namespace vtape
