#include "tools/rmt_tapes.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/ioctl.h>
#include <sys/mtio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "library/cartridge_door.h"
#include "library/mount_table.h"
#include "library/mtio_mapping.h"

namespace vtape {
namespace {

// A cartridge in a drive of the session's own (no daemon serves the library).
class CartridgeTape : public RmtTape {
 public:
  explicit CartridgeTape(std::unique_ptr<CartridgeDoor> door) : door_(std::move(door)) {}
  std::string name() const override { return door_->cartridge().volser; }
  int write(std::span<const uint8_t> record) override { return errno_of(drive().write(record)); }
  int read(std::span<uint8_t> buffer, size_t* length) override { return errno_of(drive().read(buffer, length)); }
  int operation(int mt_op, int mt_count) override { return errno_of(mt_operation(drive(), mt_op, mt_count)); }
  int status(MtStatus* out) override {
    drive().flush_buffer();  // as st before it answers MTIOCGET
    *out = mt_status_of(drive().status());
    return 0;
  }
  std::string close() override {
    Status s = door_->finish();
    return s.is_ok() ? "" : s.message();
  }

 private:
  static int errno_of(DriveError e) { return e == DriveError::kNone ? 0 : to_errno(e); }
  TapeDrive& drive() { return door_->lease().drive(); }
  std::unique_ptr<CartridgeDoor> door_;
};

// A drive of the running vtapefs, through its file in the mount.
class MountDriveTape : public RmtTape {
 public:
  MountDriveTape(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  ~MountDriveTape() override { close(); }
  std::string name() const override { return "drive " + name_; }
  int write(std::span<const uint8_t> record) override {
    ssize_t n = ::write(fd_, record.data(), record.size());
    if (n < 0) return errno;
    return static_cast<size_t>(n) == record.size() ? 0 : EIO;  // st writes a record whole or not at all
  }
  int read(std::span<uint8_t> buffer, size_t* length) override {
    ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n < 0) return errno;
    *length = static_cast<size_t>(n);
    return 0;
  }
  int operation(int mt_op, int mt_count) override {
    struct mtop op {};
    op.mt_op = static_cast<short>(mt_op);
    op.mt_count = mt_count;
    if (op.mt_op != mt_op) return EINVAL;
    return ::ioctl(fd_, MTIOCTOP, &op) == 0 ? 0 : errno;
  }
  int status(MtStatus* out) override {
    struct mtget g {};
    if (::ioctl(fd_, MTIOCGET, &g) != 0) return errno;
    *out = MtStatus{g.mt_type, g.mt_resid, g.mt_dsreg, g.mt_gstat, g.mt_erreg,
                    static_cast<int32_t>(g.mt_fileno), static_cast<int32_t>(g.mt_blkno)};
    return 0;
  }
  std::string close() override {
    if (fd_ < 0) return "";
    // The mount's close: what was written is on disk, ended by its filemark.
    int r = ::close(fd_);
    fd_ = -1;
    return r == 0 ? "" : fmt::format("closing drive {}: {}", name_, std::strerror(errno));
  }

 private:
  std::string name_;
  int fd_;
};

// "nst0", "st1", "/dev/nst0": the drive file's name in the mount.
std::optional<std::string> drive_file_name(const std::string& name) {
  std::string n = name.rfind("/dev/", 0) == 0 ? name.substr(5) : name;
  size_t digits = n.rfind("nst", 0) == 0 ? 3 : n.rfind("st", 0) == 0 ? 2 : 0;
  if (digits == 0 || n.size() == digits || n.size() > digits + 3) return std::nullopt;
  for (size_t i = digits; i < n.size(); ++i) {
    if (n[i] < '0' || n[i] > '9') return std::nullopt;
  }
  return n;
}

std::string canonical_or_same(const std::string& path) {
  std::error_code ec;
  std::string c = std::filesystem::canonical(path, ec).string();
  return ec ? path : c;
}

// The mount point of the vtapefs that serves `library_dir`, if any here.
std::optional<std::string> mount_serving(const std::string& library_dir) {
  std::string wanted = canonical_or_same(library_dir);
  for (const auto& m : vtapefs_mounts()) {
    if (canonical_or_same(m.library) == wanted) return m.mount_point;
  }
  return std::nullopt;
}

bool allowed(const std::vector<std::string>& patterns, const std::string& name) {
  if (patterns.empty()) return true;
  for (const auto& p : patterns) {
    if (fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  }
  return false;
}

std::unique_ptr<RmtTape> open_drive(const RmtOpenRequest& rq, const std::string& file, int* error,
                                    std::string* message) {
  std::optional<std::string> mount = mount_serving(rq.library_dir);
  if (!mount) {
    *error = ENXIO;
    *message = fmt::format("open {}: no vtapefs serves the library {} here; open a cartridge by its volume serial",
                           rq.name, rq.library_dir);
    return nullptr;
  }
  std::string path = *mount + "/drives/" + file;
  int flags = rq.flags.access | O_CLOEXEC | O_NOFOLLOW | (rq.flags.nonblocking ? O_NONBLOCK : 0);
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) {
    *error = errno;
    *message = fmt::format("open {}: {}", path, std::strerror(errno));
    return nullptr;
  }
  return std::make_unique<MountDriveTape>(file, fd);
}

std::unique_ptr<RmtTape> open_cartridge(const RmtOpenRequest& rq, const std::string& volser, int* error,
                                        std::string* message) {
  DriveOpenMode mode;
  mode.writable = rq.flags.writable();
  mode.nonblocking = rq.flags.nonblocking;
  bool create = rq.flags.create && rq.flags.writable();
  bool served = false;
  std::unique_ptr<CartridgeDoor> door;
  Status s = CartridgeDoor::open(rq.library_dir, volser, std::nullopt, fmt::format("vtape rmt (pid {})", getpid()),
                                 &door, &served, std::nullopt, mode, create);
  if (!s.is_ok()) {
    *error = served                              ? EBUSY
             : s.code() == StatusCode::kNotFound ? ENOENT
             : s.sys_errno() != 0                ? s.sys_errno()
                                                 : EIO;
    *message = fmt::format("open {}: {}{}", volser, s.message(),
                           served ? "; the drives of a vtapefs are opened as nstN and stN" : "");
    return nullptr;
  }
  return std::make_unique<CartridgeTape>(std::move(door));
}

}  // namespace

std::unique_ptr<RmtTape> open_rmt_tape(const RmtOpenRequest& rq, int* error, std::string* message) {
  // Checked before anything is opened: a path ("../x", "/etc/passwd") or
  // anything else that is no serial or drive never reaches the file system.
  std::optional<std::string> drive = drive_file_name(rq.name);
  std::optional<std::string> volser = drive ? std::nullopt : normalize_volser(rq.name);
  if (!drive && !volser) {
    *error = EACCES;
    *message = fmt::format("open '{}': only a cartridge's volume serial (1 to 6 letters and digits) or a drive "
                           "(nstN, stN, /dev/nstN) may be opened", rq.name);
    return nullptr;
  }
  if (!allowed(rq.allow, drive ? rq.name : *volser)) {
    *error = EACCES;
    *message = fmt::format("open '{}': not among the names this server allows (--allow)", rq.name);
    return nullptr;
  }
  if (rq.flags.writable() && rq.read_only) {
    *error = EROFS;
    *message = fmt::format("open {}: this server is read-only (--read-only)", rq.name);
    return nullptr;
  }
  return drive ? open_drive(rq, *drive, error, message) : open_cartridge(rq, *volser, error, message);
}

}  // namespace vtape
