// Content detector for a Pick/D3 tape label: "L " then 4 hex digits of
// block length, time, date, 48 characters of header text, reel number in
// the last two columns.  The header text is its one member.
#include <cctype>

#include "index/content_detector.h"

namespace vtape {
namespace {

std::string trimmed(std::string s) {
  size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

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

class PickLabelReader : public ContentReader {
 public:
  void add_record(std::span<const uint8_t> record) override {
    if (seen_) return;
    seen_ = true;
    is_pick_label(record, &text_);
  }
  void finish(TapeFileAnalysis& out) override {
    out.members.push_back(TapeMember{"pick-label", text_, 0, 0, 0, 0, ""});
  }

 private:
  bool seen_ = false;
  std::string text_;
};

}  // namespace

ContentDetector pick_label_detector() {
  return ContentDetector{
      ContentKind::kPickLabel.name(),
      [](std::span<const uint8_t> first) {
        std::string text;
        return is_pick_label(first, &text);
      },
      [] { return std::make_unique<PickLabelReader>(); }
  };
}

}  // namespace vtape
