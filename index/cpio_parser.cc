#include "index/cpio_parser.h"

#include <cstring>
#include <string>

#include <fmt/format.h>

namespace vtape {
namespace {

constexpr size_t kNewcHeader = 110;
constexpr size_t kOdcHeader = 76;
constexpr size_t kBinaryHeader = 26;
constexpr uint64_t kMaxName = 65536;

bool parse_number(std::span<const uint8_t> f, int base, uint64_t* out) {
  uint64_t v = 0;
  for (uint8_t c : f) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (base == 16 && c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (base == 16 && c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0 || d >= base) return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

uint64_t pad_to(uint64_t n, uint64_t align) { return (align - n % align) % align; }

}  // namespace

bool is_cpio_start(std::span<const uint8_t> r) {
  if (r.size() >= 6 && (std::memcmp(r.data(), "070701", 6) == 0 || std::memcmp(r.data(), "070702", 6) == 0 ||
                        std::memcmp(r.data(), "070707", 6) == 0)) {
    return true;
  }
  return r.size() >= 2 && ((r[0] == 0xC7 && r[1] == 0x71) || (r[0] == 0x71 && r[1] == 0xC7));
}

void CpioParser::on_bytes(std::span<const uint8_t> b) {
  switch (phase_) {
    case Phase::kMagic: {
      header_at_ = chunk_offset();
      if (std::memcmp(b.data(), "070701", 6) == 0 || std::memcmp(b.data(), "070702", 6) == 0) {
        flavor_ = Flavor::kNewc;
        expect(kNewcHeader - 6);
      } else if (std::memcmp(b.data(), "070707", 6) == 0) {
        flavor_ = Flavor::kOdc;
        expect(kOdcHeader - 6);
      } else if (b[0] == 0xC7 && b[1] == 0x71) {
        flavor_ = Flavor::kBinaryLE;
        expect(kBinaryHeader - 6);
      } else if (b[0] == 0x71 && b[1] == 0xC7) {
        flavor_ = Flavor::kBinaryBE;
        expect(kBinaryHeader - 6);
      } else {
        fail(fmt::format("cpio header expected at byte {} of the tape file", header_at_));
        return;
      }
      // Binary headers: the 6 bytes read hold more than the magic.
      if (flavor_ == Flavor::kBinaryLE || flavor_ == Flavor::kBinaryBE) {
        current_ = TapeMember{};
        magic_tail_.assign(b.begin() + 2, b.end());
      }
      phase_ = Phase::kHeader;
      return;
    }
    case Phase::kHeader: on_header(b); return;
    case Phase::kName: on_name(b); return;
  }
}

void CpioParser::on_header(std::span<const uint8_t> rest) {
  current_ = TapeMember{};
  uint64_t mode = 0, uid = 0, gid = 0, mtime = 0, size = 0, namesize = 0;
  bool ok = true;
  if (flavor_ == Flavor::kNewc) {
    // 13 fields of 8 hex digits after the magic.
    auto field = [&](int i) { return rest.subspan(static_cast<size_t>(i) * 8, 8); };
    ok = parse_number(field(1), 16, &mode) && parse_number(field(2), 16, &uid) && parse_number(field(3), 16, &gid) &&
         parse_number(field(5), 16, &mtime) &&
         parse_number(field(6), 16, &size) && parse_number(field(11), 16, &namesize);
  } else if (flavor_ == Flavor::kOdc) {
    // dev ino mode uid gid nlink rdev (6 each), mtime (11), namesize (6), filesize (11)
    ok = parse_number(rest.subspan(12, 6), 8, &mode) && parse_number(rest.subspan(18, 6), 8, &uid) &&
         parse_number(rest.subspan(24, 6), 8, &gid) && parse_number(rest.subspan(42, 11), 8, &mtime) &&
         parse_number(rest.subspan(53, 6), 8, &namesize) && parse_number(rest.subspan(59, 11), 8, &size);
  } else {
    std::vector<uint8_t> h(magic_tail_);
    h.insert(h.end(), rest.begin(), rest.end());  // 24 bytes after the magic word
    auto u16 = [&](size_t i) {
      return flavor_ == Flavor::kBinaryLE ? uint64_t(h[2 * i] | h[2 * i + 1] << 8)
                                          : uint64_t(h[2 * i] << 8 | h[2 * i + 1]);
    };
    // words after magic: dev ino mode uid gid nlink rdev mtime[2] namesize filesize[2]
    mode = u16(2);
    uid = u16(3);
    gid = u16(4);
    mtime = u16(7) << 16 | u16(8);
    namesize = u16(9);
    size = u16(10) << 16 | u16(11);
  }
  if (!ok || namesize == 0 || namesize > kMaxName) {
    fail(fmt::format("damaged cpio header at byte {} of the tape file", header_at_));
    return;
  }
  current_.mode = static_cast<uint32_t>(mode & 07777);
  current_.mtime = static_cast<int64_t>(mtime);
  current_.uid = static_cast<int64_t>(uid & 0xffffffff);
  current_.gid = static_cast<int64_t>(gid & 0xffffffff);
  current_.size = size;
  uint32_t type = static_cast<uint32_t>(mode) & 0170000;
  current_.kind = type == 0100000 ? "file" : type == 0040000 ? "directory" : type == 0120000 ? "symlink" : "other";
  name_size_ = namesize;
  phase_ = Phase::kName;
  expect(static_cast<size_t>(namesize));
}

void CpioParser::on_name(std::span<const uint8_t> name) {
  size_t n = name.size();
  while (n > 0 && name[n - 1] == 0) --n;
  current_.path.assign(reinterpret_cast<const char*>(name.data()), n);
  uint64_t header_size = flavor_ == Flavor::kNewc ? kNewcHeader : flavor_ == Flavor::kOdc ? kOdcHeader : kBinaryHeader;
  uint64_t name_pad = flavor_ == Flavor::kNewc ? pad_to(header_size + name_size_, 4)
                      : flavor_ == Flavor::kOdc ? 0
                                                : pad_to(header_size + name_size_, 2);
  uint64_t data_pad = flavor_ == Flavor::kNewc ? pad_to(current_.size, 4)
                      : flavor_ == Flavor::kOdc ? 0
                                                : pad_to(current_.size, 2);
  current_.data_offset = header_at_ + header_size + name_size_ + name_pad;
  if (current_.path == "TRAILER!!!") {
    trailer_seen_ = true;
    stop();
    return;
  }
  uint64_t data = current_.size;
  members_.push_back(current_);
  phase_ = Phase::kMagic;
  skip(name_pad + data + data_pad);
  expect(6);
}

void CpioParser::finish() {
  if (!trailer_seen_ && !done()) {
    fail(fmt::format("cpio archive ends without its TRAILER!!! entry at byte {} of the tape file", stream_offset()));
  }
}

}  // namespace vtape
