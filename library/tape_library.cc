#include "library/tape_library.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "tapeformat/base/time_format.h"
#include "tapeformat/tape_image.h"

namespace vtape {
namespace fs = std::filesystem;

namespace {

std::string extension_of(Format f) {
  return std::string(format_extension(f));
}

Status resolve_group(const std::string& name, gid_t* out) {
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    *out = found->gr_gid;
    return Status::ok();
  }
  if (!name.empty() && name.size() < 10 && name.find_first_not_of("0123456789") == std::string::npos) {
    *out = static_cast<gid_t>(std::stoul(name));
    return Status::ok();
  }
  return Status::invalid_argument(fmt::format("there is no group '{}'", name));
}

// Makes the directory `dir` (if missing) with exactly `mode`, whatever the
// umask; `group`, when given, becomes its group first.
Status make_dir(const std::string& dir, mode_t mode, std::optional<gid_t> group) {
  if (mkdir(dir.c_str(), 0700) != 0) {
    if (errno != EEXIST) return Status::io_error(fmt::format("cannot create {}", dir), errno);
  }
  if (group && chown(dir.c_str(), static_cast<uid_t>(-1), *group) != 0) {
    return Status::io_error(fmt::format("cannot give {} to group {}", dir, *group), errno);
  }
  if (chmod(dir.c_str(), mode) != 0) return Status::io_error(fmt::format("cannot set the mode of {}", dir), errno);
  return Status::ok();
}

// A library directory must be a directory nobody else can write (they
// could replace its cartridges, or plant links where it creates files).
// One that others can read or enter (made by an older vtapefs) is closed
// when it is ours.
Status check_library_dir(const std::string& dir, struct stat* st) {
  if (stat(dir.c_str(), st) != 0) return Status::io_error(fmt::format("cannot read {}", dir), errno);
  if (!S_ISDIR(st->st_mode)) return Status::invalid_argument(fmt::format("{} is not a directory", dir));
  if ((st->st_mode & S_IWOTH) != 0) {
    return Status::invalid_argument(fmt::format(
        "the library directory {} is writable by others (mode {:04o}); it is not used until only its owner "
        "and group can write it (chmod o-w {})",
        dir, st->st_mode & 07777, dir));
  }
  if ((st->st_mode & S_IRWXO) != 0 && st->st_uid == geteuid() && chmod(dir.c_str(), st->st_mode & 07770) == 0) {
    st->st_mode &= ~static_cast<mode_t>(S_IRWXO);
  }
  return Status::ok();
}

}  // namespace

std::optional<std::string> normalize_volser(const std::string& text) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (!std::isalnum(u)) return std::nullopt;
    out.push_back(static_cast<char>(std::toupper(u)));
  }
  return out;
}

StagedFile& StagedFile::operator=(StagedFile&& other) noexcept {
  if (this != &other) {
    if (staged()) ::unlink(temporary_.c_str());
    temporary_ = std::exchange(other.temporary_, {});
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

StagedFile::~StagedFile() {
  if (staged()) ::unlink(temporary_.c_str());
}

Status StagedFile::install(DirectorySync directory) {
  if (!staged()) return Status::invalid_argument(fmt::format("nothing staged for {}", path_));
  std::string tmp = std::exchange(temporary_, {});
  if (rename(tmp.c_str(), path_.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Status::io_error(fmt::format("cannot rename {} to {}", tmp, path_), e);
  }
  // The rename itself is durable only once the directory is synced.
  if (directory == DirectorySync::kLater) return Status::ok();
  return sync_directory_of(path_);
}

Status write_file_atomically(const std::string& path, const std::string& content, mode_t mode,
                             DirectorySync directory) {
  StagedFile staged;
  VTAPE_RETURN_IF_ERROR(StagedFile::stage(path, content, mode, &staged));
  return staged.install(directory);
}

Status StagedFile::stage(const std::string& path, const std::string& content, mode_t mode, StagedFile* out) {
  // A name of this writer's own (the daemon and a vtape command, or two
  // threads, may replace the same file at once), and a new file, never one
  // that is there (left over, or planted as a link).
  static std::atomic<uint64_t> sequence{0};
  std::string tmp = fmt::format("{}.tmp.{}.{}", path, static_cast<long>(::getpid()), sequence.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return Status::io_error(fmt::format("cannot create {}", tmp), errno);
  if (fchmod(fd, mode) != 0) {  // exactly `mode`, whatever the umask
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Status::io_error(fmt::format("cannot set the mode of {}", tmp), e);
  }
  size_t done = 0;
  while (done < content.size()) {
    ssize_t w = ::write(fd, content.data() + done, content.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::io_error(fmt::format("cannot write {}", tmp), e);
    }
    done += static_cast<size_t>(w);
  }
  if (fsync(fd) != 0 || ::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Status::io_error(fmt::format("cannot sync {}", tmp), e);
  }
  *out = StagedFile();
  out->temporary_ = std::move(tmp);
  out->path_ = path;
  return Status::ok();
}

namespace {

// Opens `path` (O_RDONLY and `flags`) only to sync it with `sync_call`.
Status open_and_sync(const std::string& path, int flags, int (*sync_call)(int)) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0) return Status::io_error(fmt::format("cannot open {}", path), errno);
  int rc = sync_call(fd);
  int e = errno;
  ::close(fd);
  if (rc != 0) return Status::io_error(fmt::format("cannot sync {}", path), e);
  return Status::ok();
}

}  // namespace

Status sync_file_at(const std::string& path) { return open_and_sync(path, O_NOFOLLOW, ::fdatasync); }

Status sync_directory_at(const std::string& dir) { return open_and_sync(dir, O_DIRECTORY, ::fsync); }

Status sync_directory_of(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return sync_directory_at(dir.empty() ? "." : dir);
}

std::string TapeLibrary::default_dir() {
  if (const char* env = std::getenv("VTAPE_LIBRARY"); env != nullptr && *env != '\0') return env;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "/root") + "/.local/share/vtapefs";
}

Status TapeLibrary::open(const std::string& dir, bool create, std::unique_ptr<TapeLibrary>* out,
                         const std::string& group_name) {
  std::error_code ec;
  std::string abs = fs::absolute(dir, ec).lexically_normal().string();
  if (!abs.empty() && abs.size() > 1 && abs.back() == '/') abs.pop_back();
  bool fresh = !fs::exists(abs + "/cartridges");
  if (fresh && !create) return Status::not_found(fmt::format("{} is not a vtapefs library", abs));
  std::optional<gid_t> group;
  if (!group_name.empty()) {
    gid_t g = 0;
    VTAPE_RETURN_IF_ERROR(resolve_group(group_name, &g));
    group = g;
  }
  if (fresh) {
    // Its parents like mkdir -p; the library itself only for its owner (and group).
    fs::create_directories(fs::path(abs).parent_path(), ec);
    if (ec) return Status::io_error(fmt::format("cannot create {}", fs::path(abs).parent_path().string()), ec.value());
    // A directory that is there already is checked before it is made
    // private: --library /tmp is refused, not closed.
    struct stat before {};
    if (stat(abs.c_str(), &before) == 0) VTAPE_RETURN_IF_ERROR(check_library_dir(abs, &before));
    VTAPE_RETURN_IF_ERROR(make_dir(abs, group ? 02770 : 0700, group));
  }
  struct stat st {};
  VTAPE_RETURN_IF_ERROR(check_library_dir(abs, &st));
  if (group && (st.st_gid != *group || (st.st_mode & S_IRWXG) != S_IRWXG)) {
    return Status::invalid_argument(
        fmt::format("the library {} is not shared with group {} (its group is {}, mode {:04o}); to share it: "
                    "chgrp -R {} {} && chmod -R g+rwX {} && chmod g+s {} {}/cartridges",
                    abs, group_name, st.st_gid, st.st_mode & 07777, group_name, abs, abs, abs, abs));
  }
  std::unique_ptr<TapeLibrary> lib(new TapeLibrary(abs));
  lib->owner_ = st.st_uid;
  lib->group_ = st.st_gid;
  lib->file_mode_ = st.st_mode & 0660;
  if (!fs::exists(lib->cartridges_dir())) {
    VTAPE_RETURN_IF_ERROR(make_dir(lib->cartridges_dir(), st.st_mode & 02770, std::nullopt));
  }
  struct stat cartridges {};
  VTAPE_RETURN_IF_ERROR(check_library_dir(lib->cartridges_dir(), &cartridges));
  VTAPE_RETURN_IF_ERROR(lib->load_settings());
  if (fresh) {
    Cartridge scratch;
    VTAPE_RETURN_IF_ERROR(lib->create_cartridge(kDefaultScratchVolser, Format::kSimh, kDefaultCapacity, &scratch));
    VTAPE_RETURN_IF_ERROR(lib->set_loaded(0, scratch.volser));
  }
  *out = std::move(lib);
  return Status::ok();
}

std::string TapeLibrary::description_text(const Cartridge& c) const {
  std::string text = fmt::format("format {}\ncapacity {}\nprotected {}\ncreated {}\n", format_name(c.format),
                                 c.capacity, c.write_protected ? 1 : 0, c.created);
  // An image somewhere else than cartridges/ (vtape migrate put it there).
  if (c.image_path != cartridges_dir() + "/" + c.volser + extension_of(c.format)) {
    text += fmt::format("image {}\n", c.image_path);
  }
  return text;
}

std::string TapeLibrary::description_path(const std::string& volser) const {
  return cartridges_dir() + "/" + volser + ".cartridge";
}

Status TapeLibrary::save_cartridge(const Cartridge& c, DirectorySync directory) {
  Status s = write_file_atomically(description_path(c.volser), description_text(c), file_mode_, directory);
  // After the write (even a failed one, which may have renamed already): a
  // reader that saw the count before it reads the description again.
  ++descriptions_written_[c.volser];
  cartridges_changed_.fetch_add(1, std::memory_order_release);
  return s;
}

Status TapeLibrary::load_settings() {
  std::ifstream in(settings_path());
  if (!in) return Status::ok();  // none: every setting has its default
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream words(line);
    std::string key, value;
    if (!(words >> key) || key[0] == '#') continue;
    std::getline(words >> std::ws, value);
    if (key == "digest") {
      auto algorithm = parse_digest_name(value);
      if (!algorithm) {
        return Status::invalid_argument(
            fmt::format("{} line {}: digest '{}' is not one of {}", settings_path(), number, value, kDigestNames));
      }
      digest_ = *algorithm;
    } else {
      return Status::invalid_argument(fmt::format("{} line {}: unknown setting '{}'", settings_path(), number, key));
    }
  }
  return Status::ok();
}

Status TapeLibrary::save_digest(DigestAlgorithm algorithm) {
  // The digest is the only setting so far: the file is that one line.
  std::lock_guard lock(mu_);
  VTAPE_RETURN_IF_ERROR(
      write_file_atomically(settings_path(), fmt::format("digest {}\n", digest_name(algorithm)), file_mode_));
  digest_ = algorithm;
  return Status::ok();
}

Status TapeLibrary::load_cartridge_file(const std::string& volser, Cartridge* out) const {
  std::string path = cartridges_dir() + "/" + volser + ".cartridge";
  std::ifstream in(path);
  if (!in) return Status::not_found(fmt::format("no cartridge {} in {}", volser, dir_));
  Cartridge c;
  c.volser = volser;
  std::string image;
  std::string key;
  while (in >> key) {
    std::string value;
    std::getline(in >> std::ws, value);
    if (key == "format") {
      auto f = parse_format(value);
      if (!f) return Status::corrupt(0, "a known format name in " + path, "'" + value + "'");
      c.format = *f;
    } else if (key == "capacity") {
      c.capacity = std::strtoull(value.c_str(), nullptr, 10);
    } else if (key == "protected") {
      c.write_protected = value == "1";
    } else if (key == "created") {
      c.created = value;
    } else if (key == "image") {
      if (value.empty() || value[0] != '/') return Status::corrupt(0, "an absolute image path in " + path, "'" + value + "'");
      image = value;
    }
  }
  c.image_path = image.empty() ? cartridges_dir() + "/" + volser + extension_of(c.format) : image;
  *out = c;
  return Status::ok();
}

Status TapeLibrary::create_cartridge(const std::string& volser_text, Format format, uint64_t capacity,
                                     Cartridge* out) {
  auto volser = normalize_volser(volser_text);
  if (!volser) {
    return Status::invalid_argument(
        fmt::format("'{}' is not a volume serial (1 to 6 letters or digits)", volser_text));
  }
  if (!format_is_writable(format)) {
    return Status::invalid_argument(fmt::format("a cartridge cannot be in the read-only {} format", format_name(format)));
  }
  std::lock_guard lock(mu_);
  Cartridge existing;
  if (load_cartridge_file(*volser, &existing).is_ok()) {
    return Status::invalid_argument(fmt::format("cartridge {} already exists in {}", *volser, dir_));
  }
  Cartridge c;
  c.volser = *volser;
  c.format = format;
  c.capacity = capacity;
  c.created = utc_now_iso8601();
  c.image_path = cartridges_dir() + "/" + c.volser + extension_of(format);
  std::unique_ptr<TapeImage> image;
  VTAPE_RETURN_IF_ERROR(TapeImage::create(c.image_path, format, WriteOptions{}, /*overwrite=*/false, &image));
  VTAPE_RETURN_IF_ERROR(adopt_file(c.image_path));
  VTAPE_RETURN_IF_ERROR(image->sync());
  VTAPE_RETURN_IF_ERROR(save_cartridge(c));
  *out = c;
  return Status::ok();
}

Status TapeLibrary::adopt_file(const std::string& path) const {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return Status::io_error(fmt::format("cannot read {}", path), errno);
  if (!S_ISREG(st.st_mode)) return Status::invalid_argument(fmt::format("{} is not a regular file", path));
  if (st.st_gid != group_ && chown(path.c_str(), static_cast<uid_t>(-1), group_) != 0) {
    return Status::io_error(fmt::format("cannot give {} to group {}", path, group_), errno);
  }
  if (chmod(path.c_str(), file_mode_) != 0) return Status::io_error(fmt::format("cannot set the mode of {}", path), errno);
  return Status::ok();
}

Status TapeLibrary::find(const std::string& volser_text, Cartridge* out) const {
  auto volser = normalize_volser(volser_text);
  if (!volser) return Status::not_found(fmt::format("'{}' is not a volume serial", volser_text));
  std::lock_guard lock(mu_);
  return load_cartridge_file(*volser, out);
}

std::vector<Cartridge> TapeLibrary::list() const {
  std::vector<Cartridge> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cartridges_dir(), ec)) {
    if (entry.path().extension() != ".cartridge") continue;
    Cartridge c;
    if (find(entry.path().stem().string(), &c).is_ok()) out.push_back(c);
  }
  std::sort(out.begin(), out.end(), [](const Cartridge& a, const Cartridge& b) { return a.volser < b.volser; });
  return out;
}

Status TapeLibrary::set_protected(const std::string& volser, bool on) {
  Cartridge c;
  VTAPE_RETURN_IF_ERROR(find(volser, &c));
  std::lock_guard lock(mu_);
  c.write_protected = on;
  return save_cartridge(c);
}

Status TapeLibrary::set_image(const std::string& volser, const std::string& image_path, Format format,
                              DirectorySync directory) {
  std::lock_guard lock(mu_);
  Cartridge c;
  VTAPE_RETURN_IF_ERROR(load_cartridge_file(volser, &c));
  c.image_path = image_path;
  c.format = format;
  return save_cartridge(c, directory);
}

Status TapeLibrary::stage_image(const std::string& volser, const std::string& image_path, Format format,
                                StagedImage* out) {
  std::lock_guard lock(mu_);
  Cartridge c;
  VTAPE_RETURN_IF_ERROR(load_cartridge_file(volser, &c));
  c.image_path = image_path;
  c.format = format;
  out->volser = volser;
  out->image_path = image_path;
  out->format = format;
  out->writes_seen = descriptions_written_[volser];
  return StagedFile::stage(description_path(volser), description_text(c), file_mode_, &out->description);
}

Status TapeLibrary::install_image(StagedImage* staged) {
  std::unique_lock lock(mu_);
  if (descriptions_written_[staged->volser] != staged->writes_seen || !staged->description.staged()) {
    // The description changed since (write protection, say): written
    // anew from what is on disk now, the slow way.
    lock.unlock();
    staged->description = StagedFile();  // its temporary file goes
    return set_image(staged->volser, staged->image_path, staged->format, DirectorySync::kLater);
  }
  Status s = staged->description.install(DirectorySync::kLater);
  ++descriptions_written_[staged->volser];
  cartridges_changed_.fetch_add(1, std::memory_order_release);
  return s;
}

Status TapeLibrary::sync_cartridges_dir() const { return sync_directory_at(cartridges_dir()); }

std::map<int, std::string> TapeLibrary::loaded() const {
  std::lock_guard lock(mu_);
  std::map<int, std::string> out;
  std::ifstream in(dir_ + "/drives.state");
  int drive = 0;
  std::string volser;
  while (in >> drive >> volser) {
    if (volser != "-") out[drive] = volser;
  }
  return out;
}

Status TapeLibrary::set_loaded(int drive, const std::optional<std::string>& volser) {
  auto current = loaded();
  std::lock_guard lock(mu_);
  if (volser) {
    current[drive] = *volser;
  } else {
    current.erase(drive);
  }
  std::string text;
  for (const auto& [d, v] : current) text += fmt::format("{} {}\n", d, v);
  return write_file_atomically(dir_ + "/drives.state", text, file_mode_);
}

}  // namespace vtape
