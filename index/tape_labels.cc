#include "index/tape_labels.h"

#include <array>
#include <string_view>

#include "index/ebcdic.h"

namespace vtape {
namespace {

constexpr size_t kLabelSize = 80;
constexpr std::array<std::string_view, 9> kLabelIds = {"VOL1", "HDR1", "HDR2", "HDR3", "EOF1",
                                                       "EOF2", "EOV1", "EOV2", "UHL1"};

// Columns are 1-based and inclusive, as label standards number them.
// Blanks around the field are dropped (IBM puts the owner in 42-51, ANSI
// in 38-51).
std::string columns(const std::string& text, size_t first, size_t last) {
  std::string s = text.substr(first - 1, last - first + 1);
  size_t begin = s.find_first_not_of(' ');
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(' ') - begin + 1);
}

bool is_printable(const std::string& s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) return false;
  }
  return true;
}

}  // namespace

std::optional<TapeLabel> parse_tape_label(std::span<const uint8_t> record) {
  if (record.size() != kLabelSize) return std::nullopt;
  TapeLabel label;
  std::string ascii(record.begin(), record.end());
  std::string from_ebcdic = ebcdic_to_ascii(record);
  std::string text;
  for (auto id : kLabelIds) {
    if (ascii.compare(0, 4, id) == 0) {
      text = ascii;
      label.charset = LabelCharset::kAscii;
    } else if (from_ebcdic.compare(0, 4, id) == 0) {
      text = from_ebcdic;
      label.charset = LabelCharset::kEbcdic;
    }
    if (!text.empty()) {
      label.id = std::string(id);
      break;
    }
  }
  if (text.empty()) return std::nullopt;
  // A real label is printable text; this rejects data that merely starts
  // with the four letters.
  if (label.charset == LabelCharset::kAscii && !is_printable(text)) return std::nullopt;
  label.text = text;
  if (label.id == "VOL1") {
    label.volser = columns(text, 5, 10);
    label.owner = columns(text, 38, 51);
  } else if (label.id == "HDR1" || label.id == "EOF1" || label.id == "EOV1") {
    label.file_id = columns(text, 5, 21);
  }
  return label;
}

}  // namespace vtape
