#include "index/spool_metadata.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <ctime>
#include <random>

#include <fmt/format.h>

#include "tapeformat/base/time_format.h"

namespace vtape {
namespace {

bool is_code_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' || c == '#' || c == '$';
}

std::string upper(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

Status parse_number(const std::string& what, const std::string& text, uint64_t lo, uint64_t hi, uint64_t* out) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
    return Status::invalid_argument(fmt::format("{} takes a number from {} to {}, not '{}'", what, lo, hi, text));
  }
  uint64_t v = std::stoull(text);
  if (v < lo || v > hi) {
    return Status::invalid_argument(fmt::format("{} takes a number from {} to {}, not '{}'", what, lo, hi, text));
  }
  *out = v;
  return Status::ok();
}

// The name with bytes that would garble a message shown as \xNN.
std::string printable(const std::string& text) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u >= 0x7F) ? fmt::format("\\x{:02X}", u) : std::string(1, c);
  }
  return out;
}

}  // namespace

const char* spool_queue_name(SpoolQueue q) {
  switch (q) {
    case SpoolQueue::kPrinter: return "prt";
    case SpoolQueue::kPunch: return "pun";
    case SpoolQueue::kReader: return "rdr";
  }
  return "prt";
}

std::optional<SpoolQueue> parse_spool_queue(const std::string& text) {
  std::string t = upper(text);
  if (t == "PRT") return SpoolQueue::kPrinter;
  if (t == "PUN") return SpoolQueue::kPunch;
  if (t == "RDR") return SpoolQueue::kReader;
  return std::nullopt;
}

const char* spool_device_name(SpoolDevice d) { return d == SpoolDevice::kPrinter ? "prt" : "pun"; }

std::optional<SpoolDevice> parse_spool_device(const std::string& text) {
  std::string t = upper(text);
  if (t == "PRT") return SpoolDevice::kPrinter;
  if (t == "PUN") return SpoolDevice::kPunch;
  return std::nullopt;
}

SpoolQueue queue_of(SpoolDevice d) { return d == SpoolDevice::kPrinter ? SpoolQueue::kPrinter : SpoolQueue::kPunch; }

std::string SpoolMetadata::name_type() const { return filetype.empty() ? filename : filename + "." + filetype; }

std::string SpoolMetadata::hold_text() const {
  if (user_hold && system_hold) return "both";
  if (user_hold) return "user";
  if (system_hold) return "system";
  return "none";
}

std::string SpoolMetadata::unique_id_hex() const {
  std::string out;
  for (uint8_t b : unique_id) out += fmt::format("{:02x}", b);
  return out;
}

Status normalize_spool_user(const std::string& text, std::string* out) {
  return normalize_spool_code("a user id", text, out);
}

Status normalize_spool_code(const std::string& what, const std::string& text, std::string* out) {
  std::string v = upper(text);
  bool ok = !v.empty() && v.size() <= 8;
  for (char c : v) ok = ok && is_code_char(c);
  if (!ok) {
    return Status::invalid_argument(
        fmt::format("'{}' is not {} (1 to 8 characters A-Z, 0-9, @, # or $)", text, what));
  }
  *out = v;
  return Status::ok();
}

Status normalize_spool_class(const std::string& text, char* out) {
  std::string v = upper(text);
  if (v.size() != 1 || !((v[0] >= 'A' && v[0] <= 'Z') || (v[0] >= '0' && v[0] <= '9'))) {
    return Status::invalid_argument(fmt::format("'{}' is not a spool class (one of A-Z or 0-9)", text));
  }
  *out = v[0];
  return Status::ok();
}

Status split_spool_file_name(const std::string& text, std::string* name, std::string* type) {
  if (text.empty()) return Status::invalid_argument("an empty spool file name");
  if (text.find('/') != std::string::npos || text.find("..") != std::string::npos) {
    return Status::invalid_argument(fmt::format("spool file name '{}' holds '/' or '..'", text));
  }
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) {
      return Status::invalid_argument(
          fmt::format("spool file name '{}' holds a blank, a control character or a byte that is not ASCII "
                      "(byte 0x{:02X})",
                      printable(text), u));
    }
  }
  size_t dot = text.rfind('.');
  std::string n = dot == std::string::npos ? text : text.substr(0, dot);
  std::string t = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (n.empty()) return Status::invalid_argument(fmt::format("spool file name '{}' has no filename before the dot", text));
  if (dot != std::string::npos && t.empty()) {
    return Status::invalid_argument(fmt::format("spool file name '{}' ends in a dot", text));
  }
  if (n.size() > kMaxSpoolName || t.size() > kMaxSpoolType) {
    return Status::invalid_argument(fmt::format("spool file name '{}' is too long (filename up to {}, filetype up to "
                                                "{} characters)",
                                                text, kMaxSpoolName, kMaxSpoolType));
  }
  *name = n;
  *type = t;
  return Status::ok();
}

std::optional<std::array<uint8_t, 16>> parse_unique_id(const std::string& hex) {
  if (hex.size() != 32 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) return std::nullopt;
  std::array<uint8_t, 16> id{};
  for (size_t i = 0; i < 16; ++i) id[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  return id;
}

std::array<uint8_t, 16> new_unique_id() {
  std::array<uint8_t, 16> id{};
  // getrandom would do as well; /dev/urandom keeps this portable.
  int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  bool filled = fd >= 0 && ::read(fd, id.data(), id.size()) == static_cast<ssize_t>(id.size());
  if (fd >= 0) ::close(fd);
  if (!filled) {
    std::random_device rd;
    for (auto& b : id) b = static_cast<uint8_t>(rd());
  }
  return id;
}

int64_t now_microseconds() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string spool_time_text(int64_t us) {
  return fmt::format("{}.{:06}Z", utc_iso8601_no_zone(static_cast<std::time_t>(us / 1000000)), us % 1000000);
}

const std::vector<std::string>& spool_settable_attributes() {
  static const std::vector<std::string> names = {"class", "form", "dest", "dist", "copies", "hold", "keep"};
  return names;
}

const std::vector<std::string>& spool_attributes() {
  static const std::vector<std::string> names = {
      "class",   "form",    "dest",     "dist",    "copies",  "hold",   "keep",          "spoolid",
      "uniqueid", "owner",  "origin",   "system",  "name",    "type",   "device",        "queue",
      "records", "lrecl",   "opened",   "closed"};
  return names;
}

std::optional<std::string> get_spool_attribute(const SpoolMetadata& m, const std::string& name) {
  if (name == "class") return std::string(1, m.spool_class);
  if (name == "form") return m.form;
  if (name == "dest") return m.dest;
  if (name == "dist") return m.dist;
  if (name == "copies") return std::to_string(m.copies);
  if (name == "hold") return m.hold_text();
  if (name == "keep") return std::string(m.keep ? "yes" : "no");
  if (name == "spoolid") return std::to_string(m.spoolid);
  if (name == "uniqueid") return m.unique_id_hex();
  if (name == "owner") return m.owner;
  if (name == "origin") return m.origin;
  if (name == "system") return m.origin_system;
  if (name == "name") return m.filename;
  if (name == "type") return m.filetype;
  if (name == "device") return std::string(spool_device_name(m.device));
  if (name == "queue") return std::string(spool_queue_name(m.queue));
  if (name == "records") return std::to_string(m.records);
  if (name == "lrecl") return std::to_string(m.lrecl);
  if (name == "opened") return spool_time_text(m.opened_us);
  if (name == "closed") return m.closed_us == 0 ? std::string() : spool_time_text(m.closed_us);
  return std::nullopt;
}

Status set_spool_attribute(SpoolMetadata& m, const std::string& name, const std::string& value) {
  if (name == "class") return normalize_spool_class(value, &m.spool_class);
  if (name == "form") return normalize_spool_code("a form", value, &m.form);
  if (name == "dest") return normalize_spool_code("a destination", value, &m.dest);
  if (name == "dist") return normalize_spool_code("a distribution code", value, &m.dist);
  if (name == "copies") {
    uint64_t n = 0;
    VTAPE_RETURN_IF_ERROR(parse_number("copies", value, 1, 255, &n));
    m.copies = static_cast<uint8_t>(n);
    return Status::ok();
  }
  if (name == "hold") {
    std::string v = upper(value);
    if (v != "NONE" && v != "USER" && v != "SYSTEM" && v != "BOTH") {
      return Status::invalid_argument(fmt::format("hold takes none, user, system or both, not '{}'", value));
    }
    m.user_hold = v == "USER" || v == "BOTH";
    m.system_hold = v == "SYSTEM" || v == "BOTH";
    return Status::ok();
  }
  if (name == "keep") {
    std::string v = upper(value);
    if (v == "YES" || v == "1") {
      m.keep = true;
    } else if (v == "NO" || v == "0") {
      m.keep = false;
    } else {
      return Status::invalid_argument(fmt::format("keep takes yes or no, not '{}'", value));
    }
    return Status::ok();
  }
  if (get_spool_attribute(m, name)) return Status::not_supported(fmt::format("the spool attribute {} is read only", name));
  return Status::not_found(fmt::format("no spool attribute '{}'", name));
}

}  // namespace vtape
