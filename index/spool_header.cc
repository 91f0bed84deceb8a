#include "index/spool_header.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

#include <fmt/format.h>

namespace vtape {
namespace {

class HeaderWriter {
 public:
  HeaderWriter() : bytes_(kSpoolHeaderLength, 0) {}
  void text(size_t at, size_t len, const std::string& v) {
    std::memset(bytes_.data() + at, ' ', len);
    std::memcpy(bytes_.data() + at, v.data(), std::min(len, v.size()));
  }
  void number(size_t at, size_t len, uint64_t v) {
    for (size_t i = 0; i < len; ++i) bytes_[at + len - 1 - i] = static_cast<uint8_t>(v >> (8 * i));
  }
  void byte(size_t at, uint8_t v) { bytes_[at] = v; }
  std::vector<uint8_t> take() { return std::move(bytes_); }

 private:
  std::vector<uint8_t> bytes_;
};

std::string quoted_bytes(std::span<const uint8_t> b) {
  std::string out = "'";
  for (uint8_t c : b) out += (c >= 0x20 && c < 0x7F) ? std::string(1, static_cast<char>(c)) : fmt::format("\\x{:02X}", c);
  return out + "'";
}

class HeaderReader {
 public:
  explicit HeaderReader(std::span<const uint8_t> r) : r_(r) {}
  uint64_t number(size_t at, size_t len) const {
    uint64_t v = 0;
    for (size_t i = 0; i < len; ++i) v = (v << 8) | r_[at + i];
    return v;
  }
  // Left-aligned ASCII padded with blanks; no blank inside, no control
  // characters.
  Status text(size_t at, size_t len, const char* what, bool may_be_empty, std::string* out) const {
    auto field = r_.subspan(at, len);
    size_t end = len;
    while (end > 0 && field[end - 1] == ' ') --end;
    for (size_t i = 0; i < end; ++i) {
      if (field[i] <= 0x20 || field[i] >= 0x7F) {
        return Status::corrupt(at + i, fmt::format("{}: printable ASCII, left-aligned, padded with blanks", what),
                               quoted_bytes(field));
      }
    }
    if (end == 0 && !may_be_empty) return Status::corrupt(at, fmt::format("{}: not blank", what), quoted_bytes(field));
    out->assign(reinterpret_cast<const char*>(field.data()), end);
    return Status::ok();
  }
  // A user id or code: text with the code rules.
  Status code(size_t at, size_t len, const char* what, std::string* out) const {
    VTAPE_RETURN_IF_ERROR(text(at, len, what, false, out));
    std::string normal;
    if (!normalize_spool_code(what, *out, &normal).is_ok() || normal != *out) {
      return Status::corrupt(at, fmt::format("{}: 1 to 8 characters A-Z, 0-9, @, # or $", what),
                             quoted_bytes(r_.subspan(at, len)));
    }
    return Status::ok();
  }

 private:
  std::span<const uint8_t> r_;
};

// "prt" -> "PRT": how device and queue names are written in the header.
std::string upper_name(const char* name) {
  std::string s = name;
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

bool looks_like_spool_header(std::span<const uint8_t> record) {
  return record.size() >= 8 && std::memcmp(record.data(), kSpoolHeaderMagic, 8) == 0;
}

std::vector<uint8_t> encode_spool_header(const SpoolMetadata& m) {
  HeaderWriter w;
  w.text(0, 8, kSpoolHeaderMagic);
  w.number(8, 2, kSpoolHeaderVersion);
  w.number(10, 2, kSpoolHeaderLength);
  w.text(12, 4, upper_name(spool_device_name(m.device)));
  w.text(16, 4, upper_name(spool_queue_name(m.queue)));
  w.number(20, 4, m.spoolid);
  for (size_t i = 0; i < 16; ++i) w.byte(24 + i, m.unique_id[i]);
  w.number(40, 8, static_cast<uint64_t>(m.opened_us));
  w.number(48, 8, static_cast<uint64_t>(m.closed_us));
  w.text(56, 8, m.owner);
  w.text(64, 8, m.origin);
  w.text(72, 8, m.origin_system);
  w.text(80, 32, m.filename);
  w.text(112, 16, m.filetype);
  w.byte(128, static_cast<uint8_t>(m.spool_class));
  w.byte(129, m.copies);
  w.byte(130, static_cast<uint8_t>((m.user_hold ? 1 : 0) | (m.system_hold ? 2 : 0)));
  w.byte(131, m.keep ? 1 : 0);
  w.text(132, 8, m.form);
  w.text(140, 8, m.dest);
  w.text(148, 8, m.dist);
  w.number(156, 4, m.lrecl);
  w.number(160, 8, m.records);
  w.number(168, 8, m.data_bytes);
  w.number(176, 8, m.content_bytes);
  w.byte(184, static_cast<uint8_t>((m.unterminated ? 1 : 0) | (m.carriage_control ? 2 : 0) | (m.blocked ? 4 : 0)));
  return w.take();
}

Status decode_spool_header(std::span<const uint8_t> record, SpoolMetadata* out) {
  if (!looks_like_spool_header(record)) {
    return Status::corrupt(0, "the spool header magic 'VTSPOOLH'", quoted_bytes(record.first(std::min<size_t>(8, record.size()))));
  }
  if (record.size() < 12) {
    return Status::corrupt(record.size(), fmt::format("a spool header of {} bytes", kSpoolHeaderLength),
                           fmt::format("a record of {} bytes", record.size()));
  }
  HeaderReader r(record);
  if (uint64_t v = r.number(8, 2); v != kSpoolHeaderVersion) {
    return Status::corrupt(8, fmt::format("spool header version {}", kSpoolHeaderVersion), std::to_string(v));
  }
  if (uint64_t len = r.number(10, 2); len != kSpoolHeaderLength) {
    return Status::corrupt(10, fmt::format("header length {}", kSpoolHeaderLength), std::to_string(len));
  }
  if (record.size() != kSpoolHeaderLength) {
    return Status::corrupt(record.size() < kSpoolHeaderLength ? record.size() : kSpoolHeaderLength,
                           fmt::format("a header record of exactly {} bytes", kSpoolHeaderLength),
                           fmt::format("a record of {} bytes", record.size()));
  }
  SpoolMetadata m;
  std::string text;
  VTAPE_RETURN_IF_ERROR(r.text(12, 4, "device", false, &text));
  auto device = parse_spool_device(text);
  if (!device || text != upper_name(spool_device_name(*device))) {
    return Status::corrupt(12, "device 'PRT ' or 'PUN '", quoted_bytes(record.subspan(12, 4)));
  }
  m.device = *device;
  VTAPE_RETURN_IF_ERROR(r.text(16, 4, "queue", false, &text));
  auto queue = parse_spool_queue(text);
  if (!queue || text != upper_name(spool_queue_name(*queue))) {
    return Status::corrupt(16, "queue 'PRT ', 'PUN ' or 'RDR '", quoted_bytes(record.subspan(16, 4)));
  }
  m.queue = *queue;
  m.spoolid = static_cast<uint32_t>(r.number(20, 4));
  if (m.spoolid < 1 || m.spoolid > kMaxSpoolid) {
    return Status::corrupt(20, fmt::format("a spoolid from 1 to {}", kMaxSpoolid), std::to_string(m.spoolid));
  }
  std::memcpy(m.unique_id.data(), record.data() + 24, 16);
  m.opened_us = static_cast<int64_t>(r.number(40, 8));
  m.closed_us = static_cast<int64_t>(r.number(48, 8));
  VTAPE_RETURN_IF_ERROR(r.code(56, 8, "owner", &m.owner));
  VTAPE_RETURN_IF_ERROR(r.code(64, 8, "origin", &m.origin));
  VTAPE_RETURN_IF_ERROR(r.code(72, 8, "origin system", &m.origin_system));
  VTAPE_RETURN_IF_ERROR(r.text(80, 32, "filename", false, &m.filename));
  VTAPE_RETURN_IF_ERROR(r.text(112, 16, "filetype", true, &m.filetype));
  std::string n, t;
  if (!split_spool_file_name(m.name_type(), &n, &t).is_ok() || n != m.filename || t != m.filetype) {
    return Status::corrupt(80, "a filename and filetype without '/', '..' or a dot in the filetype",
                           quoted_bytes(record.subspan(80, 48)));
  }
  char cls = static_cast<char>(record[128]);
  if (!normalize_spool_class(std::string(1, cls), &m.spool_class).is_ok() || m.spool_class != cls) {
    return Status::corrupt(128, "a class A-Z or 0-9", quoted_bytes(record.subspan(128, 1)));
  }
  m.copies = record[129];
  if (m.copies == 0) return Status::corrupt(129, "copies from 1 to 255", "0");
  if (record[130] > 3) return Status::corrupt(130, "hold bits 0 to 3", std::to_string(record[130]));
  m.user_hold = (record[130] & 1) != 0;
  m.system_hold = (record[130] & 2) != 0;
  if (record[131] > 1) return Status::corrupt(131, "keep 0 or 1", std::to_string(record[131]));
  m.keep = record[131] == 1;
  VTAPE_RETURN_IF_ERROR(r.code(132, 8, "form", &m.form));
  VTAPE_RETURN_IF_ERROR(r.code(140, 8, "destination", &m.dest));
  VTAPE_RETURN_IF_ERROR(r.code(148, 8, "distribution code", &m.dist));
  m.lrecl = static_cast<uint32_t>(r.number(156, 4));
  m.records = r.number(160, 8);
  m.data_bytes = r.number(168, 8);
  m.content_bytes = r.number(176, 8);
  if (record[184] > 7) return Status::corrupt(184, "flag bits 0 to 2", std::to_string(record[184]));
  m.unterminated = (record[184] & 1) != 0;
  m.carriage_control = (record[184] & 2) != 0;
  m.blocked = (record[184] & 4) != 0;
  for (size_t i = 185; i < kSpoolHeaderLength; ++i) {
    if (record[i] != 0) return Status::corrupt(i, "reserved bytes 185 to 255 zero", fmt::format("0x{:02X}", record[i]));
  }
  if (m.device == SpoolDevice::kPunch && m.records > 0 && m.lrecl != kCardLength) {
    return Status::corrupt(156, "logical record length 80 for a punch file", std::to_string(m.lrecl));
  }
  *out = std::move(m);
  return Status::ok();
}

}  // namespace vtape
