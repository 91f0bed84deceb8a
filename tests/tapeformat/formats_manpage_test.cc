// Golden test for the WORKED EXAMPLE section of man/vtape-formats.5: the hex
// dumps printed there must be exactly the bytes vtape writes for the example
// tape, and vtape must read those bytes back as that tape.
//
// Each dump sits between the comment lines
//   .\" BEGIN EXAMPLE <name>
//   .\" END EXAMPLE <name>
// in the layout "OFFSET: HEX BYTES" (4 upper-case hex digits of offset, then
// up to 16 bytes as upper-case hex pairs separated by single spaces).
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tapeformat/tape_image.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

const char* const kManPage = VTAPE_SOURCE_DIR "/man/vtape-formats.5";

// One object of the example tape: a record's bytes, or a filemark.
struct ExampleObject {
  bool filemark = false;
  std::string data;
};

// HELLO, TAPE, filemark, END, filemark, filemark.
const std::vector<ExampleObject>& example_tape() {
  static const std::vector<ExampleObject> tape = {
      {false, "HELLO"}, {false, "TAPE"}, {true, ""}, {false, "END"}, {true, ""}, {true, ""},
  };
  return tape;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool is_upper_hex(char c) { return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'A' && c <= 'F'); }

int hex_value(char c) { return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'A' + 10; }

// Parses one dump line "OOOO: XX XX ...".  Returns false (with a reason) when
// the line does not have exactly that layout.
bool parse_dump_line(const std::string& line, uint32_t* offset, std::vector<uint8_t>* bytes,
                     std::string* why) {
  if (line.size() < 8 || line[4] != ':' || line[5] != ' ') {
    *why = "does not start with 'OOOO: '";
    return false;
  }
  *offset = 0;
  for (int i = 0; i < 4; ++i) {
    if (!is_upper_hex(line[i])) {
      *why = "offset is not 4 upper-case hex digits";
      return false;
    }
    *offset = *offset * 16 + static_cast<uint32_t>(hex_value(line[i]));
  }
  bytes->clear();
  size_t at = 6;
  for (;;) {
    if (at + 2 > line.size() || !is_upper_hex(line[at]) || !is_upper_hex(line[at + 1])) {
      *why = "byte at column " + std::to_string(at) + " is not two upper-case hex digits";
      return false;
    }
    bytes->push_back(static_cast<uint8_t>(hex_value(line[at]) * 16 + hex_value(line[at + 1])));
    at += 2;
    if (at == line.size()) break;
    if (line[at] != ' ') {
      *why = "bytes are not separated by single spaces";
      return false;
    }
    ++at;
  }
  if (bytes->size() > 16) {
    *why = "more than 16 bytes on one line";
    return false;
  }
  return true;
}

// The bytes of the example block `name`, or nullopt (with a test failure
// saying why) when the block is missing or malformed.
std::optional<std::vector<uint8_t>> example_bytes(const std::string& name) {
  std::string text = read_text(kManPage);
  if (text.empty()) {
    ADD_FAILURE() << "cannot read " << kManPage;
    return std::nullopt;
  }
  const std::string begin = ".\\\" BEGIN EXAMPLE " + name;
  const std::string end = ".\\\" END EXAMPLE " + name;
  std::istringstream in(text);
  std::string line;
  bool inside = false, found_begin = false, found_end = false;
  int line_number = 0;
  std::vector<uint8_t> bytes;
  bool short_line_seen = false;
  while (std::getline(in, line)) {
    ++line_number;
    if (line == begin) {
      if (found_begin) {
        ADD_FAILURE() << kManPage << ":" << line_number << ": second BEGIN EXAMPLE " << name;
        return std::nullopt;
      }
      found_begin = inside = true;
      continue;
    }
    if (line == end) {
      if (!inside) {
        ADD_FAILURE() << kManPage << ":" << line_number << ": END EXAMPLE " << name << " without BEGIN";
        return std::nullopt;
      }
      inside = false;
      found_end = true;
      break;
    }
    if (!inside) continue;
    uint32_t offset = 0;
    std::vector<uint8_t> line_bytes;
    std::string why;
    if (!parse_dump_line(line, &offset, &line_bytes, &why)) {
      ADD_FAILURE() << kManPage << ":" << line_number << ": example " << name << ": '" << line
                    << "': " << why;
      return std::nullopt;
    }
    if (offset != bytes.size()) {
      ADD_FAILURE() << kManPage << ":" << line_number << ": example " << name << ": offset "
                    << offset << " where byte " << bytes.size() << " comes next";
      return std::nullopt;
    }
    if (short_line_seen) {
      ADD_FAILURE() << kManPage << ":" << line_number << ": example " << name
                    << ": a line with fewer than 16 bytes is not the last";
      return std::nullopt;
    }
    short_line_seen = line_bytes.size() < 16;
    bytes.insert(bytes.end(), line_bytes.begin(), line_bytes.end());
  }
  if (!found_begin || !found_end) {
    ADD_FAILURE() << kManPage << ": example block " << name << " not found (or not closed)";
    return std::nullopt;
  }
  if (bytes.empty()) {
    ADD_FAILURE() << kManPage << ": example block " << name << " is empty";
    return std::nullopt;
  }
  return bytes;
}

// Writes the example tape as `format` with default options.
std::vector<uint8_t> write_example(const std::string& path, Format format) {
  std::unique_ptr<TapeImage> img;
  Status s = TapeImage::create(path, format, WriteOptions{}, true, &img);
  EXPECT_TRUE(s.is_ok()) << s.message();
  if (!s.is_ok()) return {};
  for (const auto& o : example_tape()) {
    if (o.filemark) {
      s = img->write_filemark();
    } else {
      std::vector<uint8_t> data(o.data.begin(), o.data.end());
      s = img->write_record(data);
    }
    EXPECT_TRUE(s.is_ok()) << img->describe(s);
  }
  s = img->close();
  EXPECT_TRUE(s.is_ok()) << s.message();
  return read_file_bytes(path);
}

std::string hex(const std::vector<uint8_t>& bytes) {
  std::string out;
  static const char digits[] = "0123456789ABCDEF";
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out += (i % 16 == 0) ? '\n' : ' ';
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
  }
  return out;
}

// Opens `path` with format detection, checks the detected format, reads the
// whole tape forward and then steps back over it to the beginning.
void expect_reads_as_example(const std::string& path, Format expected_format) {
  std::unique_ptr<TapeImage> img;
  Status s = TapeImage::open(path, OpenOptions{}, &img);
  ASSERT_TRUE(s.is_ok()) << s.message_for(path);
  EXPECT_EQ(format_name(img->format()), format_name(expected_format));

  const auto& tape = example_tape();
  std::vector<uint8_t> data;
  for (size_t i = 0; i < tape.size(); ++i) {
    TapeObject obj;
    s = img->read(&obj, &data);
    ASSERT_TRUE(s.is_ok()) << img->describe(s);
    if (tape[i].filemark) {
      EXPECT_EQ(obj.kind, ObjectKind::kFilemark) << "object " << i;
    } else {
      ASSERT_EQ(obj.kind, ObjectKind::kRecord) << "object " << i;
      EXPECT_EQ(std::string(data.begin(), data.end()), tape[i].data) << "object " << i;
      EXPECT_EQ(obj.length, tape[i].data.size()) << "object " << i;
      EXPECT_FALSE(obj.error_flag) << "object " << i;
    }
  }
  TapeObject obj;
  s = img->read(&obj, &data);
  ASSERT_TRUE(s.is_ok()) << img->describe(s);
  EXPECT_EQ(obj.kind, ObjectKind::kEndOfData);
  EXPECT_EQ(img->position().offset, img->size());
  EXPECT_EQ(img->position().file, 3u);

  for (size_t i = tape.size(); i-- > 0;) {
    s = img->step_back(&obj);
    ASSERT_TRUE(s.is_ok()) << img->describe(s);
    EXPECT_EQ(obj.kind, tape[i].filemark ? ObjectKind::kFilemark : ObjectKind::kRecord)
        << "object " << i << " read backward";
    if (!tape[i].filemark) {
      EXPECT_EQ(obj.length, tape[i].data.size()) << "object " << i;
    }
  }
  s = img->step_back(&obj);
  ASSERT_TRUE(s.is_ok()) << img->describe(s);
  EXPECT_EQ(obj.kind, ObjectKind::kBeginningOfTape);
  EXPECT_EQ(img->position().offset, 0u);
}

struct Case {
  const char* block;      // example block name in the man page
  Format format;          // format that writes it
  const char* extension;  // file name extension for the image
};

void check_example(const Case& c) {
  SCOPED_TRACE(std::string("example ") + c.block);
  auto expected = example_bytes(c.block);
  ASSERT_TRUE(expected.has_value());
  TempDir dir;
  std::string written = dir.file(std::string("written") + c.extension);
  std::vector<uint8_t> actual = write_example(written, c.format);
  EXPECT_EQ(actual, *expected) << "vtape writes:\n" << hex(actual) << "\nthe man page shows:\n"
                               << hex(*expected);
  // Read the man page's own bytes, not only vtape's output.
  std::string from_page = dir.file(std::string("from-page") + c.extension);
  write_file_bytes(from_page, *expected);
  expect_reads_as_example(from_page, c.format);
}

TEST(FormatsManpage, SimhExampleIsWhatVtapeWrites) { check_example({"simh", Format::kSimh, ".tap"}); }

TEST(FormatsManpage, E11ExampleIsWhatVtapeWrites) { check_example({"e11", Format::kE11, ".e11"}); }

TEST(FormatsManpage, AwsExampleIsWhatVtapeWrites) { check_example({"aws", Format::kAws, ".aws"}); }

// The page says the E11 example is detected as E11 from its content alone
// (it has odd-length records, which SIMH framing cannot read).
TEST(FormatsManpage, E11ExampleIsDetectedWithoutItsExtension) {
  auto bytes = example_bytes("e11");
  ASSERT_TRUE(bytes.has_value());
  TempDir dir;
  std::string p = dir.file("image.bin");
  write_file_bytes(p, *bytes);
  expect_reads_as_example(p, Format::kE11);
}

// The page says: written as MTD, the example gives the SIMH bytes; and MTD
// reads unpadded framing too (the E11 bytes).
TEST(FormatsManpage, MtdWritesTheSimhExampleAndReadsBothFramings) {
  auto simh = example_bytes("simh");
  auto e11 = example_bytes("e11");
  ASSERT_TRUE(simh.has_value() && e11.has_value());
  TempDir dir;
  EXPECT_EQ(write_example(dir.file("written.mtd"), Format::kMtd), *simh);
  std::string padded = dir.file("padded.mtd");
  write_file_bytes(padded, *simh);
  expect_reads_as_example(padded, Format::kMtd);
  std::string unpadded = dir.file("unpadded.mtd");
  write_file_bytes(unpadded, *e11);
  expect_reads_as_example(unpadded, Format::kMtd);
}

// The page says: as HET with default options the example is the AWS bytes,
// because no record shrinks when compressed.
TEST(FormatsManpage, HetWritesTheAwsExample) {
  auto aws = example_bytes("aws");
  ASSERT_TRUE(aws.has_value());
  TempDir dir;
  std::string p = dir.file("written.het");
  EXPECT_EQ(write_example(p, Format::kHet), *aws);
  expect_reads_as_example(p, Format::kHet);
}

}  // namespace
}  // namespace vtape::testing
