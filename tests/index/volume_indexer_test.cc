// index_image on a tape of several files of every kind (labels, tar, cpio,
// VMS BACKUP, Pick, unknown, a last file without a filemark): every row is
// computed here independently (SIMH framing sizes, xxhsum -H2), and the
// index stored in a catalog reads back the same.
#include <gtest/gtest.h>

#include "index/catalog.h"
#include "tests/index/tape_script.h"

namespace vtape::testing {
namespace {

std::vector<uint8_t> concat(const std::vector<std::vector<uint8_t>>& records) {
  std::vector<uint8_t> out;
  for (const auto& r : records) out.insert(out.end(), r.begin(), r.end());
  return out;
}

TEST(IndexImage, EveryFileOfAMixedSimhTape) {
  TempDir dir;
  MixedTape t = mixed_tape(dir);
  std::string path = dir.file("mixed.tap");
  {
    auto img = create_tape(path, Format::kSimh);
    RecordingWriter w(*img, nullptr);
    w.write(t.files);
    w.stop();
    ASSERT_TRUE(img->close().is_ok());
  }
  VolumeIndex index = index_of(path, Format::kSimh);
  ASSERT_EQ(index.files.size(), t.files.size());
  EXPECT_EQ(index.label_volser, "VT0042");
  EXPECT_EQ(index.label_owner, "OPERATIONS");
  EXPECT_TRUE(index.damage.empty());
  EXPECT_EQ(index.end_of_data, read_file_bytes(path).size());

  // Expected rows from the script: SIMH objects take 8 + n + (n & 1) bytes
  // (records) or 4 (filemarks).
  uint64_t block = 0, offset = 0;
  for (size_t i = 0; i < t.files.size(); ++i) {
    SCOPED_TRACE("file " + std::to_string(i));
    const ScriptFile& f = t.files[i];
    TapeFileRow want;
    want.file_number = i;
    want.first_block = block;
    want.image_offset = offset;
    want.records = f.records.size();
    want.smallest = f.records.empty() ? 0 : UINT32_MAX;
    for (const auto& r : f.records) {
      want.bytes += r.size();
      uint32_t n = static_cast<uint32_t>(r.size());
      want.smallest = std::min(want.smallest, n);
      want.largest = std::max(want.largest, n);
      offset += 8 + n + (n & 1);
    }
    want.digest = xxhsum_of(concat(f.records));
    want.digest_algorithm = "xxh3-128";
    want.closed_cleanly = f.filemark;
    want.content = t.contents[i];
    block += f.records.size() + (f.filemark ? 1 : 0);
    offset += f.filemark ? 4 : 0;
    expect_same_row(index.files[i].row, want);
    std::vector<std::string> got;
    for (const auto& m : index.files[i].members) got.push_back(m.path);
    EXPECT_EQ(got, t.member_paths[i]);
    // Archive members as the analyzer finds them in the file's stream.
    if (want.content == "tar" || want.content == "cpio") {
      expect_same_members(index.files[i].members, analyze_records(f.records).members);
    }
  }
}

TEST(IndexImage, OneTapeFileAtATime) {
  TempDir dir;
  MixedTape t = mixed_tape(dir);
  std::string path = dir.file("mixed.tap");
  {
    auto img = create_tape(path, Format::kSimh);
    RecordingWriter w(*img, nullptr);
    w.write(t.files);
    w.stop();
  }
  VolumeIndex whole = index_of(path, Format::kSimh);
  auto img = open_tape(path, Format::kSimh, false);
  for (size_t i = 0; i < t.files.size(); ++i) {
    CatalogedFile f;
    ASSERT_TRUE(index_tape_file(*img, kDefaultDigest, &f).is_ok());
    expect_same_row(f.row, whole.files[i].row);
    expect_same_members(f.members, whole.files[i].members);
  }
}

TEST(IndexImage, StoredInTheCatalogReadsBackTheSame) {
  TempDir dir;
  MixedTape t = mixed_tape(dir);
  std::string path = dir.file("mixed.aws");
  {
    auto img = create_tape(path, Format::kAws);
    RecordingWriter w(*img, nullptr);
    w.write(t.files);
    w.stop();
  }
  VolumeIndex index = index_of(path, Format::kAws);
  std::unique_ptr<Catalog> c;
  ASSERT_TRUE(Catalog::open(dir.file("catalog.db"), &c).is_ok());
  VolumeRow v;
  v.volser = "MIX001";
  v.image_path = path;
  v.format = "aws";
  ASSERT_TRUE(c->upsert_volume(v).is_ok());
  uint64_t size = read_file_bytes(path).size();
  ASSERT_TRUE(store_volume_index(*c, "MIX001", index, size).is_ok());
  std::vector<VolumeRow> vols;
  ASSERT_TRUE(c->volumes(&vols).is_ok());
  ASSERT_EQ(vols.size(), 1u);
  EXPECT_EQ(vols[0].label_volser, "VT0042");
  EXPECT_EQ(vols[0].label_owner, "OPERATIONS");
  EXPECT_EQ(vols[0].image_size, size);
  EXPECT_EQ(vols[0].tape_files, t.files.size());
  std::vector<TapeFileRow> rows;
  ASSERT_TRUE(c->files("MIX001", &rows).is_ok());
  ASSERT_EQ(rows.size(), index.files.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    expect_same_row(rows[i], index.files[i].row);
    EXPECT_EQ(rows[i].member_count, index.files[i].members.size());
    std::vector<TapeMember> ms;
    ASSERT_TRUE(c->members("MIX001", i, &ms).is_ok());
    expect_same_members(ms, index.files[i].members);
  }
  // The members are found by name.
  std::vector<FoundMember> found;
  ASSERT_TRUE(c->find("*big.bin", std::nullopt, std::nullopt, 10, &found).is_ok());
  ASSERT_EQ(found.size(), 2u);  // in the tar and in the cpio archive
  EXPECT_EQ(found[0].file_number, 1u);
  EXPECT_EQ(found[1].file_number, 3u);
  EXPECT_EQ(found[0].size, 30000u);
}

// With salvage, a tape file that lost records to damage says so in its row,
// not only in VolumeIndex::damage.
TEST(IndexImage, AFileWithADamagedRegionSaysSoInItsRow) {
  TempDir dir;
  std::string path = dir.file("damaged.tap");
  std::vector<ScriptFile> files;
  for (uint32_t f = 0; f < 3; ++f) {
    ScriptFile sf;
    for (uint32_t r = 0; r < 5; ++r) sf.records.push_back(pattern_bytes(1000, f * 10 + r));
    files.push_back(sf);
  }
  {
    auto img = create_tape(path, Format::kSimh);
    RecordingWriter w(*img, nullptr);
    w.write(files);
    w.stop();
  }
  // File 1, record 2: its trailing length word no longer matches.
  uint64_t record = 5 * 1008 + 4 + 2 * 1008;
  auto bytes = read_file_bytes(path);
  bytes[record + 4 + 1000] ^= 0x01;  // the trailing length word
  write_file_bytes(path, bytes);
  auto img = open_tape(path, Format::kSimh, false);
  VolumeIndex index;
  ASSERT_TRUE(index_image(*img, /*salvage=*/true, kDefaultDigest, &index).is_ok());
  ASSERT_EQ(index.damage.size(), 1u);
  ASSERT_EQ(index.files.size(), 3u);
  EXPECT_EQ(index.files[0].row.damage, "");
  EXPECT_EQ(index.files[2].row.damage, "");
  EXPECT_EQ(index.files[2].row.records, 5u);
  EXPECT_NE(index.files[1].row.damage, "") << describe_row(index.files[1].row);
  EXPECT_NE(index.files[1].row.damage.find(std::to_string(record)), std::string::npos) << index.files[1].row.damage;
}

TEST(IndexImage, WithoutSalvageIndexingStopsAtDamage) {
  TempDir dir;
  std::string path = dir.file("damaged.tap");
  std::vector<ScriptFile> files;
  for (uint32_t f = 0; f < 3; ++f) {
    ScriptFile sf;
    for (uint32_t r = 0; r < 5; ++r) sf.records.push_back(pattern_bytes(1000, f * 10 + r));
    files.push_back(sf);
  }
  {
    auto img = create_tape(path, Format::kSimh);
    RecordingWriter w(*img, nullptr);
    w.write(files);
    w.stop();
  }
  uint64_t record = 5 * 1008 + 4 + 2 * 1008;
  auto bytes = read_file_bytes(path);
  bytes[record + 4 + 1000] ^= 0x01;  // the trailing length word
  write_file_bytes(path, bytes);
  auto img = open_tape(path, Format::kSimh, false);
  VolumeIndex index;
  ASSERT_TRUE(index_image(*img, /*salvage=*/false, kDefaultDigest, &index).is_ok());
  ASSERT_EQ(index.damage.size(), 1u);
  EXPECT_EQ(index.damage[0].start, record);
  EXPECT_EQ(index.end_of_data, record);
  ASSERT_EQ(index.files.size(), 2u);
  EXPECT_EQ(index.files[1].row.records, 2u);
  EXPECT_FALSE(index.files[1].row.closed_cleanly);
}

TEST(IndexImage, AnEmptyTape) {
  TempDir dir;
  std::string path = dir.file("empty.tap");
  { auto img = create_tape(path, Format::kSimh); }
  VolumeIndex index = index_of(path, Format::kSimh);
  EXPECT_TRUE(index.files.empty());
  EXPECT_EQ(index.end_of_data, 0u);
}

}  // namespace
}  // namespace vtape::testing
