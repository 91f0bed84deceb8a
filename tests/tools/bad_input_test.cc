// Bad input through the tools: every damaged image gets a message naming the
// file, the byte offset, what was expected and what was found, and a
// non-zero exit; nothing crashes.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/tapeformat/test_images.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

struct BadCase {
  const char* name;
  Format format;
  std::vector<uint8_t> (*make)();
  uint64_t offset;
  const char* expected_words;
};

std::vector<uint8_t> truncated_simh() {
  std::vector<uint8_t> b;
  put_simh_record(b, pattern_bytes(50, 1));
  put_simh_record(b, pattern_bytes(60, 2));
  b.resize(b.size() - 7);
  return b;
}

std::vector<uint8_t> mismatched_trailer() {
  std::vector<uint8_t> b;
  put_le32(b, 6);
  b.insert(b.end(), 6, 'x');
  put_le32(b, 7);
  return b;
}

std::vector<uint8_t> impossible_length() {
  std::vector<uint8_t> b;
  put_simh_record(b, {'o', 'k'});
  put_le32(b, 0x0FFFFFFF);
  b.resize(b.size() + 100);
  return b;
}

std::vector<uint8_t> broken_aws_chain() {
  std::vector<uint8_t> b;
  for (uint16_t prev : {uint16_t(0), uint16_t(99)}) {
    put_le16(b, 4);
    put_le16(b, prev);
    b.push_back(0xA0);
    b.push_back(0);
    b.insert(b.end(), 4, 'z');
  }
  return b;
}

std::vector<uint8_t> aws_record_never_ends() {
  std::vector<uint8_t> b;
  put_le16(b, 4);
  put_le16(b, 0);
  b.push_back(0x80);
  b.push_back(0);
  b.insert(b.end(), 4, 'z');
  return b;
}

const BadCase kCases[] = {
    {"truncated simh record", Format::kSimh, truncated_simh, 58, "a record of 60 bytes"},
    {"trailer differs from header", Format::kSimh, mismatched_trailer, 10, "trailing length word 0x00000006"},
    {"impossible length", Format::kSimh, impossible_length, 10, "record length of at most"},
    {"broken aws chain", Format::kAws, broken_aws_chain, 12, "previous chunk length 4"},
    {"aws record without end", Format::kAws, aws_record_never_ends, 10, "a 6-byte chunk header"},
};

TEST(BadInput, EveryToolNamesFileOffsetExpectedAndFound) {
  TempDir dir;
  for (const auto& c : kCases) {
    std::string p = dir.file(std::string("bad.") + (c.format == Format::kAws ? "aws" : "tap"));
    write_file_bytes(p, c.make());
    std::string prefix = p + ": at byte " + std::to_string(c.offset) + ": expected ";
    for (const char* tool : {"verify", "dump", "convert"}) {
      bool convert = std::string(tool) == "convert";
      std::string args = std::string(tool) + (convert ? " --from " : " --format ") +
                         std::string(format_name(c.format)) + " " +
                         shell_quote(p) + (std::string(tool) == "convert" ? " " + shell_quote(dir.file("o.tap")) + " --force" : "");
      auto r = run_vtape(args);
      EXPECT_EQ(r.exit_code, 1) << c.name << " / " << tool;
      EXPECT_NE(r.err.find(prefix), std::string::npos) << c.name << " / " << tool << ": " << r.err;
      EXPECT_NE(r.err.find(c.expected_words), std::string::npos) << c.name << " / " << tool << ": " << r.err;
      EXPECT_NE(r.err.find(", found "), std::string::npos) << c.name << " / " << tool << ": " << r.err;
    }
  }
}

TEST(BadInput, RandomBytesAndMissingFiles) {
  TempDir dir;
  std::string p = dir.file("noise.tap");
  auto noise = pattern_bytes(10000, 5);
  noise[0] = noise[1] = noise[2] = noise[3] = noise[4] = 0xEE;
  write_file_bytes(p, noise);
  for (const char* tool : {"info", "dump", "verify"}) {
    auto r = run_vtape(std::string(tool) + " " + shell_quote(p));
    EXPECT_EQ(r.exit_code, 1) << tool;
    EXPECT_NE(r.err.find(p + ": not a tape image vtape can read: at byte 0: expected a tape image"),
              std::string::npos)
        << r.err;
  }
  auto m = run_vtape("verify " + shell_quote(dir.file("missing.tap")));
  EXPECT_EQ(m.exit_code, 1);
  EXPECT_NE(m.err.find("No such file or directory"), std::string::npos) << m.err;
  auto d = run_vtape("verify " + shell_quote(dir.path().string()));
  EXPECT_EQ(d.exit_code, 1);
}

TEST(BadInput, ConvertKeepsWhatPrecedesTheDamage) {
  TempDir dir;
  std::string p = dir.file("bad.tap"), out = dir.file("out.tap");
  write_file_bytes(p, truncated_simh());
  auto r = run_vtape("convert " + shell_quote(p) + " " + shell_quote(out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(read_all(out), (std::vector<Obj>{rec(pattern_bytes(50, 1))}));
  EXPECT_EQ(run_vtape("verify " + shell_quote(out)).exit_code, 0);
}


// ---- damaged images of real archives (issue 13) ------------------------------

// A SIMH image of 32 tape files, each a tar archive of a few small text files
// (as `tar` writes them: 10 KiB records, mostly zeros), written by `vtape
// write`.  Zeros are what TPC, which checks nothing, reads as filemarks.
std::string thirty_two_tar_files(const TempDir& dir) {
  std::string tars;
  for (int i = 1; i <= 32; ++i) {
    std::string d = dir.file("src/d" + std::to_string(i));
    std::filesystem::create_directories(d);
    for (int j = 1; j <= 3; ++j) {
      std::string text = "file " + std::to_string(i) + " " + std::to_string(j) + " hello\n";
      write_file_bytes(d + "/t" + std::to_string(j) + ".txt", std::vector<uint8_t>(text.begin(), text.end()));
    }
    std::string tar = dir.file("d" + std::to_string(i) + ".tar");
    auto t = run_command("tar -cf " + shell_quote(tar) + " -C " + shell_quote(dir.file("src")) + " d" +
                         std::to_string(i));
    EXPECT_EQ(t.exit_code, 0) << t.err;
    tars += " " + shell_quote(tar);
  }
  std::string image = dir.file("good.tap");
  auto w = run_vtape("write " + shell_quote(image) + tars);
  EXPECT_EQ(w.exit_code, 0) << w.err;
  return image;
}

// The byte offset of AWS chunk number `n` (0-based).
uint64_t aws_chunk_offset(const std::vector<uint8_t>& b, int n) {
  uint64_t at = 0;
  for (int i = 0; i < n; ++i) at += 6 + (b[at] | (b[at + 1] << 8));
  return at;
}

// Convert a SIMH image to AWS and flip one bit of a chunk header: the image
// is a damaged AWS image (verify and restore fail, naming the byte), never a
// TPC image.  The same holds without the extension, when the content alone
// decides: the AWS chain read records before the damage, TPC read nothing
// that can be checked.
TEST(DamagedImages, AFlippedChunkHeaderBitIsAwsDamageNotATpcImage) {
  TempDir dir;
  std::string simh = thirty_two_tar_files(dir);
  std::string aws = dir.file("x.aws");
  ASSERT_EQ(run_vtape("convert " + shell_quote(simh) + " " + shell_quote(aws) + " --to aws").exit_code, 0);
  auto bytes = read_file_bytes(aws);
  uint64_t header = aws_chunk_offset(bytes, 40);
  bytes[header + 4] ^= 0x04;  // flags1: a flag no AWS chunk has
  std::string damaged = dir.file("damaged.aws");
  write_file_bytes(damaged, bytes);
  std::string unnamed = dir.file("damaged.img");
  write_file_bytes(unnamed, bytes);
  for (const std::string& image : {damaged, unnamed}) {
    auto v = run_vtape("verify " + shell_quote(image));
    EXPECT_EQ(v.exit_code, 1) << v.out << v.err;
    EXPECT_NE(v.out.find(image + ": damaged aws image: valid up to byte " + std::to_string(header)),
              std::string::npos)
        << v.out << v.err;
    EXPECT_NE(v.err.find(image + ": at byte " + std::to_string(header) + ": expected chunk flags"),
              std::string::npos)
        << v.err;
    auto r = run_vtape("restore " + shell_quote(image) + " --to-image " + shell_quote(dir.file("restored.tap")));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("at byte " + std::to_string(header)), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("restored.tap")));
    std::filesystem::remove(dir.file("restored.tap.vtape-partial"));
  }
}

// A truncated .tap or .e11 is a damaged SIMH or E11 image, reported where the
// cut record begins; `vtape import` makes it a cartridge of that format (not
// a write-protected TPC cartridge of hundreds of tape files) holding the 16
// tape files before the cut.
TEST(DamagedImages, ATruncatedTapOrE11IsReportedAsItsOwnFormat) {
  TempDir dir;
  std::string simh = thirty_two_tar_files(dir);
  auto bytes = read_file_bytes(simh);
  // 16 tape files of one 10240-byte record and a filemark each: 16 * 10252.
  uint64_t cut_record = 16 * (4 + 10240 + 4 + 4);
  bytes.resize(cut_record + 5968);
  for (const char* ext : {"tap", "e11"}) {
    std::string image = dir.file(std::string("T") + ext[0] + "." + ext);
    write_file_bytes(image, bytes);
    std::string format = std::string(ext) == "tap" ? "simh" : "e11";
    auto v = run_vtape("verify " + shell_quote(image));
    EXPECT_EQ(v.exit_code, 1);
    EXPECT_NE(v.out.find(image + ": damaged " + format + " image: valid up to byte " + std::to_string(cut_record) +
                         ": 16 tape files"),
              std::string::npos)
        << v.out << v.err;
    auto lib = dir.file(std::string("lib-") + ext);
    auto i = run_vtape("import --library " + shell_quote(lib) + " " + shell_quote(image));
    EXPECT_NE(i.out.find("imported " + image + " (" + format + ")"), std::string::npos) << i.out << i.err;
    EXPECT_EQ(i.out.find("write-protected"), std::string::npos) << i.out;
    EXPECT_EQ(i.out.find("tpc"), std::string::npos) << i.out;
  }
}

// Importing a damaged image is not a quiet success: the cartridge is made
// (nothing of the image is dropped, and the catalog holds the tape files
// before the damage), but import exits 1 naming the image and the byte
// where the damage begins, and write-protects the cartridge, since writing
// at its end of data would cut off what lies past the damage.
TEST(DamagedImages, ImportingADamagedImageSaysWhereAndProtectsTheCartridge) {
  TempDir dir;
  std::string simh = thirty_two_tar_files(dir);
  auto bytes = read_file_bytes(simh);
  uint64_t cut_record = 16 * (4 + 10240 + 4 + 4);
  bytes.resize(cut_record + 5968);
  std::string image = dir.file("CUT1.tap");
  write_file_bytes(image, bytes);
  std::string lib = dir.file("lib");
  auto i = run_vtape("import --library " + shell_quote(lib) + " " + shell_quote(image));
  EXPECT_EQ(i.exit_code, 1) << i.out << i.err;
  EXPECT_NE(i.out.find("imported " + image + " (simh)"), std::string::npos) << i.out << i.err;
  EXPECT_NE(i.err.find("CUT1: " + image + " is damaged: at byte " + std::to_string(cut_record)), std::string::npos)
      << i.err;
  EXPECT_NE(i.err.find("the cartridge is write-protected"), std::string::npos) << i.err;
  auto cut_bytes = read_file_bytes(lib + "/cartridges/CUT1.cartridge");
  EXPECT_NE(std::string(cut_bytes.begin(), cut_bytes.end()).find("protected 1"), std::string::npos);
  auto ls = run_vtape("ls CUT1 --library " + shell_quote(lib));
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(ls.out.find("  15        1  10240     10240    10240  tar      yes"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("image damaged from byte " + std::to_string(cut_record)), std::string::npos) << ls.out;
  // An intact image still imports quietly, writable.
  std::string whole = dir.file("WHOLE1.tap");
  std::filesystem::copy_file(simh, whole);
  auto w = run_vtape("import --library " + shell_quote(lib) + " " + shell_quote(whole));
  EXPECT_EQ(w.exit_code, 0) << w.out << w.err;
  EXPECT_EQ(w.err, "");
  auto whole_bytes = read_file_bytes(lib + "/cartridges/WHOLE1.cartridge");
  EXPECT_NE(std::string(whole_bytes.begin(), whole_bytes.end()).find("protected 0"), std::string::npos);
}

// Salvage reads past damage only where a checked record corroborates the
// place it resumes: the zeros inside a tar record are not a run of
// filemarks.  One damaged length word in the middle of the 32-file image
// loses that record, not more, and invents no tape file; a truncated image
// reads as the 16 tape files before the cut.
TEST(DamagedImages, SalvageInventsNoTapeFilesFromZerosInsideRecords) {
  TempDir dir;
  std::string simh = thirty_two_tar_files(dir);
  auto bytes = read_file_bytes(simh);
  uint64_t fifth = 5 * (4 + 10240 + 4 + 4);
  auto middle = bytes;
  middle[fifth + 1] ^= 0x10;  // the length word of record 6
  std::string damaged = dir.file("middle.tap");
  write_file_bytes(damaged, middle);
  auto v = run_vtape("verify --salvage " + shell_quote(damaged));
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_NE(v.out.find("1 damaged region(s); readable: 32 tape files, 31 records, 32 filemarks"), std::string::npos)
      << v.out << v.err;
  EXPECT_NE(v.err.find("damaged region: bytes " + std::to_string(fifth) + " to " + std::to_string(fifth + 10248)),
            std::string::npos)
      << v.err;

  auto truncated = bytes;
  truncated.resize(16 * (4 + 10240 + 4 + 4) + 5968);
  std::string cut = dir.file("cut.tap");
  write_file_bytes(cut, truncated);
  auto c = run_vtape("verify --salvage " + shell_quote(cut));
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_NE(c.out.find("1 damaged region(s); readable: 16 tape files, 16 records, 16 filemarks"), std::string::npos)
      << c.out << c.err;
}

}  // namespace
}  // namespace vtape::testing
