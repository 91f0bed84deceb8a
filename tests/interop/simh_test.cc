// Interoperability with SIMH's mtdump (Debian package `simh`, version
// 3.8): SIMH, MTD and E11 images written by vtape, and SIMH images made by
// `vtape convert`, are listed by mtdump record for record, at the same byte
// positions, with the same lengths and error flags that were written and
// that `vtape dump --records --json` reports.
//
// mtdump 3.8 rules this test follows:
//  - it stops at two tape marks in a row ("end of logical tape"), so what
//    follows a double filemark is checked against vtape dump only;
//  - it refuses records longer than 65,536 bytes, so none here is longer;
//  - it prints "Error marker at record N" before a record whose length word
//    has bit 31 set.
// The program is required: a missing mtdump is a test failure that names
// the package to install.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>
#include <ostream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tapeformat/tape_format.h"
#include "tapeformat/tape_image.h"
#include "tests/interop/json_reader.h"
#include "tests/test_support.h"

namespace vtape {
namespace {

namespace vt = ::vtape::testing;
using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

#define REQUIRE_MTDUMP()                                                                      \
  do {                                                                                        \
    if (!vt::have_program("mtdump")) {                                                        \
      FAIL() << "'mtdump' is not on PATH: install the Debian package 'simh' (apt-get install " \
                "simh)";                                                                      \
    }                                                                                         \
  } while (0)

// The JSON reader for vtape --json output is in json_reader.h.
using interop::Json;
using interop::parse_json;

// ---------------------------------------------------------------------------
// What is written: tape files of records (some flagged as read with an
// error), each tape file followed by a filemark.

struct Rec {
  std::vector<uint8_t> data;
  bool error = false;
};
using TapeFile = std::vector<Rec>;
using Plan = std::vector<TapeFile>;

// One object of the tape as it must be, with its byte offset computed here
// from the SIMH framing rules (not by vtape).
struct Expected {
  bool filemark = false;
  uint64_t offset = 0;
  uint64_t file = 0;   // 0-based tape file
  uint64_t block = 0;  // 0-based record number in the file
  uint64_t length = 0;
  bool error = false;
};

std::vector<Expected> expected_objects(const Plan& plan, bool padded) {
  std::vector<Expected> out;
  uint64_t offset = 0;
  for (size_t f = 0; f < plan.size(); ++f) {
    for (size_t b = 0; b < plan[f].size(); ++b) {
      const Rec& r = plan[f][b];
      Expected e;
      e.offset = offset;
      e.file = f;
      e.block = b;
      e.length = r.data.size();
      e.error = r.error;
      out.push_back(e);
      offset += 8 + r.data.size() + (padded ? (r.data.size() & 1) : 0);
    }
    Expected tm;
    tm.filemark = true;
    tm.offset = offset;
    tm.file = f;
    out.push_back(tm);
    offset += 4;
  }
  return out;
}

uint64_t expected_size(const Plan& plan, bool padded) {
  uint64_t size = 0;
  for (const auto& file : plan) {
    for (const auto& r : file) size += 8 + r.data.size() + (padded ? (r.data.size() & 1) : 0);
    size += 4;
  }
  return size;
}

AssertionResult write_plan(const std::string& path, Format format, const WriteOptions& options,
                           const Plan& plan) {
  std::unique_ptr<TapeImage> tape;
  Status s = TapeImage::create(path, format, options, /*overwrite=*/true, &tape);
  if (!s.is_ok()) return AssertionFailure() << "creating " << path << ": " << s.message();
  for (const auto& file : plan) {
    for (const auto& rec : file) {
      s = tape->write_record(rec.data, rec.error);
      if (!s.is_ok()) return AssertionFailure() << "writing a record: " << tape->describe(s);
    }
    s = tape->write_filemark();
    if (!s.is_ok()) return AssertionFailure() << "writing a filemark: " << tape->describe(s);
  }
  s = tape->sync();
  if (s.is_ok()) s = tape->close();
  if (!s.is_ok()) return AssertionFailure() << "closing " << path << ": " << s.message();
  return AssertionSuccess();
}

// Reads the image back through TapeImage and compares every record's bytes
// and error flag, and every filemark, with the plan.
AssertionResult reads_back(const std::string& path, const Plan& plan) {
  std::unique_ptr<TapeImage> tape;
  Status s = TapeImage::open(path, OpenOptions{}, &tape);
  if (!s.is_ok()) return AssertionFailure() << "opening " << path << ": " << s.message();
  for (size_t f = 0; f < plan.size(); ++f) {
    for (size_t b = 0; b <= plan[f].size(); ++b) {
      TapeObject obj;
      std::vector<uint8_t> data;
      s = tape->read(&obj, &data);
      if (!s.is_ok()) return AssertionFailure() << "reading: " << tape->describe(s);
      if (b == plan[f].size()) {
        if (obj.kind != ObjectKind::kFilemark) {
          return AssertionFailure() << "tape file " << f << ": expected a filemark after " << b
                                    << " records at byte " << obj.offset;
        }
        continue;
      }
      const Rec& want = plan[f][b];
      if (obj.kind != ObjectKind::kRecord) {
        return AssertionFailure() << "tape file " << f << " record " << b << ": not a record at byte " << obj.offset;
      }
      if (data != want.data) {
        return AssertionFailure() << "tape file " << f << " record " << b << ": " << data.size()
                                  << " bytes read differ from the " << want.data.size() << " written";
      }
      if (obj.error_flag != want.error) {
        return AssertionFailure() << "tape file " << f << " record " << b << ": error flag "
                                  << obj.error_flag << ", written " << want.error;
      }
    }
  }
  TapeObject end;
  s = tape->read(&end, nullptr);
  if (!s.is_ok()) return AssertionFailure() << "reading: " << tape->describe(s);
  if (end.kind != ObjectKind::kEndOfData) {
    return AssertionFailure() << "more objects after the last one written, at byte " << end.offset;
  }
  return AssertionSuccess();
}

// ---------------------------------------------------------------------------
// mtdump's listing.

struct MtObject {
  enum class Kind { kRecord, kEndOfFile, kLogicalEnd };
  Kind kind = Kind::kRecord;
  uint64_t obj = 0;        // mtdump's object number, from 1
  uint64_t position = 0;   // byte offset
  uint64_t tape_file = 0;  // from 1 (records and end-of-file marks)
  uint64_t record = 0;     // from 1 in its tape file (records)
  uint64_t length = 0;     // (records)
  bool error = false;      // announced by "Error marker at record N"

  bool operator==(const MtObject&) const = default;
};

struct MtListing {
  std::vector<MtObject> objects;
  bool physical_end = false;  // "End of physical tape"
};

std::string describe(const MtObject& o) {
  std::ostringstream s;
  s << "Obj " << o.obj << ", position " << o.position << ", ";
  switch (o.kind) {
    case MtObject::Kind::kRecord:
      s << "tape file " << o.tape_file << " record " << o.record << ", length " << o.length
        << (o.error ? " (error marker)" : "");
      break;
    case MtObject::Kind::kEndOfFile: s << "end of tape file " << o.tape_file; break;
    case MtObject::Kind::kLogicalEnd: s << "end of logical tape"; break;
  }
  return s.str();
}

AssertionResult run_mtdump(const std::string& image, const std::string& option, MtListing* listing,
                           std::string* raw_output = nullptr) {
  *listing = MtListing{};
  std::string command = "mtdump " + (option.empty() ? "" : option + " ") + vt::shell_quote(image);
  vt::CommandResult r = vt::run_command(command);
  if (raw_output) *raw_output = r.out;
  if (r.exit_code != 0) {
    return AssertionFailure() << command << " exited " << r.exit_code << "\nstdout:\n" << r.out
                              << "\nstderr:\n" << r.err;
  }
  static const std::regex kInput(R"(Processing input file (.+))");
  static const std::regex kTapeFile(R"(Processing tape file (\d+))");
  static const std::regex kRecord(R"(Obj (\d+), position (\d+), record (\d+), length = (\d+) \(0x([0-9A-Fa-f]+)\))");
  static const std::regex kEndOfFile(R"(Obj (\d+), position (\d+), end of tape file (\d+))");
  static const std::regex kLogicalEnd(R"(Obj (\d+), position (\d+), end of logical tape)");
  static const std::regex kErrorMarker(R"(Error marker at record (\d+))");
  static const std::regex kPhysicalEnd(R"(End of physical tape)");

  uint64_t tape_file = 0;
  uint64_t error_record = 0;  // 0: no marker pending
  bool ended = false;
  std::istringstream in(r.out);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (ended) return AssertionFailure() << "mtdump printed '" << line << "' after the end\n" << r.out;
    if (std::regex_match(line, m, kInput)) continue;
    if (std::regex_match(line, m, kTapeFile)) {
      tape_file = std::stoull(m[1]);
      continue;
    }
    if (std::regex_match(line, m, kErrorMarker)) {
      error_record = std::stoull(m[1]);
      continue;
    }
    MtObject o;
    if (std::regex_match(line, m, kRecord)) {
      o.kind = MtObject::Kind::kRecord;
      o.record = std::stoull(m[3]);
      o.length = std::stoull(m[4]);
      if (std::stoull(m[5].str(), nullptr, 16) != o.length) {
        return AssertionFailure() << "mtdump's decimal and hex lengths differ: '" << line << "'";
      }
      if (error_record != 0) {
        if (error_record != o.record) {
          return AssertionFailure() << "error marker for record " << error_record << " before record "
                                    << o.record << "\n" << r.out;
        }
        o.error = true;
        error_record = 0;
      }
      o.tape_file = tape_file;
    } else if (std::regex_match(line, m, kEndOfFile)) {
      o.kind = MtObject::Kind::kEndOfFile;
      o.tape_file = std::stoull(m[3]);
    } else if (std::regex_match(line, m, kLogicalEnd)) {
      o.kind = MtObject::Kind::kLogicalEnd;
      ended = true;
    } else if (std::regex_match(line, m, kPhysicalEnd)) {
      listing->physical_end = true;
      ended = true;
      continue;
    } else {
      return AssertionFailure() << "mtdump printed a line this test does not understand: '" << line
                                << "'\nfull output:\n" << r.out;
    }
    o.obj = std::stoull(m[1]);
    o.position = std::stoull(m[2]);
    listing->objects.push_back(o);
  }
  if (!ended) return AssertionFailure() << "mtdump's listing has no end line:\n" << r.out;
  if (error_record != 0) return AssertionFailure() << "an error marker with no record after it:\n" << r.out;
  return AssertionSuccess();
}

// What mtdump must print for these objects: objects numbered from 1, tape
// files from 1, records from 1 in each file; a tape mark right after a tape
// mark is the logical end and mtdump stops there; otherwise it reaches the
// physical end.
MtListing expected_listing(const std::vector<Expected>& objects) {
  MtListing l;
  bool after_mark = false;
  uint64_t tape_file = 1;
  for (size_t i = 0; i < objects.size(); ++i) {
    const Expected& e = objects[i];
    MtObject o;
    o.obj = i + 1;
    o.position = e.offset;
    if (!e.filemark) {
      o.kind = MtObject::Kind::kRecord;
      o.tape_file = tape_file;
      o.record = e.block + 1;
      o.length = e.length;
      o.error = e.error;
      after_mark = false;
    } else if (after_mark) {
      o.kind = MtObject::Kind::kLogicalEnd;
      l.objects.push_back(o);
      return l;
    } else {
      o.kind = MtObject::Kind::kEndOfFile;
      o.tape_file = tape_file++;
      after_mark = true;
    }
    l.objects.push_back(o);
  }
  l.physical_end = true;
  return l;
}

AssertionResult same_listing(const MtListing& expected, const MtListing& actual) {
  size_t n = std::min(expected.objects.size(), actual.objects.size());
  for (size_t i = 0; i < n; ++i) {
    if (!(expected.objects[i] == actual.objects[i])) {
      return AssertionFailure() << "object " << i + 1 << ": mtdump listed '" << describe(actual.objects[i])
                                << "', expected '" << describe(expected.objects[i]) << "'";
    }
  }
  if (expected.objects.size() != actual.objects.size()) {
    return AssertionFailure() << "mtdump listed " << actual.objects.size() << " objects, expected "
                              << expected.objects.size();
  }
  if (expected.physical_end != actual.physical_end) {
    return AssertionFailure() << "mtdump " << (actual.physical_end ? "reached" : "did not reach")
                              << " the physical end of the tape";
  }
  return AssertionSuccess();
}

// `vtape dump --records --json` against the expected objects: every record
// and filemark, with offsets, lengths, files, blocks and error flags; and the
// totals.
void expect_vtape_dump(const std::string& image, const std::string& format_name,
                       const std::vector<Expected>& objects, uint64_t size) {
  vt::CommandResult d = vt::run_vtape("dump --records --json " + vt::shell_quote(image));
  ASSERT_EQ(d.exit_code, 0) << "vtape dump failed:\n" << d.err;
  Json dump = parse_json(d.out);
  EXPECT_EQ(dump["format"].str(), format_name);
  EXPECT_EQ(dump["size"].u64(), size);
  EXPECT_EQ(dump["end_of_data"].u64(), size);
  EXPECT_EQ(dump["damage"].size(), 0u);
  const Json& list = dump["objects"];
  ASSERT_EQ(list.size(), objects.size()) << "vtape dump lists a different number of objects";
  uint64_t records = 0, marks = 0, bytes = 0;
  for (size_t i = 0; i < objects.size(); ++i) {
    const Expected& e = objects[i];
    const Json& o = list[i];
    SCOPED_TRACE("object " + std::to_string(i) + " at byte " + std::to_string(e.offset));
    EXPECT_EQ(o["offset"].u64(), e.offset);
    EXPECT_EQ(o["file"].u64(), e.file);
    if (e.filemark) {
      EXPECT_EQ(o["type"].str(), "filemark");
      ++marks;
    } else {
      EXPECT_EQ(o["type"].str(), "record");
      EXPECT_EQ(o["block"].i64(), static_cast<int64_t>(e.block));
      EXPECT_EQ(o["length"].u64(), e.length);
      EXPECT_EQ(o["error"].flag(), e.error);
      ++records;
      bytes += e.length;
    }
  }
  EXPECT_EQ(dump["records"].u64(), records);
  EXPECT_EQ(dump["filemarks"].u64(), marks);
  EXPECT_EQ(dump["bytes"].u64(), bytes);
}

// vtape dump and mtdump list the same objects (as far as mtdump reads).
void expect_dump_agrees_with_mtdump(const std::string& image, const MtListing& listing) {
  vt::CommandResult d = vt::run_vtape("dump --records --json " + vt::shell_quote(image));
  ASSERT_EQ(d.exit_code, 0) << d.err;
  Json list = parse_json(d.out)["objects"];
  ASSERT_LE(listing.objects.size(), list.size()) << "mtdump listed more objects than vtape";
  for (size_t i = 0; i < listing.objects.size(); ++i) {
    const MtObject& m = listing.objects[i];
    const Json& o = list[i];
    SCOPED_TRACE("mtdump " + describe(m));
    EXPECT_EQ(o["offset"].u64(), m.position);
    if (m.kind == MtObject::Kind::kRecord) {
      ASSERT_EQ(o["type"].str(), "record");
      EXPECT_EQ(o["length"].u64(), m.length);
      EXPECT_EQ(o["error"].flag(), m.error);
      EXPECT_EQ(o["block"].i64() + 1, static_cast<int64_t>(m.record));
      EXPECT_EQ(o["file"].u64() + 1, m.tape_file);
    } else {
      ASSERT_EQ(o["type"].str(), "filemark");
      if (m.kind == MtObject::Kind::kEndOfFile) {
        EXPECT_EQ(o["file"].u64() + 1, m.tape_file);
      }
    }
  }
  if (listing.physical_end) {
    EXPECT_EQ(list.size(), listing.objects.size()) << "vtape lists objects past mtdump's physical end";
  }
}

// ---------------------------------------------------------------------------
// Tapes.

Rec rec(size_t n, uint32_t seed, bool error = false) { return Rec{vt::pattern_bytes(n, seed), error}; }

// Odd and even lengths from 1 byte to 65,536 (mtdump's limit), error-flagged
// records at the start, middle and end of files, a file of many records of
// pseudo-random sizes, and an empty last file (the tape ends with two
// filemarks, where mtdump stops).
Plan odd_sizes_plan() {
  Plan plan(4);
  plan[0] = {rec(1, 1), rec(2, 2), rec(3, 3, true), rec(513, 4), rec(65535, 5), rec(65536, 6),
             rec(7, 7, true), rec(1, 8)};
  std::vector<uint8_t> sizes = vt::pattern_bytes(600, 9);
  for (int i = 0; i < 300; ++i) {
    size_t n = 1 + ((size_t(sizes[2 * i]) << 8 | sizes[2 * i + 1]) % 9000);
    plan[1].push_back(rec(n, 1000 + i, i % 41 == 40));
  }
  plan[2] = {rec(1, 11, true)};
  // plan[3] is empty.
  return plan;
}

// Empty tape files first, in the middle and at the end: mtdump stops at the
// first double filemark (after tape file 2 here); vtape lists everything.
Plan empty_files_plan() {
  Plan plan(6);
  plan[1] = {rec(5, 21), rec(80, 22), rec(1, 23, true), rec(4097, 24), rec(9, 25)};
  plan[3] = {rec(3, 26), rec(2, 27), rec(65535, 28)};
  return plan;
}

// Several files and a single filemark at the end: mtdump reads to the
// physical end.
Plan single_final_filemark_plan() {
  Plan plan(3);
  plan[0] = {rec(1, 31), rec(99, 32, true)};
  plan[1] = {rec(32768, 33), rec(32767, 34), rec(1, 35)};
  plan[2] = {rec(12345, 36), rec(1, 37, true)};
  return plan;
}

struct Container {
  const char* name;
  Format format;
  const char* extension;
  const char* mtdump_option;  // -s SIMH (the default), -e E11
  const char* vtape_format;   // as vtape dump names it
  bool padded;
};

struct PlanCase {
  const char* name;
  Plan (*make)();
};

const Container kContainers[] = {
    {"Simh", Format::kSimh, ".tap", "", "simh", true},
    {"Mtd", Format::kMtd, ".mtd", "", "mtd", true},
    {"E11", Format::kE11, ".e11", "-e", "e11", false},
};

const PlanCase kPlans[] = {
    {"OddSizesAndErrors", odd_sizes_plan},
    {"EmptyFiles", empty_files_plan},
    {"SingleFinalFilemark", single_final_filemark_plan},
};

void PrintTo(const Container& c, std::ostream* os) { *os << c.name; }
void PrintTo(const PlanCase& p, std::ostream* os) { *os << p.name; }

class MtdumpReadsVtape : public ::testing::TestWithParam<std::tuple<Container, PlanCase>> {};

TEST_P(MtdumpReadsVtape, ListsEveryRecordWhereVtapeWroteIt) {
  REQUIRE_MTDUMP();
  const Container& c = std::get<0>(GetParam());
  const Plan plan = std::get<1>(GetParam()).make();
  vt::TempDir dir;
  std::string image = dir.file(std::string("vtape") + c.extension);
  ASSERT_TRUE(write_plan(image, c.format, WriteOptions{}, plan));
  EXPECT_EQ(vt::read_file_bytes(image).size(), expected_size(plan, c.padded));

  std::vector<Expected> objects = expected_objects(plan, c.padded);
  MtListing listing;
  ASSERT_TRUE(run_mtdump(image, c.mtdump_option, &listing));
  EXPECT_TRUE(same_listing(expected_listing(objects), listing));
  expect_vtape_dump(image, c.vtape_format, objects, expected_size(plan, c.padded));
  expect_dump_agrees_with_mtdump(image, listing);
  EXPECT_TRUE(reads_back(image, plan));
  vt::CommandResult v = vt::run_vtape("verify " + vt::shell_quote(image));
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

INSTANTIATE_TEST_SUITE_P(
    interop, MtdumpReadsVtape,
    ::testing::Combine(::testing::ValuesIn(kContainers), ::testing::ValuesIn(kPlans)),
    [](const ::testing::TestParamInfo<std::tuple<Container, PlanCase>>& info) {
      return std::string(std::get<0>(info.param).name) + "_" + std::get<1>(info.param).name;
    });

// An .mtd image is a SIMH image: the same bytes for the same tape, and the
// same mtdump listing.
class MtdumpReadsVtapeMtd : public ::testing::TestWithParam<PlanCase> {};

TEST_P(MtdumpReadsVtapeMtd, MtdIsSimhFramed) {
  REQUIRE_MTDUMP();
  vt::TempDir dir;
  Plan plan = GetParam().make();
  std::string tap = dir.file("same.tap");
  std::string mtd = dir.file("same.mtd");
  ASSERT_TRUE(write_plan(tap, Format::kSimh, WriteOptions{}, plan));
  ASSERT_TRUE(write_plan(mtd, Format::kMtd, WriteOptions{}, plan));
  EXPECT_TRUE(vt::read_file_bytes(tap) == vt::read_file_bytes(mtd)) << "the .mtd image is not SIMH-framed";
  MtListing from_tap, from_mtd;
  ASSERT_TRUE(run_mtdump(tap, "", &from_tap));
  ASSERT_TRUE(run_mtdump(mtd, "", &from_mtd));
  EXPECT_TRUE(same_listing(from_tap, from_mtd));
  EXPECT_FALSE(from_mtd.objects.empty());
}

INSTANTIATE_TEST_SUITE_P(interop, MtdumpReadsVtapeMtd, ::testing::ValuesIn(kPlans),
                         [](const ::testing::TestParamInfo<PlanCase>& info) { return std::string(info.param.name); });

// `vtape convert` from AWS / HET to SIMH (and MTD): mtdump lists exactly the
// records written to the source, at SIMH positions.
struct ConvertCase {
  const char* name;
  Format from;
  const char* from_extension;
  Compression compression;
  const char* to_extension;
  const char* to_format;
};

void PrintTo(const ConvertCase& c, std::ostream* os) { *os << c.name; }

class MtdumpReadsConverted : public ::testing::TestWithParam<ConvertCase> {};

TEST_P(MtdumpReadsConverted, ListsTheSourceRecords) {
  REQUIRE_MTDUMP();
  const ConvertCase& c = GetParam();
  vt::TempDir dir;
  // Like odd_sizes_plan but without error flags (AWS cannot keep them) and
  // with records split over several 4,096-byte chunks in the source.
  Plan plan = odd_sizes_plan();
  for (auto& file : plan) {
    for (auto& r : file) r.error = false;
  }
  plan[0].push_back(Rec{std::vector<uint8_t>(50001, 0x40), false});  // compressible, odd
  std::string src = dir.file(std::string("source") + c.from_extension);
  std::string out = dir.file(std::string("converted") + c.to_extension);
  WriteOptions options;
  options.compression = c.compression;
  options.chunk_size = 4096;
  ASSERT_TRUE(write_plan(src, c.from, options, plan));

  vt::CommandResult r = vt::run_vtape("convert " + vt::shell_quote(src) + " " + vt::shell_quote(out) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json summary = parse_json(r.out);
  EXPECT_EQ(summary["output_format"].str(), c.to_format);
  EXPECT_EQ(summary["damaged_regions"].u64(), 0u);

  std::vector<Expected> objects = expected_objects(plan, /*padded=*/true);
  EXPECT_EQ(vt::read_file_bytes(out).size(), expected_size(plan, true));
  MtListing listing;
  ASSERT_TRUE(run_mtdump(out, "", &listing));
  EXPECT_TRUE(same_listing(expected_listing(objects), listing));
  expect_vtape_dump(out, c.to_format, objects, expected_size(plan, true));
  EXPECT_TRUE(reads_back(out, plan));
}

const ConvertCase kConvertCases[] = {
    {"AwsToSimh", Format::kAws, ".aws", Compression::kNone, ".tap", "simh"},
    {"HetZlibToSimh", Format::kHet, ".het", Compression::kZlib, ".tap", "simh"},
    {"HetBzip2ToSimh", Format::kHet, ".het", Compression::kBzip2, ".tap", "simh"},
    {"AwsToMtd", Format::kAws, ".aws", Compression::kNone, ".mtd", "mtd"},
};

INSTANTIATE_TEST_SUITE_P(interop, MtdumpReadsConverted, ::testing::ValuesIn(kConvertCases),
                         [](const ::testing::TestParamInfo<ConvertCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace vtape
