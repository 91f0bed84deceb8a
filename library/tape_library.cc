#include "library/tape_library.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "tapeformat/tape_image.h"

namespace vtape {
namespace fs = std::filesystem;

namespace {

std::string now_iso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string extension_of(Format f) {
  switch (f) {
    case Format::kSimh: return ".tap";
    case Format::kE11: return ".e11";
    case Format::kMtd: return ".mtd";
    case Format::kAws: return ".aws";
    case Format::kHet: return ".het";
    case Format::kTpc: return ".tpc";
  }
  return ".tap";
}

Status make_dirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::io_error(fmt::format("cannot create {}", dir), ec.value());
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

Status write_file_atomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::io_error(fmt::format("cannot create {}", tmp), errno);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t w = ::write(fd, content.data() + done, content.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return Status::io_error(fmt::format("cannot write {}", tmp), e);
    }
    done += static_cast<size_t>(w);
  }
  if (fsync(fd) != 0 || ::close(fd) != 0) return Status::io_error(fmt::format("cannot sync {}", tmp), errno);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::io_error(fmt::format("cannot rename {} to {}", tmp, path), errno);
  }
  return Status::ok();
}

std::string TapeLibrary::default_dir() {
  if (const char* env = std::getenv("VTAPE_LIBRARY"); env != nullptr && *env != '\0') return env;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "/root") + "/.local/share/vtapefs";
}

Status TapeLibrary::open(const std::string& dir, bool create, std::unique_ptr<TapeLibrary>* out) {
  std::error_code ec;
  std::string abs = fs::absolute(dir, ec).lexically_normal().string();
  if (!abs.empty() && abs.size() > 1 && abs.back() == '/') abs.pop_back();
  bool fresh = !fs::exists(abs + "/cartridges");
  if (fresh && !create) return Status::not_found(fmt::format("{} is not a vtapefs library", abs));
  std::unique_ptr<TapeLibrary> lib(new TapeLibrary(abs));
  VTAPE_RETURN_IF_ERROR(make_dirs(lib->cartridges_dir()));
  if (fresh) {
    Cartridge scratch;
    VTAPE_RETURN_IF_ERROR(lib->create_cartridge(kDefaultScratchVolser, Format::kSimh, kDefaultCapacity, &scratch));
    VTAPE_RETURN_IF_ERROR(lib->set_loaded(0, scratch.volser));
  }
  *out = std::move(lib);
  return Status::ok();
}

Status TapeLibrary::save_cartridge(const Cartridge& c) {
  std::string text = fmt::format("format {}\ncapacity {}\nprotected {}\ncreated {}\n", format_name(c.format),
                                 c.capacity, c.write_protected ? 1 : 0, c.created);
  return write_file_atomically(cartridges_dir() + "/" + c.volser + ".cartridge", text);
}

Status TapeLibrary::load_cartridge_file(const std::string& volser, Cartridge* out) const {
  std::string path = cartridges_dir() + "/" + volser + ".cartridge";
  std::ifstream in(path);
  if (!in) return Status::not_found(fmt::format("no cartridge {} in {}", volser, dir_));
  Cartridge c;
  c.volser = volser;
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
    }
  }
  c.image_path = cartridges_dir() + "/" + volser + extension_of(c.format);
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
  c.created = now_iso8601();
  c.image_path = cartridges_dir() + "/" + c.volser + extension_of(format);
  std::unique_ptr<TapeImage> image;
  VTAPE_RETURN_IF_ERROR(TapeImage::create(c.image_path, format, WriteOptions{}, /*overwrite=*/false, &image));
  VTAPE_RETURN_IF_ERROR(image->sync());
  VTAPE_RETURN_IF_ERROR(save_cartridge(c));
  *out = c;
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
  return write_file_atomically(dir_ + "/drives.state", text);
}

}  // namespace vtape
