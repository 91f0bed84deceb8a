// A tape described file by file (records, and whether a filemark ends the
// file), written into an image the way a drive writes it, optionally with a
// CatalogRecorder watching; and the tape files such a tape should give.
#pragma once

#include <gtest/gtest.h>

#include "index/catalog_recorder.h"
#include "index/volume_indexer.h"
#include "tapeformat/tape_image.h"
#include "tests/index/index_test_util.h"

namespace vtape::testing {

struct ScriptFile {
  std::vector<std::vector<uint8_t>> records;
  bool filemark = true;
};

// What a drive does with a recorder: begin before the first object written,
// every record handed over, the image synced at each filemark and then the
// recorder told; stop when writing ends without a filemark.
class RecordingWriter {
 public:
  RecordingWriter(TapeImage& image, CatalogRecorder* recorder) : image_(image), recorder_(recorder) {}
  void record(std::span<const uint8_t> data) {
    begin_if_needed();
    Status s = image_.write_record(data);
    ASSERT_TRUE(s.is_ok()) << s.message();
    if (recorder_) recorder_->record(data);
  }
  void filemark() {
    begin_if_needed();
    Status s = image_.write_filemark();
    ASSERT_TRUE(s.is_ok()) << s.message();
    ASSERT_TRUE(image_.sync().is_ok());
    if (recorder_) {
      Status r = recorder_->filemark_written(image_.position(), image_.size());
      ASSERT_TRUE(r.is_ok()) << r.message();
    }
  }
  void stop() {
    ASSERT_TRUE(image_.sync().is_ok());
    if (recorder_ && recorder_->active()) {
      Status r = recorder_->stop(image_.size());
      ASSERT_TRUE(r.is_ok()) << r.message();
    }
  }
  void write(const std::vector<ScriptFile>& files) {
    for (const auto& f : files) {
      for (const auto& r : f.records) record(r);
      if (f.filemark) filemark();
    }
  }

 private:
  void begin_if_needed() {
    if (recorder_ && !recorder_->active()) recorder_->begin(image_.position());
  }
  TapeImage& image_;
  CatalogRecorder* recorder_;
};

inline std::unique_ptr<TapeImage> open_tape(const std::string& path, Format format, bool writable) {
  std::unique_ptr<TapeImage> img;
  OpenOptions o;
  o.format = format;
  o.writable = writable;
  Status s = TapeImage::open(path, o, &img);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return img;
}

inline std::unique_ptr<TapeImage> create_tape(const std::string& path, Format format) {
  std::unique_ptr<TapeImage> img;
  Status s = TapeImage::create(path, format, WriteOptions{}, true, &img);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return img;
}

inline VolumeIndex index_of(const std::string& path, Format format) {
  auto img = open_tape(path, format, false);
  VolumeIndex index;
  if (!img) return index;
  Status s = index_image(*img, false, kDefaultDigest, &index);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return index;
}

inline std::string describe_row(const TapeFileRow& r) {
  return "file " + std::to_string(r.file_number) + " block " + std::to_string(r.first_block) + " records " +
         std::to_string(r.records) + " bytes " + std::to_string(r.bytes) + " smallest " + std::to_string(r.smallest) +
         " largest " + std::to_string(r.largest) + " at " + std::to_string(r.image_offset) + " digest " + r.digest_algorithm + ":" + r.digest +
         (r.closed_cleanly ? " closed " : " open ") + r.content + " damage '" + r.damage + "'";
}

// Rows compared on everything but written_at and member_count (which only
// the catalog fills in).
inline void expect_same_row(const TapeFileRow& a, const TapeFileRow& b) {
  bool same = a.file_number == b.file_number && a.first_block == b.first_block && a.records == b.records &&
              a.bytes == b.bytes && a.smallest == b.smallest && a.largest == b.largest &&
              a.image_offset == b.image_offset && a.digest == b.digest && a.digest_algorithm == b.digest_algorithm && a.closed_cleanly == b.closed_cleanly &&
              a.content == b.content && a.damage == b.damage;
  EXPECT_TRUE(same) << "actual:   " << describe_row(a) << "\nexpected: " << describe_row(b);
}

// A tape of every kind of file the catalog recognises: ANSI labels, a GNU
// tar archive, trailer labels, a cpio archive, IBM labels, a VMS BACKUP
// saveset, a Pick label, an empty file and a last file of unknown data
// without a filemark.  Made from a tree under DIR.
struct MixedTape {
  std::vector<ScriptFile> files;
  std::vector<std::string> contents;
  std::vector<std::vector<std::string>> member_paths;
};

inline MixedTape mixed_tape(const TempDir& dir) {
  MixedTape t;
  std::string root = dir.file("tree");
  EXPECT_TRUE(run_ok("mkdir -p " + shell_quote(root)));
  EXPECT_TRUE(make_tar_tree(root, true, true));
  std::string tar = dir.file("a.tar"), cpio = dir.file("a.cpio");
  EXPECT_TRUE(run_ok("tar --sort=name -C " + shell_quote(root) + " -cf " + shell_quote(tar) + " top"));
  EXPECT_TRUE(run_ok("cd " + shell_quote(root) + " && find top/sub | LC_ALL=C sort | cpio --quiet -o -H newc > " +
                     shell_quote(cpio)));
  auto add = [&](std::vector<std::vector<uint8_t>> records, const std::string& content,
                 std::vector<std::string> members, bool filemark = true) {
    t.files.push_back(ScriptFile{std::move(records), filemark});
    t.contents.push_back(content);
    t.member_paths.push_back(std::move(members));
  };
  add({bytes_of(vol1_text("VT0042", "OPERATIONS")), bytes_of(hdr1_text("BACKUP.TAR", 1)),
       bytes_of(hdr2_text(10240, 512))},
      "ansi-labels", {"BACKUP.TAR"});
  add(split_records(read_file_bytes(tar), 10240), "tar",
      output_lines("tar --quoting-style=literal -tf " + shell_quote(tar)));
  add({bytes_of(eof1_text("BACKUP.TAR", 3)), bytes_of(label_text("EOF2", {}))}, "ansi-labels", {});
  add(split_records(read_file_bytes(cpio), 5120), "cpio", output_lines("cpio --quiet -it < " + shell_quote(cpio)));
  add({to_ebcdic(hdr1_text("SYS1.DUMP", 3)), to_ebcdic(hdr2_text(4096, 80))}, "ibm-labels", {"SYS1.DUMP"});
  add({vms_backup_block("DKA0.BCK", 8192, 1), vms_backup_block("DKA0.BCK", 8192, 2)}, "vms-backup", {"DKA0.BCK"});
  add({pick_label("CUSTOMERS"), pattern_bytes(1000, 5)}, "pick-label", {"CUSTOMERS"});
  add({}, "unknown", {});  // an empty file: two filemarks in a row
  add({pattern_bytes(333, 1), pattern_bytes(4097, 2), pattern_bytes(1, 3)}, "unknown", {}, /*filemark=*/false);
  return t;
}

}  // namespace vtape::testing
