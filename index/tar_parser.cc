#include "index/tar_parser.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace vtape {
namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kMaxExtension = 1 << 20;  // long names and pax headers

// A numeric field: octal digits (space or NUL terminated), or GNU base-256
// when the first byte has its top bit set.
uint64_t numeric_field(std::span<const uint8_t> f) {
  if (!f.empty() && (f[0] & 0x80) != 0) {
    uint64_t v = f[0] & 0x7F;
    for (size_t i = 1; i < f.size(); ++i) v = (v << 8) | f[i];
    return v;
  }
  uint64_t v = 0;
  size_t i = 0;
  while (i < f.size() && (f[i] == ' ' || f[i] == 0)) ++i;
  for (; i < f.size() && f[i] >= '0' && f[i] <= '7'; ++i) v = v * 8 + (f[i] - '0');
  return v;
}

std::string string_field(std::span<const uint8_t> f) {
  size_t n = 0;
  while (n < f.size() && f[n] != 0) ++n;
  return std::string(reinterpret_cast<const char*>(f.data()), n);
}

bool all_zero(std::span<const uint8_t> b) {
  for (uint8_t c : b) {
    if (c != 0) return false;
  }
  return true;
}

uint64_t round_up(uint64_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

}  // namespace

bool is_tar_header(std::span<const uint8_t> h) {
  if (h.size() < kBlock || all_zero(h.first(kBlock))) return false;
  // The checksum field counts as eight spaces.  Some old tars summed signed
  // bytes; accept either sum.
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    uint8_t c = (i >= 148 && i < 156) ? ' ' : h[i];
    unsigned_sum += c;
    signed_sum += static_cast<int8_t>(c);
  }
  std::span<const uint8_t> field = h.subspan(148, 8);
  bool has_digit = false;
  for (uint8_t c : field) has_digit |= (c >= '0' && c <= '7');
  if (!has_digit) return false;
  uint64_t recorded = numeric_field(field);
  return recorded == unsigned_sum || static_cast<int64_t>(recorded) == signed_sum;
}

void TarParser::on_bytes(std::span<const uint8_t> bytes) {
  if (pending_ != Pending::kNone) {
    on_extension(bytes);
    return;
  }
  on_header(bytes);
}

void TarParser::on_extension(std::span<const uint8_t> data) {
  std::string text(reinterpret_cast<const char*>(data.data()), data.size());
  if (pending_ == Pending::kLongName) {
    long_name_ = text.substr(0, text.find('\0'));
  } else if (pending_ == Pending::kLongLink) {
    long_link_ = text.substr(0, text.find('\0'));
  } else {
    // pax records: "LENGTH KEY=VALUE\n"
    size_t pos = 0;
    while (pos < text.size()) {
      size_t space = text.find(' ', pos);
      if (space == std::string::npos) break;
      uint64_t len = std::strtoull(text.c_str() + pos, nullptr, 10);
      if (len == 0 || pos + len > text.size()) break;
      std::string record = text.substr(space + 1, pos + len - space - 2);
      auto eq = record.find('=');
      if (eq != std::string::npos) {
        std::string key = record.substr(0, eq), value = record.substr(eq + 1);
        if (key == "path") pax_path_ = value;
        if (key == "linkpath") pax_link_ = value;
        if (key == "size") pax_size_ = std::strtoull(value.c_str(), nullptr, 10);
        if (key == "mtime") pax_mtime_ = std::strtoll(value.c_str(), nullptr, 10);
        if (key == "uid") pax_uid_ = std::strtoll(value.c_str(), nullptr, 10);
        if (key == "gid") pax_gid_ = std::strtoll(value.c_str(), nullptr, 10);
      }
      pos += len;
    }
  }
  pending_ = Pending::kNone;
  skip(pending_padding_);
  expect(kBlock);
}

void TarParser::on_header(std::span<const uint8_t> h) {
  uint64_t at = chunk_offset();
  if (all_zero(h)) {
    stop();  // end of archive
    return;
  }
  if (!is_tar_header(h)) {
    fail(fmt::format("tar header expected at byte {} of the tape file, checksum does not match", at));
    return;
  }
  char type = static_cast<char>(h[156]);
  uint64_t size = numeric_field(h.subspan(124, 12));
  if (type == 'L' || type == 'K' || type == 'x') {
    if (size > kMaxExtension) {
      fail(fmt::format("tar extended header at byte {} claims {} bytes", at, size));
      return;
    }
    pending_ = type == 'L' ? Pending::kLongName : type == 'K' ? Pending::kLongLink : Pending::kPax;
    pending_padding_ = round_up(size) - size;
    if (size == 0) {
      on_extension({});
    } else {
      expect(static_cast<size_t>(size));
    }
    return;
  }
  bool ustar = std::memcmp(h.data() + 257, "ustar", 5) == 0;
  std::string name = string_field(h.subspan(0, 100));
  if (ustar && std::memcmp(h.data() + 257, "ustar\0", 6) == 0) {
    std::string prefix = string_field(h.subspan(345, 155));
    if (!prefix.empty()) name = prefix + "/" + name;
  }
  if (!pax_path_.empty()) name = pax_path_;
  if (!long_name_.empty()) name = long_name_;
  TapeMember m;
  m.path = std::move(name);
  m.size = pax_size_.value_or(size);
  m.mode = static_cast<uint32_t>(numeric_field(h.subspan(100, 8)) & 07777);
  m.mtime = pax_mtime_.value_or(static_cast<int64_t>(numeric_field(h.subspan(136, 12))));
  m.uid = pax_uid_.value_or(static_cast<int64_t>(numeric_field(h.subspan(108, 8)) & 0xffffffff));
  m.gid = pax_gid_.value_or(static_cast<int64_t>(numeric_field(h.subspan(116, 8)) & 0xffffffff));
  m.data_offset = at + kBlock;
  m.link_target = !long_link_.empty() ? long_link_ : !pax_link_.empty() ? pax_link_ : string_field(h.subspan(157, 100));
  switch (type) {
    case '0': case '\0': case '7': case 'M': m.kind = "file"; break;
    case '1': m.kind = "hardlink"; break;
    case '2': m.kind = "symlink"; break;
    case '5': m.kind = "directory"; break;
    case 'g': case 'V': m.kind = ""; break;  // global pax header, volume label: not members
    default: m.kind = "other"; break;
  }
  // v7 tar marks directories only by a trailing slash.
  if (m.kind == "file" && !m.path.empty() && m.path.back() == '/') m.kind = "directory";
  uint64_t data_size = m.size;
  if (!m.kind.empty()) members_.push_back(std::move(m));
  long_name_.clear();
  long_link_.clear();
  pax_path_.clear();
  pax_link_.clear();
  pax_size_.reset();
  pax_mtime_.reset();
  pax_uid_.reset();
  pax_gid_.reset();
  bool has_data = type != '1' && type != '2' && type != '3' && type != '4' && type != '5' && type != '6';
  skip(has_data ? round_up(data_size) : 0);
  expect(kBlock);
}

void TarParser::finish() {
  if (!done() && (cut_short() || found_members())) {
    fail(fmt::format("tar archive ends without its end-of-archive blocks at byte {} of the tape file",
                     stream_offset()));
  }
}

}  // namespace vtape
