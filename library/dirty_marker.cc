#include "library/dirty_marker.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include <fmt/format.h>

#include "library/tape_library.h"
#include "tapeformat/image_scan.h"

namespace vtape {
namespace {

constexpr std::string_view kPrefix = "unsynced after byte ";

// Fixed width, so that an update overwrites the whole text in place.
std::string marker_text(uint64_t sync_point) { return fmt::format("{}{:020}\n", kPrefix, sync_point); }

// A full file system is ENOSPC for the writer, as for the image itself.
Status write_error(const std::string& what, const std::string& path, int err) {
  if (err == ENOSPC || err == EDQUOT) return Status::no_space(fmt::format("{}: the file system is full", path));
  return Status::io_error(fmt::format("cannot {} {}", what, path), err);
}

Status write_text(int fd, const std::string& path, const std::string& text) {
  ssize_t n = pwrite(fd, text.data(), text.size(), 0);
  if (n != static_cast<ssize_t>(text.size())) return write_error("write", path, n < 0 ? errno : EIO);
  return Status::ok();
}

// The sync point a marker records, if it records one.
std::optional<uint64_t> read_sync_point(const std::string& marker) {
  int fd = ::open(marker.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[64];
  ssize_t n = pread(fd, buf, sizeof buf, 0);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  std::string_view text(buf, static_cast<size_t>(n));
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data() || end == text.data() + text.size() || *end != '\n') {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::string dirty_marker_path(const std::string& image_path) { return image_path + ".dirty"; }

bool has_dirty_marker(const std::string& image_path) {
  return access(dirty_marker_path(image_path).c_str(), F_OK) == 0;
}

Status mark_unsynced(const std::string& image_path, uint64_t sync_point) {
  std::string marker = dirty_marker_path(image_path);
  // O_EXCL tells a new marker from one already there; O_NOFOLLOW: never
  // through a link someone left in its place.
  int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  bool created = fd >= 0;
  if (fd < 0 && errno == EEXIST) fd = ::open(marker.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return write_error("create", marker, errno);
  Status s = write_text(fd, marker, marker_text(sync_point));
  // A new marker must be on disk before the image changes.
  if (s.is_ok() && created && fsync(fd) != 0) s = write_error("sync", marker, errno);
  ::close(fd);
  if (s.is_ok() && created) s = sync_directory_of(marker);
  return s;
}

Status advance_sync_point(const std::string& image_path, uint64_t sync_point) {
  std::string marker = dirty_marker_path(image_path);
  int fd = ::open(marker.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::ok();
    return Status::io_error(fmt::format("cannot open {}", marker), errno);
  }
  Status s = write_text(fd, marker, marker_text(sync_point));
  ::close(fd);
  return s;
}

void remove_dirty_marker(const std::string& image_path) { unlink(dirty_marker_path(image_path).c_str()); }

Status recover_interrupted_write(const std::string& volser, TapeImage& image, Recovery* out) {
  *out = Recovery{};
  // Without a recorded sync point nothing is known to be torn: the whole
  // image counts as acknowledged.
  uint64_t sync_point = read_sync_point(dirty_marker_path(image.path())).value_or(image.size());
  ScanOptions scan;
  scan.read_data = false;
  ScanSummary summary;
  VTAPE_RETURN_IF_ERROR(scan_image(image, scan, nullptr, nullptr, &summary));
  uint64_t end = summary.end_offset;
  std::string found = summary.clean() ? fmt::format("the recorded data ends at byte {}", end)
                                      : summary.damage.front().error.message_for(image.path());
  if (end < sync_point) {
    out->damaged = true;
    out->message = fmt::format(
        "{}: damaged before its last sync point (byte {}): {}; this is not the torn tail of an interrupted "
        "write, so nothing was cut; the cartridge is write-protected until the image is repaired ('vtape verify "
        "--salvage {}' shows the damage; remove {} afterwards)",
        volser, sync_point, found, image.path(), dirty_marker_path(image.path()));
    return image.rewind();
  }
  VTAPE_RETURN_IF_ERROR(image.rewind());
  if (end < image.size()) {
    image.seek_to_offset(end);
    VTAPE_RETURN_IF_ERROR(image.erase_to_end());
    VTAPE_RETURN_IF_ERROR(image.sync());
    out->cut = true;
  }
  if (!summary.clean()) {
    out->message = fmt::format("{}: recovered after an interrupted write: {}; the tape now ends at byte {}", volser,
                               found, end);
  }
  remove_dirty_marker(image.path());
  return image.rewind();
}

}  // namespace vtape
