// Content detectors for tape labels: ANSI (ASCII) and IBM standard (EBCDIC)
// label files.  Every label record of such a tape file is read: VOL1 gives
// the volume's label volser and owner, HDR1 a member of kind "hdr1".
#include "index/content_detector.h"
#include "index/tape_labels.h"

namespace vtape {
namespace {

class LabelReader : public ContentReader {
 public:
  void add_record(std::span<const uint8_t> record) override {
    auto label = parse_tape_label(record);
    if (!label) return;
    if (label->id == "VOL1") {
      volser_ = label->volser;
      owner_ = label->owner;
    } else if (label->id == "HDR1") {
      members_.push_back(TapeMember{"hdr1", label->file_id, 0, 0, 0, 0, ""});
    }
  }
  void finish(TapeFileAnalysis& out) override {
    out.label_volser = volser_;
    out.label_owner = owner_;
    out.members = std::move(members_);
  }

 private:
  std::string volser_, owner_;
  std::vector<TapeMember> members_;
};

ContentDetector label_detector(const ContentKind& kind, LabelCharset charset) {
  return ContentDetector{
      kind.name(),
      [charset](std::span<const uint8_t> first) {
        auto label = parse_tape_label(first);
        return label && label->charset == charset;
      },
      [] { return std::make_unique<LabelReader>(); }
  };
}

}  // namespace

ContentDetector ansi_labels_detector() { return label_detector(ContentKind::kAnsiLabels, LabelCharset::kAscii); }
ContentDetector ibm_labels_detector() { return label_detector(ContentKind::kIbmLabels, LabelCharset::kEbcdic); }

}  // namespace vtape
