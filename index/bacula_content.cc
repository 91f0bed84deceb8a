// Content detector for a Bacula volume label (Bacula developer's guide,
// "Storage Media Output Format"): the first tape block of a volume that
// btape or bacula-sd labelled.  All numbers are big-endian.
//   block header (BB02): checksum u32, block length u32, block number u32,
//     "BB02", VolSessionId u32, VolSessionTime u32        (24 bytes)
//   record header: FileIndex i32 (negative: a label), Stream i32,
//     data length u32                                     (12 bytes)
//   label data: Id "Bacula 1.0 immortal\n" NUL, VerNum u32, two 8-byte
//     times (two 8-byte floats before version 11), two 8-byte floats,
//     then NUL-terminated VolumeName, PrevVolumeName, PoolName, PoolType,
//     MediaType, HostName, LabelProg, ProgVersion, ProgDate.
// The volume name becomes the tape file's label volser (as a VOL1 label's
// does); volume, pool and media type are its members.
#include <cstring>
#include <optional>

#include "index/content_detector.h"

namespace vtape {
namespace {

constexpr size_t kBlockHeader = 24;
constexpr size_t kRecordHeader = 12;
constexpr int32_t kPreLabel = -1;  // a label written by `label` before the volume is used
constexpr int32_t kVolLabel = -2;  // the label of a volume in use

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

struct BaculaLabel {
  std::string volume, pool, media_type;
};

// Reads the NUL-terminated strings of the label data one after another.
class LabelFields {
 public:
  explicit LabelFields(std::span<const uint8_t> data) : data_(data) {}
  std::optional<std::string> string() {
    const void* nul = std::memchr(data_.data() + pos_, 0, data_.size() - pos_);
    if (nul == nullptr) return std::nullopt;
    size_t end = static_cast<size_t>(static_cast<const uint8_t*>(nul) - data_.data());
    std::string s(reinterpret_cast<const char*>(data_.data() + pos_), end - pos_);
    pos_ = end + 1;
    return s;
  }
  bool skip(size_t n) {
    if (data_.size() - pos_ < n) return false;
    pos_ += n;
    return true;
  }
  std::optional<uint32_t> u32() {
    if (data_.size() - pos_ < 4) return std::nullopt;
    uint32_t v = be32(data_.data() + pos_);
    pos_ += 4;
    return v;
  }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

std::optional<BaculaLabel> parse_bacula_label(std::span<const uint8_t> r) {
  if (r.size() < kBlockHeader + kRecordHeader || std::memcmp(r.data() + 12, "BB02", 4) != 0) return std::nullopt;
  uint32_t block_length = be32(r.data() + 4);
  if (block_length < kBlockHeader + kRecordHeader || block_length > r.size()) return std::nullopt;
  const uint8_t* rec = r.data() + kBlockHeader;
  auto file_index = static_cast<int32_t>(be32(rec));
  uint32_t data_length = be32(rec + 8);
  if ((file_index != kPreLabel && file_index != kVolLabel) ||
      data_length > block_length - kBlockHeader - kRecordHeader) {
    return std::nullopt;
  }
  LabelFields f(r.subspan(kBlockHeader + kRecordHeader, data_length));
  auto id = f.string();
  if (!id || id->rfind("Bacula ", 0) != 0 || id->find("immortal") == std::string::npos) return std::nullopt;
  auto version = f.u32();
  // Two times (btime or float pairs), then the write date and time.
  if (!version || !f.skip(16) || !f.skip(16)) return std::nullopt;
  BaculaLabel label;
  auto volume = f.string();
  auto previous = f.string();
  auto pool = f.string();
  auto pool_type = f.string();
  auto media_type = f.string();
  if (!volume || volume->empty() || !previous || !pool || !pool_type || !media_type) return std::nullopt;
  return BaculaLabel{*volume, *pool, *media_type};
}

class BaculaReader : public ContentReader {
 public:
  void add_record(std::span<const uint8_t> record) override {
    if (seen_) return;
    seen_ = true;
    label_ = parse_bacula_label(record);
  }
  bool wants_more() const override { return !seen_; }
  void finish(TapeFileAnalysis& out) override {
    if (!label_) return;
    out.label_volser = label_->volume;
    out.members.push_back(TapeMember{"bacula-volume", label_->volume, 0, 0, 0, 0, ""});
    if (!label_->pool.empty()) out.members.push_back(TapeMember{"bacula-pool", label_->pool, 0, 0, 0, 0, ""});
    if (!label_->media_type.empty()) {
      out.members.push_back(TapeMember{"bacula-media-type", label_->media_type, 0, 0, 0, 0, ""});
    }
  }

 private:
  bool seen_ = false;
  std::optional<BaculaLabel> label_;
};

}  // namespace

ContentDetector bacula_detector() {
  return ContentDetector{
      "bacula",
      [](std::span<const uint8_t> first) { return parse_bacula_label(first).has_value(); },
      [] { return std::make_unique<BaculaReader>(); }
  };
}

}  // namespace vtape
