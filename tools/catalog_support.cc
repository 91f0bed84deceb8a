#include "tools/catalog_support.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "library/catalog_sync.h"
#include "library/control_protocol.h"
#include "library/mount_table.h"
#include "tools/tool_support.h"

namespace vtape {

std::string library_dir_option(const CommandLine& cl) {
  if (auto dir = cl.value("--library")) return *dir;
  // vtape mtx -f DEVICE: a vtapefs mount (or a path inside one) stands for
  // its library; anything else is the library's directory.
  if (auto device = cl.value("-f")) {
    std::string not_a_mount;
    return library_of_mount(*device, &not_a_mount).value_or(*device);
  }
  if (const char* env = std::getenv("VTAPE_LIBRARY"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  std::string cwd = std::filesystem::current_path(ec).string();
  if (!ec) {
    if (auto m = vtapefs_mount_holding(cwd, vtapefs_mounts())) return m->library;
  }
  return TapeLibrary::default_dir();
}

std::optional<std::string> library_of_mount(const std::string& path, std::string* error) {
  std::error_code ec;
  std::string canonical = std::filesystem::canonical(path, ec).string();
  if (ec) {
    *error = fmt::format("{}: {}", path, ec.message());
    return std::nullopt;
  }
  auto m = vtapefs_mount_holding(canonical, vtapefs_mounts());
  if (!m) {
    *error = fmt::format("{} is not a vtapefs mount or a path inside one", path);
    return std::nullopt;
  }
  return m->library;
}

bool open_existing_catalog(const std::string& command, const std::string& dir, std::unique_ptr<Catalog>* out) {
  std::string path = dir + "/catalog.db";
  // Opened as a library first: not a library, or one others can write, is refused.
  std::unique_ptr<TapeLibrary> library;
  if (Status s = TapeLibrary::open(dir, /*create=*/false, &library); !s.is_ok()) {
    failure(command, s.message());
    return false;
  }
  if (access(path.c_str(), F_OK) != 0) {
    failure(command, fmt::format("{} has no catalog yet; vtapefs makes it when it mounts the library, "
                                 "'vtape index rebuild' makes it from the cartridges",
                                 dir));
    return false;
  }
  // A reader who may not write the catalog (or make the files SQLite keeps
  // beside it) reads it without changing it; ls, find and events only read.
  bool writable = access(path.c_str(), W_OK) == 0 && access(dir.c_str(), W_OK) == 0;
  Status s = writable ? Catalog::open(path, out) : Catalog::open_read_only(path, out);
  if (!s.is_ok()) {
    failure(command, s.message());
    return false;
  }
  return true;
}

namespace {

// 1970-01-01 to 9999-12-31T23:59:59Z: the years strftime writes in four digits.
constexpr int64_t kLastFourDigitSecond = 253402300799;

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
// civil_from_days), for days >= 0.
void civil_from_days(int64_t days, int* year, int* month, int* day) {
  days += 719468;
  int64_t era = days / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *year = static_cast<int>(yoe + era * 400 + (*month <= 2 ? 1 : 0));
}

}  // namespace

std::string iso_utc(int64_t epoch) {
  std::string out;
  append_iso_utc(&out, epoch);
  return out;
}

void append_iso_utc(std::string* out, int64_t epoch) {
  if (epoch >= 0 && epoch <= kLastFourDigitSecond) {
    // The common case without gmtime_r and strftime, which cost more than
    // the rest of a line of vtape find's output; the same text.
    int year = 0, month = 0, day = 0;
    civil_from_days(epoch / 86400, &year, &month, &day);
    int64_t second_of_day = epoch % 86400;
    char buf[21] = "0000-00-00T00:00:00Z";
    auto digits = [&](int at, int width, int64_t value) {
      for (int i = width - 1; i >= 0; --i, value /= 10) buf[at + i] = static_cast<char>('0' + value % 10);
    };
    digits(0, 4, year);
    digits(5, 2, month);
    digits(8, 2, day);
    digits(11, 2, second_of_day / 3600);
    digits(14, 2, second_of_day / 60 % 60);
    digits(17, 2, second_of_day % 60);
    out->append(buf, 20);
    return;
  }
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) {
    *out += std::to_string(epoch);
    return;
  }
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  out->append(buf, n);
}

std::optional<int64_t> parse_iso_time(std::string_view text) {
  size_t at = 0;
  // Reads exactly `digits` digits.
  auto number = [&](size_t digits, int* v) {
    if (at + digits > text.size()) return false;
    *v = 0;
    for (size_t i = 0; i < digits; ++i) {
      char c = text[at + i];
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
      *v = *v * 10 + (c - '0');
    }
    at += digits;
    return true;
  };
  auto expect = [&](char c) {
    if (at < text.size() && text[at] == c) {
      ++at;
      return true;
    }
    return false;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!number(4, &year) || !expect('-') || !number(2, &month) || !expect('-') || !number(2, &day)) {
    return std::nullopt;
  }
  int64_t offset = 0;  // seconds east of UTC
  if (at < text.size()) {
    if (!expect('T') && !expect('t') && !expect(' ')) return std::nullopt;
    if (!number(2, &hour) || !expect(':') || !number(2, &minute)) return std::nullopt;
    if (expect(':') && !number(2, &second)) return std::nullopt;
    if (expect('Z') || expect('z')) {
      // UTC
    } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
      int sign = text[at] == '-' ? -1 : 1;
      ++at;
      int oh = 0, om = 0;
      if (!number(2, &oh)) return std::nullopt;
      expect(':');
      if (!number(2, &om) || oh > 23 || om > 59) return std::nullopt;
      offset = sign * (oh * 3600 + om * 60);
    }
    if (at != text.size()) return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t t = timegm(&tm);
  // timegm normalises 2024-02-31 into March: such a date is not a date.
  if (tm.tm_mday != day || tm.tm_mon != month - 1) return std::nullopt;
  return static_cast<int64_t>(t) - offset;
}

std::string library_extension(Format format) {
  // As TapeLibrary names the images it creates (library/tape_library.cc).
  return std::string(format_extension(format));
}

Status catalog_cartridge(Catalog& catalog, const Cartridge& c, std::vector<DamagedRegion>* damage) {
  VTAPE_RETURN_IF_ERROR(sync_volume_to_catalog(catalog, c, /*force=*/true, damage));
  std::vector<VolumeRow> volumes;
  VTAPE_RETURN_IF_ERROR(catalog.volumes(&volumes));
  for (const auto& v : volumes) {
    if (v.volser != c.volser) continue;
    if (!v.last_written.empty() || v.tape_files == 0) return Status::ok();
    struct stat st {};
    if (stat(c.image_path.c_str(), &st) != 0) return Status::ok();
    // The volser is 1 to 6 letters or digits and the time is ours: nothing
    // here needs quoting.
    return catalog.exec(fmt::format("UPDATE volumes SET last_written = '{}' WHERE volser = '{}'",
                                    iso_utc(static_cast<int64_t>(st.st_mtime)), v.volser));
  }
  return Status::ok();
}

Status catalog_unseen_cartridges(Catalog& catalog, const TapeLibrary& library) {
  std::vector<VolumeRow> volumes;
  VTAPE_RETURN_IF_ERROR(catalog.volumes(&volumes));
  for (const auto& c : library.list()) {
    bool known = false;
    for (const auto& v : volumes) known = known || v.volser == c.volser;
    if (!known) VTAPE_RETURN_IF_ERROR(sync_volume_to_catalog(catalog, c, /*force=*/false));
  }
  return Status::ok();
}

void catalog_new_cartridge(const TapeLibrary& library, const Cartridge& cartridge) {
  std::unique_ptr<Catalog> catalog;
  Status s = open_library_catalog(library, &catalog);
  if (s.is_ok()) s = sync_volume_to_catalog(*catalog, cartridge, /*force=*/true);
  if (s.is_ok()) s = catalog_unseen_cartridges(*catalog, library);
  if (!s.is_ok()) {
    fmt::print(stderr, "vtape new: warning: the catalog was not updated ({}); vtapefs catalogs {} when it "
                       "mounts the library, or run 'vtape index rebuild'\n",
               s.message(), cartridge.volser);
  }
}

bool daemon_running(const TapeLibrary& library) {
  std::string payload;
  return control_request(library.socket_path(), "status text", &payload).code() != StatusCode::kNotFound;
}

}  // namespace vtape
