#include "index/content_detector.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include "index/cpio_parser.h"
#include "index/decompressor.h"
#include "index/tar_parser.h"

namespace vtape {

// The built-in detectors, each in its own file.
ContentDetector ansi_labels_detector();  // label_content.cc
ContentDetector ibm_labels_detector();   // label_content.cc
ContentDetector pick_label_detector();   // pick_label_content.cc
ContentDetector vms_backup_detector();   // vms_backup_content.cc
ContentDetector bacula_detector();       // bacula_content.cc
ContentDetector dump_detector();         // dump_content.cc
ContentDetector amanda_tar_detector();   // amanda_content.cc
ContentDetector amanda_detector();       // amanda_content.cc
ContentDetector compressed_detector(const ContentCompression& compression);  // compressed_content.cc

namespace {

ContentDetector tar_detector() {
  return ContentDetector{
      ContentKind::kTar.name(),
      [](std::span<const uint8_t> first) {
        return first.size() >= 512 && is_tar_header(first.first(512));
      },
      [] { return std::make_unique<StreamContentReader>(std::make_unique<TarParser>()); },
      /*members_have_data=*/true
  };
}

ContentDetector cpio_detector() {
  return ContentDetector{
      ContentKind::kCpio.name(),
      is_cpio_start,
      [] { return std::make_unique<StreamContentReader>(std::make_unique<CpioParser>()); },
      /*members_have_data=*/true
  };
}

using DetectorList = std::vector<std::shared_ptr<const ContentDetector>>;

// The table, in the order the detectors are tried (man/vtape-catalog.5,
// CONTENT RECOGNITION).
DetectorList builtin_detectors() {
  DetectorList list;
  for (ContentDetector d : {ansi_labels_detector(), ibm_labels_detector(), pick_label_detector(), tar_detector(),
                            cpio_detector(), vms_backup_detector(), bacula_detector(), dump_detector(),
                            amanda_tar_detector(), amanda_detector()}) {
    list.push_back(std::make_shared<const ContentDetector>(std::move(d)));
  }
  for (const ContentCompression& c : compressions()) {
    list.push_back(std::make_shared<const ContentDetector>(compressed_detector(c)));
  }
  return list;
}

struct Registry {
  std::mutex mu;
  DetectorList detectors = builtin_detectors();
  size_t builtin = detectors.size();
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

std::shared_ptr<const ContentDetector> find_content_detector(std::span<const uint8_t> first_record) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  for (const auto& d : r.detectors) {
    if (d->matches(first_record)) return d;
  }
  return nullptr;
}

std::shared_ptr<const ContentDetector> find_archive_detector(std::span<const uint8_t> first_bytes) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  for (const auto& d : r.detectors) {
    if (d->members_have_data && d->matches(first_bytes)) return d;
  }
  return nullptr;
}

bool content_has_member_data(std::string_view name) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  for (const auto& d : r.detectors) {
    if (d->name == name) return d->members_have_data;
  }
  return false;
}

void add_content_detector(ContentDetector detector) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.detectors.push_back(std::make_shared<const ContentDetector>(std::move(detector)));
}

void remove_content_detector(std::string_view name) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  auto added = r.detectors.begin() + static_cast<ptrdiff_t>(r.builtin);  // built-in rows stay
  r.detectors.erase(std::remove_if(added, r.detectors.end(), [&](const auto& d) { return d->name == name; }),
                    r.detectors.end());
}

}  // namespace vtape
