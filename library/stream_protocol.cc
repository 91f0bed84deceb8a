#include "library/stream_protocol.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace vtape {
namespace {

constexpr char kMagic[8] = {'V', 'T', 'S', 'T', 'R', 'E', 'A', 'M'};
constexpr uint32_t kMaxText = 4096;         // an error message
constexpr uint32_t kMaxDigests = 1u << 16;  // tape files in one END or SUMMARY
constexpr uint32_t kMaxTotals = 8 * 3 + 4 + kMaxDigests * (1 + 64);
constexpr uint32_t kMaxHello = 8 + 2 + 16 + 1 + 1 + 4 + 1 + 255 + 1 + 255 + 8 + 1 + 255 + kMaxTotals;

class Writer {
 public:
  explicit Writer(FrameType type) { out_.push_back(static_cast<uint8_t>(type)), out_.resize(kStreamFrameHeader); }
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { be(v, 2); }
  void u32(uint32_t v) { be(v, 4); }
  void u64(uint64_t v) { be(v, 8); }
  void bytes(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  // A text of at most 255 bytes (longer is cut: only names and digests).
  void text8(const std::string& s) {
    size_t n = std::min<size_t>(s.size(), 255);
    u8(static_cast<uint8_t>(n));
    bytes(s.data(), n);
  }
  std::vector<uint8_t> done() {
    uint32_t n = static_cast<uint32_t>(out_.size() - kStreamFrameHeader);
    for (int i = 0; i < 4; ++i) out_[1 + i] = static_cast<uint8_t>(n >> (24 - 8 * i));
    return std::move(out_);
  }

 private:
  void be(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> out_;
};

class Reader {
 public:
  Reader(std::span<const uint8_t> p, const char* frame) : p_(p), frame_(frame) {}
  bool u8(uint8_t* v, const char* what) { return be(v, 1, what); }
  bool u16(uint16_t* v, const char* what) { return be(v, 2, what); }
  bool u32(uint32_t* v, const char* what) { return be(v, 4, what); }
  bool u64(uint64_t* v, const char* what) { return be(v, 8, what); }
  bool bytes(void* out, size_t n, const char* what) {
    if (!need(n, what)) return false;
    std::memcpy(out, p_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool text8(std::string* s, const char* what) {
    uint8_t n = 0;
    if (!u8(&n, what) || !need(n, what)) return false;
    s->assign(reinterpret_cast<const char*>(p_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  Status finish() {
    if (!error_.is_ok()) return error_;
    if (pos_ != p_.size()) {
      return Status::corrupt(pos_, fmt::format("the end of the {} frame", frame_),
                             fmt::format("{} more bytes", p_.size() - pos_));
    }
    return Status::ok();
  }
  Status fail(const std::string& expected, const std::string& found) {
    if (error_.is_ok()) error_ = Status::corrupt(pos_, fmt::format("{} in the {} frame", expected, frame_), found);
    return error_;
  }
  bool failed() const { return !error_.is_ok(); }
  size_t pos() const { return pos_; }

 private:
  template <typename T>
  bool be(T* v, size_t n, const char* what) {
    if (!need(n, what)) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i) x = (x << 8) | p_[pos_ + i];
    *v = static_cast<T>(x);
    pos_ += n;
    return true;
  }
  bool need(size_t n, const char* what) {
    if (!error_.is_ok()) return false;
    if (p_.size() - pos_ < n) {
      fail(fmt::format("{} ({} bytes)", what, n), fmt::format("only {} bytes left", p_.size() - pos_));
      return false;
    }
    return true;
  }
  std::span<const uint8_t> p_;
  const char* frame_;
  size_t pos_ = 0;
  Status error_;
};

void put_totals(Writer& w, const StreamTotals& t) {
  w.u64(t.records);
  w.u64(t.filemarks);
  w.u64(t.bytes);
  w.u32(static_cast<uint32_t>(std::min<size_t>(t.digests.size(), kMaxDigests)));
  for (size_t i = 0; i < t.digests.size() && i < kMaxDigests; ++i) w.text8(t.digests[i]);
}

}  // namespace

std::optional<uint32_t> max_payload(uint8_t type) {
  switch (static_cast<FrameType>(type)) {
    case FrameType::kHello: return kMaxHello;
    case FrameType::kAccept: return 8 + 1 + 255;
    case FrameType::kRecord: return kStreamMaxRecord;
    case FrameType::kFilemark: return 0;
    case FrameType::kAck: return 8;
    case FrameType::kEnd:
    case FrameType::kSummary: return kMaxTotals;
    case FrameType::kError: return kMaxText;
  }
  return std::nullopt;
}

std::string stream_id_hex(const StreamId& id) {
  std::string s;
  for (uint8_t b : id) s += fmt::format("{:02x}", b);
  return s;
}

std::vector<uint8_t> encode_hello(const StreamHello& h) {
  Writer w(FrameType::kHello);
  w.bytes(kMagic, sizeof kMagic);
  w.u16(h.version);
  w.bytes(h.id.data(), h.id.size());
  w.u8(h.overwrite);
  w.u8(h.resume ? 1 : 0);
  w.u32(h.block_size);
  w.text8(h.volser);
  w.text8(h.format);
  if (h.version >= kStreamPrefixVersion) {
    w.u64(h.prefix_objects);
    w.text8(h.prefix_digest);
    put_totals(w, h.prefix);
  }
  return w.done();
}

std::vector<uint8_t> encode_accept(const StreamAccept& a) {
  Writer w(FrameType::kAccept);
  w.u64(a.resume_from);
  if (!a.digest.empty()) w.text8(a.digest);
  return w.done();
}

std::vector<uint8_t> encode_record_header(uint32_t length) {
  std::vector<uint8_t> h(kStreamFrameHeader);
  h[0] = static_cast<uint8_t>(FrameType::kRecord);
  for (int i = 0; i < 4; ++i) h[1 + i] = static_cast<uint8_t>(length >> (24 - 8 * i));
  return h;
}

std::vector<uint8_t> encode_filemark() { return Writer(FrameType::kFilemark).done(); }

std::vector<uint8_t> encode_ack(uint64_t durable_objects) {
  Writer w(FrameType::kAck);
  w.u64(durable_objects);
  return w.done();
}

std::vector<uint8_t> encode_end(const StreamTotals& t) {
  Writer w(FrameType::kEnd);
  put_totals(w, t);
  return w.done();
}

std::vector<uint8_t> encode_summary(const StreamTotals& t) {
  Writer w(FrameType::kSummary);
  put_totals(w, t);
  return w.done();
}

std::vector<uint8_t> encode_error(const std::string& message, bool retry) {
  Writer w(FrameType::kError);
  w.u8(retry ? 1 : 0);
  w.bytes(message.data(), std::min<size_t>(message.size(), kMaxText - 1));
  return w.done();
}

Status decode_hello(std::span<const uint8_t> payload, StreamHello* out) {
  Reader r(payload, "HELLO");
  char magic[sizeof kMagic];
  if (r.bytes(magic, sizeof magic, "the magic VTSTREAM") && std::memcmp(magic, kMagic, sizeof kMagic) != 0) {
    return Status::corrupt(0, "the magic VTSTREAM at the start of the HELLO frame",
                           "other bytes (not a vtape send stream)");
  }
  if (r.u16(&out->version, "the version") &&
      (out->version < kStreamOldestVersion || out->version > kStreamPrefixVersion)) {
    return Status::corrupt(8, fmt::format("stream protocol version {} to {}", kStreamOldestVersion,
                                          kStreamPrefixVersion),
                           fmt::format("version {}", out->version));
  }
  uint8_t resume = 0;
  r.bytes(out->id.data(), out->id.size(), "the stream id");
  uint8_t most = out->version >= kStreamPrefixVersion ? 3 : 2;
  if (r.u8(&out->overwrite, "the overwrite policy") && out->overwrite > most) {
    r.fail(most == 3 ? "an overwrite policy 0, 1, 2 or 3" : "an overwrite policy 0, 1 or 2",
           fmt::format("{}", out->overwrite));
  }
  if (r.u8(&resume, "the resume flag") && resume > 1) r.fail("a resume flag 0 or 1", fmt::format("{}", resume));
  out->resume = resume == 1;
  r.u32(&out->block_size, "the block size");
  r.text8(&out->volser, "the volume serial");
  r.text8(&out->format, "the format");
  if (out->version >= kStreamPrefixVersion && !r.failed()) {
    r.u64(&out->prefix_objects, "the prefix's objects");
    r.text8(&out->prefix_digest, "the prefix's digest algorithm");
    if (!r.failed()) {
      size_t at = r.pos();
      Status s = decode_totals(payload.subspan(at), &out->prefix);
      if (!s.is_ok()) return Status::corrupt(at + s.offset(), "the prefix's totals in the HELLO frame", s.message());
      return Status::ok();
    }
  }
  return r.finish();
}

Status decode_accept(std::span<const uint8_t> payload, StreamAccept* out) {
  Reader r(payload, "ACCEPT");
  r.u64(&out->resume_from, "the objects held");
  out->digest.clear();
  if (r.pos() < payload.size()) r.text8(&out->digest, "the digest algorithm");
  return r.finish();
}

Status decode_ack(std::span<const uint8_t> payload, uint64_t* out) {
  Reader r(payload, "ACK");
  r.u64(out, "the objects durable");
  return r.finish();
}

Status decode_totals(std::span<const uint8_t> payload, StreamTotals* out) {
  Reader r(payload, "END/SUMMARY");
  uint32_t n = 0;
  r.u64(&out->records, "the record count");
  r.u64(&out->filemarks, "the filemark count");
  r.u64(&out->bytes, "the byte count");
  if (r.u32(&n, "the number of digests") && n > kMaxDigests) {
    r.fail(fmt::format("at most {} digests", kMaxDigests), fmt::format("{}", n));
  }
  out->digests.clear();
  for (uint32_t i = 0; i < n && !r.failed(); ++i) {
    std::string d;
    if (r.text8(&d, "a digest")) out->digests.push_back(std::move(d));
  }
  return r.finish();
}

uint64_t filemarks_on_tape(const StreamTotals& t) {
  return t.filemarks + (t.digests.size() > t.filemarks ? 1 : 0);
}

std::string decode_error(std::span<const uint8_t> payload, bool* retry) {
  if (retry) *retry = !payload.empty() && payload[0] == 1;
  std::string s(payload.begin() + (payload.empty() ? 0 : 1), payload.end());
  // A message for a terminal: nothing that moves the cursor or rings.
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n') c = '?';
  }
  return s;
}

size_t FrameParser::feed(std::span<const uint8_t> data) {
  size_t used = 0;
  while (used < data.size() && error_.is_ok() && !ready_) {
    if (!have_header_) {
      size_t n = std::min(data.size() - used, kStreamFrameHeader - header_used_);
      if (header_used_ == 0) frame_start_ = offset_;
      std::memcpy(header_.data() + header_used_, data.data() + used, n);
      header_used_ += n;
      used += n;
      offset_ += n;
      if (header_used_ < kStreamFrameHeader) break;
      uint8_t type = header_[0];
      length_ = (uint32_t{header_[1]} << 24) | (uint32_t{header_[2]} << 16) | (uint32_t{header_[3]} << 8) | header_[4];
      std::optional<uint32_t> limit = max_payload(type);
      if (!limit) {
        error_ = Status::corrupt(frame_start_, "a frame type (H, A, R, F, K, E, S or X)",
                                 fmt::format("byte 0x{:02x}", type));
        break;
      }
      if (length_ > *limit) {
        error_ = Status::corrupt(frame_start_ + 1,
                                 fmt::format("a length of at most {} for a '{}' frame", *limit, static_cast<char>(type)),
                                 fmt::format("{}", length_));
        break;
      }
      have_header_ = true;
      current_.type = type;
      current_.payload.clear();
      current_.payload.reserve(length_);
    }
    size_t n = std::min<size_t>(data.size() - used, length_ - current_.payload.size());
    current_.payload.insert(current_.payload.end(), data.begin() + static_cast<ptrdiff_t>(used),
                            data.begin() + static_cast<ptrdiff_t>(used + n));
    used += n;
    offset_ += n;
    if (current_.payload.size() == length_) {
      ready_ = true;
      have_header_ = false;
      header_used_ = 0;
    }
  }
  return used;
}

size_t FrameParser::take_in_place(std::span<const uint8_t> data, FrameView* out) {
  if (mid_frame() || ready_ || !error_.is_ok() || data.size() < kStreamFrameHeader) return 0;
  uint8_t type = data[0];
  uint32_t length = (uint32_t{data[1]} << 24) | (uint32_t{data[2]} << 16) | (uint32_t{data[3]} << 8) | data[4];
  std::optional<uint32_t> limit = max_payload(type);
  if (!limit || length > *limit || data.size() - kStreamFrameHeader < length) return 0;
  *out = FrameView(type, data.subspan(kStreamFrameHeader, length));
  frame_start_ = offset_;
  offset_ += kStreamFrameHeader + length;
  return kStreamFrameHeader + length;
}

bool FrameParser::take(Frame* out) {
  if (!ready_) return false;
  *out = std::move(current_);
  current_ = Frame{};
  ready_ = false;
  return true;
}

}  // namespace vtape
