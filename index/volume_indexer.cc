#include "index/volume_indexer.h"

#include "index/tape_file_analyzer.h"

namespace vtape {
namespace {

TapeFileRow row_from(const TapeFileAnalysis& a, uint64_t file, uint64_t first_block, uint64_t offset, bool closed) {
  TapeFileRow r;
  r.file_number = file;
  r.first_block = first_block;
  r.records = a.records;
  r.bytes = a.bytes;
  r.smallest = a.smallest;
  r.largest = a.largest;
  r.image_offset = offset;
  r.digest = a.digest;
  r.digest_algorithm = a.digest_algorithm;
  r.closed_cleanly = closed;
  r.content = content_name(a.content);
  r.compression = a.compression;
  r.damage = a.damage.value_or("");
  return r;
}

}  // namespace

Status index_tape_file(TapeImage& image, DigestAlgorithm digest, CatalogedFile* out) {
  TapePosition start = image.position();
  TapeFileAnalyzer analyzer(digest);
  std::vector<uint8_t> data;
  bool closed = false;
  for (;;) {
    TapeObject obj;
    VTAPE_RETURN_IF_ERROR(image.read(&obj, &data));
    if (obj.kind == ObjectKind::kRecord) {
      analyzer.add_record(data);
      continue;
    }
    closed = obj.kind == ObjectKind::kFilemark;
    break;
  }
  TapeFileAnalysis a = analyzer.finish();
  out->row = row_from(a, start.file, start.object_index, start.offset, closed);
  out->members = std::move(a.members);
  out->record_crcs = std::move(a.record_crcs);
  out->label_volser = a.label_volser;
  out->label_owner = a.label_owner;
  return Status::ok();
}

Status index_image(TapeImage& image, bool salvage, DigestAlgorithm digest, VolumeIndex* out) {
  *out = VolumeIndex{};
  VTAPE_RETURN_IF_ERROR(image.rewind());
  TapeFileAnalyzer analyzer(digest);
  bool file_open = false;
  TapePosition file_start;
  uint64_t file_number = 0;
  std::string file_damage;  // damaged regions met inside the current file
  auto close_file = [&](bool closed) {
    TapeFileAnalysis a = analyzer.finish();
    if (!file_damage.empty()) {
      a.damage = a.damage ? file_damage + "; " + *a.damage : file_damage;
      file_damage.clear();
    }
    if (a.label_volser.size() > 0 && out->label_volser.empty()) {
      out->label_volser = a.label_volser;
      out->label_owner = a.label_owner;
    }
    CatalogedFile f;
    f.row = row_from(a, file_number, file_start.object_index, file_start.offset, closed);
    f.members = std::move(a.members);
    f.record_crcs = std::move(a.record_crcs);
    out->files.push_back(std::move(f));
    analyzer = TapeFileAnalyzer(digest);
    file_open = false;
    ++file_number;
  };
  ScanOptions options;
  options.salvage = salvage;
  options.read_data = true;
  ScanSummary summary;
  Status s = scan_image(
      image, options,
      [&](const TapeObject& obj, const TapePosition& pos, const std::vector<uint8_t>* data) {
        if (!file_open) {
          file_open = true;
          file_start = pos;
          file_start.offset = obj.offset;
        }
        if (obj.kind == ObjectKind::kRecord) {
          analyzer.add_record(*data);
        } else {
          close_file(true);
        }
        return true;
      },
      [&](const DamagedRegion& d) {
        // Records of this file were lost: say so in its row.
        if (!file_damage.empty()) file_damage += "; ";
        file_damage += "image damaged from byte " + std::to_string(d.start) + " to " + std::to_string(d.end) +
                       ": " + d.error.message();
        if (!file_open) {
          file_open = true;
          file_start = image.position();
        }
      },
      &summary);
  VTAPE_RETURN_IF_ERROR(s);
  if (file_open) close_file(false);
  out->damage = summary.damage;
  out->end_of_data = summary.end_offset;
  return Status::ok();
}

Status store_volume_index(Catalog& catalog, const std::string& volser, const VolumeIndex& index,
                          uint64_t image_size) {
  VTAPE_RETURN_IF_ERROR(catalog.replace_files(volser, 0, index.files, image_size, ""));
  return catalog.set_label(volser, index.label_volser, index.label_owner);
}

}  // namespace vtape
