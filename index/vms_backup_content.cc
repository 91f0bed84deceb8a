// Content detector for an OpenVMS BACKUP saveset: a 256-byte little-endian
// block header whose first word is 256, block size at 40 equal to the
// record length, and a counted saveset name at 48 (its one member).
#include <cctype>

#include "index/content_detector.h"

namespace vtape {
namespace {

uint32_t le16(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8; }
uint32_t le32(const uint8_t* p) { return le16(p) | le16(p + 2) << 16; }

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

class VmsBackupReader : public ContentReader {
 public:
  void add_record(std::span<const uint8_t> record) override {
    if (seen_) return;
    seen_ = true;
    is_vms_backup_block(record, &saveset_);
  }
  void finish(TapeFileAnalysis& out) override {
    out.members.push_back(TapeMember{"saveset", saveset_, 0, 0, 0, 0, ""});
  }

 private:
  bool seen_ = false;
  std::string saveset_;
};

}  // namespace

ContentDetector vms_backup_detector() {
  return ContentDetector{
      ContentKind::kVmsBackup.name(),
      [](std::span<const uint8_t> first) {
        std::string saveset;
        return is_vms_backup_block(first, &saveset);
      },
      [] { return std::make_unique<VmsBackupReader>(); }
  };
}

}  // namespace vtape
