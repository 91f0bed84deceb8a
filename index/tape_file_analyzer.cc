#include "index/tape_file_analyzer.h"

#include "index/crc32c.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "index/cpio_parser.h"
#include "index/tape_labels.h"
#include "index/tar_parser.h"

namespace vtape {
namespace {

uint32_t le16(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8; }
uint32_t le32(const uint8_t* p) { return le16(p) | le16(p + 2) << 16; }

std::string trimmed(std::string s) {
  size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

// OpenVMS BACKUP block: 256-byte little-endian header whose first word is
// 256, block size at 40 equal to the record length, and a counted saveset
// name at 48.
bool is_vms_backup_block(std::span<const uint8_t> r, std::string* saveset) {
  if (r.size() < 256 || le16(r.data()) != 256 || le32(r.data() + 40) != r.size()) return false;
  uint8_t len = r[48];
  if (len == 0 || len > 31) return false;
  std::string name(reinterpret_cast<const char*>(r.data() + 49), len);
  for (char c : name) {
    if (!std::isprint(static_cast<unsigned char>(c))) return false;
  }
  *saveset = name;
  return true;
}

// Pick/D3 tape label: "L " then 4 hex digits of block length, time, date,
// 48 characters of header text, reel number in the last two columns.
bool is_pick_label(std::span<const uint8_t> r, std::string* text) {
  if (r.size() != 80 || r[0] != 'L' || r[1] != ' ') return false;
  for (int i = 2; i < 6; ++i) {
    if (!std::isxdigit(r[static_cast<size_t>(i)])) return false;
  }
  std::string s(reinterpret_cast<const char*>(r.data()), r.size());
  for (char c : s) {
    if (!std::isprint(static_cast<unsigned char>(c))) return false;
  }
  *text = trimmed(s.substr(28, 48));
  return true;
}

}  // namespace

void TapeFileAnalyzer::classify(std::span<const uint8_t> first) {
  classified_ = true;
  std::string text;
  if (auto label = parse_tape_label(first)) {
    result_.content = label->charset == LabelCharset::kEbcdic ? ContentKind::kIbmLabels : ContentKind::kAnsiLabels;
  } else if (is_pick_label(first, &text)) {
    result_.content = ContentKind::kPickLabel;
    result_.members.push_back(TapeMember{"pick-label", text, 0, 0, 0, 0, ""});
  } else if (first.size() >= 512 && is_tar_header(first.first(512))) {
    result_.content = ContentKind::kTar;
    parser_ = std::make_unique<TarParser>();
  } else if (is_cpio_start(first)) {
    result_.content = ContentKind::kCpio;
    parser_ = std::make_unique<CpioParser>();
  } else if (is_vms_backup_block(first, &text)) {
    result_.content = ContentKind::kVmsBackup;
    result_.members.push_back(TapeMember{"saveset", text, 0, 0, 0, 0, ""});
  }
}

void TapeFileAnalyzer::add_label(std::span<const uint8_t> record) {
  auto label = parse_tape_label(record);
  if (!label) return;
  if (label->id == "VOL1") {
    result_.label_volser = label->volser;
    result_.label_owner = label->owner;
  } else if (label->id == "HDR1") {
    result_.members.push_back(TapeMember{"hdr1", label->file_id, 0, 0, 0, 0, ""});
  }
}

void TapeFileAnalyzer::add_record(std::span<const uint8_t> data) {
  if (!classified_) classify(data);
  uint32_t n = static_cast<uint32_t>(data.size());
  result_.smallest = result_.records == 0 ? n : std::min(result_.smallest, n);
  result_.largest = std::max(result_.largest, n);
  ++result_.records;
  result_.bytes += data.size();
  sha_.update(data);
  result_.record_crcs.push_back(crc32c(data));
  if (result_.content == ContentKind::kAnsiLabels || result_.content == ContentKind::kIbmLabels) add_label(data);
  if (parser_ && !parser_->done()) parser_->feed(data);
}

TapeFileAnalysis TapeFileAnalyzer::finish() {
  result_.sha256 = sha_.hex_digest();
  if (parser_) {
    parser_->finish();
    result_.members = std::move(parser_->members());
    result_.damage = parser_->damage();
  }
  return std::move(result_);
}

}  // namespace vtape
