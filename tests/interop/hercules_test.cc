// Interoperability with Hercules (Debian package `hercules`, version 3.13):
//  - AWS and HET images written by vtape are read by hetmap (structure) and
//    hetget (data, byte for byte);
//  - images written by hetinit and rewritten by hetupd are read by vtape
//    (info, verify, dump, and record for record through TapeImage).
// Hercules 3.13 handles records of at most 65,535 bytes, so no record here
// is longer.  The programs are required: a missing one is a test failure
// that names the package to install.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tapeformat/aws_format.h"
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

// Fails the current test (returning from it) when a program is missing.
#define REQUIRE_PROGRAM(program, package)                                                    \
  do {                                                                                       \
    if (!vt::have_program(program)) {                                                        \
      FAIL() << "'" << (program) << "' is not on PATH: install the Debian package '"         \
             << (package) << "' (apt-get install " << (package) << ")";                      \
    }                                                                                        \
  } while (0)

#define REQUIRE_HERCULES()                 \
  do {                                     \
    REQUIRE_PROGRAM("hetinit", "hercules"); \
    REQUIRE_PROGRAM("hetmap", "hercules");  \
    REQUIRE_PROGRAM("hetget", "hercules");  \
    REQUIRE_PROGRAM("hetupd", "hercules");  \
  } while (0)

// The JSON reader for vtape --json output is in json_reader.h.
using interop::Json;
using interop::parse_json;

// ---------------------------------------------------------------------------
// Tapes as lists of tape files, each a list of records and ended by a
// filemark.

using Record = std::vector<uint8_t>;
using TapeFile = std::vector<Record>;
using Plan = std::vector<TapeFile>;

enum class Fill { kRandom, kNibbles, kText, kZeros };

// Random bytes do not compress; random nibbles compress to about half (so a
// 65,535-byte record stays longer than a 4,096-byte chunk); text and zeros
// compress well.
Record make_record(size_t n, Fill fill, uint32_t seed) {
  Record r = vt::pattern_bytes(n, seed);
  switch (fill) {
    case Fill::kRandom:
      break;
    case Fill::kNibbles:
      for (auto& b : r) b &= 0x0F;
      break;
    case Fill::kText: {
      static const char* const kWords[] = {"VOLUME ", "RECORD ", "TAPE ", "BLOCK ", "DATASET ",
                                           "HERCULES ", "EMULATED\n", "CHANNEL "};
      Record text;
      for (size_t i = 0; text.size() < n; ++i) {
        const char* w = kWords[r[i % r.size()] % 8];
        text.insert(text.end(), w, w + std::char_traits<char>::length(w));
      }
      text.resize(n);
      r = std::move(text);
      break;
    }
    case Fill::kZeros:
      std::fill(r.begin(), r.end(), 0);
      break;
  }
  return r;
}

// Records of the sizes that matter to AWS/HET readers: 1 byte, odd sizes,
// around a 4,096-byte chunk, 65,535 (the Hercules 3.13 limit); an empty tape
// file; many records of pseudo-random sizes.
Plan mixed_plan() {
  Plan plan(4);
  struct Spec {
    size_t size;
    Fill fill;
  };
  const Spec first[] = {{1, Fill::kRandom},     {3, Fill::kText},       {80, Fill::kText},
                        {4095, Fill::kNibbles}, {4096, Fill::kRandom},  {4097, Fill::kText},
                        {8193, Fill::kNibbles}, {65535, Fill::kNibbles}, {65535, Fill::kRandom},
                        {65535, Fill::kZeros},  {12345, Fill::kText}};
  uint32_t seed = 100;
  for (const auto& s : first) plan[0].push_back(make_record(s.size, s.fill, seed++));
  // plan[1] stays empty: two filemarks in a row.
  std::vector<uint8_t> sizes = vt::pattern_bytes(120, 7);
  const Fill fills[] = {Fill::kRandom, Fill::kNibbles, Fill::kText};
  for (int i = 0; i < 60; ++i) {
    size_t n = 1 + ((size_t(sizes[2 * i]) << 8 | sizes[2 * i + 1]) % 20000);
    if (i % 3 == 0) n |= 1;  // plenty of odd sizes
    plan[2].push_back(make_record(n, fills[i % 3], seed++));
  }
  plan[3].push_back(make_record(1, Fill::kZeros, seed++));
  plan[3].push_back(make_record(65535, Fill::kText, seed++));
  return plan;
}

// Random data for the hetupd round trips.  Hercules 3.13 cannot bzip2 an
// incompressible record close to 65,535 bytes (hetupd -b fails with "HETLIB
// rc: -12, Compression error": the compressed form does not fit its
// buffer), so random records stay at or below 60,000 bytes.
Plan random_plan(uint32_t seed) {
  Plan plan(3);
  std::vector<uint8_t> sizes = vt::pattern_bytes(40, seed);
  for (int i = 0; i < 20; ++i) {
    size_t n = 1 + ((size_t(sizes[2 * i]) << 8 | sizes[2 * i + 1]) % 60000);
    plan[0].push_back(make_record(n, i % 2 == 0 ? Fill::kRandom : Fill::kNibbles, seed + 1 + i));
  }
  plan[2].push_back(make_record(1, Fill::kRandom, seed + 50));
  plan[2].push_back(make_record(59999, Fill::kRandom, seed + 51));
  plan[2].push_back(make_record(65535, Fill::kNibbles, seed + 52));
  return plan;
}

AssertionResult write_plan(const std::string& path, Format format, const WriteOptions& options,
                           const Plan& plan) {
  std::unique_ptr<TapeImage> tape;
  Status s = TapeImage::create(path, format, options, /*overwrite=*/true, &tape);
  if (!s.is_ok()) return AssertionFailure() << "creating " << path << ": " << s.message();
  for (const auto& file : plan) {
    for (const auto& rec : file) {
      s = tape->write_record(rec);
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

// Reads every object of an image through TapeImage (format detected from
// the content) into a Plan.  Records after the last filemark are an error:
// every image here ends with a filemark.
AssertionResult read_plan(const std::string& path, Plan* plan) {
  plan->clear();
  std::unique_ptr<TapeImage> tape;
  Status s = TapeImage::open(path, OpenOptions{}, &tape);
  if (!s.is_ok()) return AssertionFailure() << "opening " << path << ": " << s.message();
  TapeFile current;
  for (;;) {
    TapeObject obj;
    Record data;
    s = tape->read(&obj, &data);
    if (!s.is_ok()) return AssertionFailure() << "reading: " << tape->describe(s);
    if (obj.kind == ObjectKind::kEndOfData) break;
    if (obj.kind == ObjectKind::kFilemark) {
      plan->push_back(std::move(current));
      current.clear();
    } else if (obj.kind == ObjectKind::kRecord) {
      if (obj.length != data.size()) {
        return AssertionFailure() << path << " at byte " << obj.offset << ": TapeObject length "
                                  << obj.length << " but " << data.size() << " bytes of data";
      }
      current.push_back(std::move(data));
    } else {
      return AssertionFailure() << "unexpected object kind reading forward at byte " << obj.offset;
    }
  }
  if (!current.empty()) {
    return AssertionFailure() << path << ": " << current.size() << " record(s) after the last filemark";
  }
  return AssertionSuccess();
}

// Compares two tapes record by record; names the first difference.
AssertionResult same_records(const Plan& expected, const Plan& actual) {
  if (expected.size() != actual.size()) {
    return AssertionFailure() << "expected " << expected.size() << " tape files, found " << actual.size();
  }
  for (size_t f = 0; f < expected.size(); ++f) {
    if (expected[f].size() != actual[f].size()) {
      return AssertionFailure() << "tape file " << f << ": expected " << expected[f].size()
                                << " records, found " << actual[f].size();
    }
    for (size_t r = 0; r < expected[f].size(); ++r) {
      const Record& e = expected[f][r];
      const Record& a = actual[f][r];
      if (e.size() != a.size()) {
        return AssertionFailure() << "tape file " << f << " record " << r << ": expected "
                                  << e.size() << " bytes, found " << a.size();
      }
      auto diff = std::mismatch(e.begin(), e.end(), a.begin());
      if (diff.first != e.end()) {
        return AssertionFailure() << "tape file " << f << " record " << r
                                  << ": bytes differ first at byte " << (diff.first - e.begin());
      }
    }
  }
  return AssertionSuccess();
}

Record concatenated(const TapeFile& file) {
  Record all;
  for (const auto& r : file) all.insert(all.end(), r.begin(), r.end());
  return all;
}

// ---------------------------------------------------------------------------
// The raw AWS/HET chunk chain, read byte by byte here and not by vtape: what
// the writer (vtape or hetupd) really put in the file.

struct RawObject {
  bool tapemark = false;
  size_t chunks = 0;
  uint64_t stored = 0;        // data bytes in all chunks (compressed size)
  uint8_t method = 0;         // flags1 & 0x03 of the record's chunks
  uint32_t largest_chunk = 0;
};

AssertionResult walk_chunks(const std::string& path, std::vector<RawObject>* out) {
  out->clear();
  Record bytes = vt::read_file_bytes(path);
  uint64_t at = 0;
  uint16_t previous = 0;
  bool open = false;
  RawObject rec;
  while (at < bytes.size()) {
    if (at + aws::kHeaderSize > bytes.size()) {
      return AssertionFailure() << path << ": partial chunk header at byte " << at;
    }
    uint16_t length = uint16_t(bytes[at] | bytes[at + 1] << 8);
    uint16_t prev = uint16_t(bytes[at + 2] | bytes[at + 3] << 8);
    uint8_t flags1 = bytes[at + 4];
    if (prev != previous) {
      return AssertionFailure() << path << ": chunk at byte " << at << " gives previous length "
                                << prev << ", the chunk before holds " << previous;
    }
    if (flags1 & aws::kTapeMark) {
      if (open || length != 0) return AssertionFailure() << path << ": bad tape mark at byte " << at;
      RawObject tm;
      tm.tapemark = true;
      out->push_back(tm);
    } else {
      if (flags1 & aws::kStartOfRecord) {
        if (open) return AssertionFailure() << path << ": record restarted at byte " << at;
        open = true;
        rec = RawObject{};
        rec.method = flags1 & aws::kCompressionMask;
      } else if (!open) {
        return AssertionFailure() << path << ": continuation chunk outside a record at byte " << at;
      }
      if ((flags1 & aws::kCompressionMask) != rec.method) {
        return AssertionFailure() << path << ": compression flags change inside a record at byte " << at;
      }
      rec.chunks++;
      rec.stored += length;
      rec.largest_chunk = std::max<uint32_t>(rec.largest_chunk, length);
      if (flags1 & aws::kEndOfRecord) {
        out->push_back(rec);
        open = false;
      }
    }
    at += aws::kHeaderSize + length;
    previous = length;
  }
  if (at != bytes.size()) return AssertionFailure() << path << ": last chunk runs past the end of the file";
  if (open) return AssertionFailure() << path << ": the last record has no end-of-record chunk";
  return AssertionSuccess();
}

// Per tape file: the stored (compressed) sizes of its records.
std::vector<std::vector<uint64_t>> stored_sizes_by_file(const std::vector<RawObject>& raw) {
  std::vector<std::vector<uint64_t>> files(1);
  for (const auto& o : raw) {
    if (o.tapemark) {
      files.emplace_back();
    } else {
      files.back().push_back(o.stored);
    }
  }
  files.pop_back();  // after the last tape mark (empty in every image here)
  return files;
}

// ---------------------------------------------------------------------------
// hetmap's report.

struct HetmapFile {
  uint64_t number = 0;
  uint64_t blocks = 0, min = 0, max = 0, bytes = 0;
  uint64_t min_comp = 0, max_comp = 0, comp_bytes = 0;
};

struct Hetmap {
  std::vector<HetmapFile> files;
  bool have_summary = false;
  uint64_t total_files = 0, total_blocks = 0, total_bytes = 0, total_comp = 0;
  std::vector<std::string> labels;            // label ids in order (VOL1, HDR1, ...)
  std::map<std::string, std::string> vol1;    // VOL1 fields, unquoted, trailing blanks removed
};

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string unquote(const std::string& s) {
  std::string v = s;
  if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') v = v.substr(1, v.size() - 2);
  size_t e = v.find_last_not_of(' ');
  return e == std::string::npos ? "" : v.substr(0, e + 1);
}

bool parse_number(const std::string& text, uint64_t* n) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return false;
  }
  *n = std::stoull(text);
  return true;
}

AssertionResult run_hetmap(const std::string& image, Hetmap* map) {
  *map = Hetmap{};
  vt::CommandResult r = vt::run_command("hetmap " + vt::shell_quote(image));
  if (r.exit_code != 0) {
    return AssertionFailure() << "hetmap " << image << " exited " << r.exit_code << "\nstdout:\n"
                              << r.out << "\nstderr:\n" << r.err;
  }
  enum class Section { kNone, kLabel, kFile, kSummary } section = Section::kNone;
  std::string label;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (trim(line).empty() || line.rfind("---", 0) == 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      return AssertionFailure() << "hetmap printed a line this test does not understand: '" << line
                                << "'\nfull output:\n" << r.out;
    }
    std::string key = trim(line.substr(0, colon));
    std::string value = trim(line.substr(colon + 1));
    uint64_t n = 0;
    if (key == "Filename") {
      section = Section::kNone;
      continue;
    }
    if (key == "Label") {
      section = Section::kLabel;
      label = unquote(value);
      map->labels.push_back(label);
      continue;
    }
    if (key == "File #") {
      section = Section::kFile;
      HetmapFile f;
      if (!parse_number(value, &f.number)) return AssertionFailure() << "hetmap: bad file number in '" << line << "'";
      map->files.push_back(f);
      continue;
    }
    if (key == "Summary") {
      section = Section::kSummary;
      map->have_summary = true;
      continue;
    }
    if (section == Section::kLabel) {
      if (label == "VOL1") map->vol1[key] = unquote(value);
      continue;
    }
    if (section == Section::kFile || section == Section::kSummary) {
      if (!parse_number(value, &n)) {
        return AssertionFailure() << "hetmap: '" << line << "' does not end in a number\nfull output:\n" << r.out;
      }
    }
    if (section == Section::kFile) {
      HetmapFile& f = map->files.back();
      if (key == "Blocks") f.blocks = n;
      else if (key == "Min Blocksize") f.min = n;
      else if (key == "Max Blocksize") f.max = n;
      else if (key == "Uncompressed bytes") f.bytes = n;
      else if (key == "Min Blocksize-Comp") f.min_comp = n;
      else if (key == "Max Blocksize-Comp") f.max_comp = n;
      else if (key == "Compressed bytes") f.comp_bytes = n;
      else return AssertionFailure() << "hetmap: unknown file field in '" << line << "'";
    } else if (section == Section::kSummary) {
      if (key == "Files") map->total_files = n;
      else if (key == "Blocks") map->total_blocks = n;
      else if (key == "Uncompressed bytes") map->total_bytes = n;
      else if (key == "Compressed bytes") map->total_comp = n;
      else if (key == "Reduction") continue;
      else return AssertionFailure() << "hetmap: unknown summary field in '" << line << "'";
    } else {
      return AssertionFailure() << "hetmap: field outside any section: '" << line << "'";
    }
  }
  if (!map->have_summary) return AssertionFailure() << "hetmap printed no summary:\n" << r.out;
  return AssertionSuccess();
}

// hetmap's report against what was written (sizes) and the stored sizes
// found in the chunk chain.
void expect_hetmap_matches(const Hetmap& map, const Plan& plan,
                           const std::vector<std::vector<uint64_t>>& stored) {
  ASSERT_EQ(map.files.size(), plan.size()) << "hetmap lists a different number of tape files";
  ASSERT_EQ(stored.size(), plan.size());
  uint64_t blocks = 0, bytes = 0, comp = 0;
  for (size_t i = 0; i < plan.size(); ++i) {
    SCOPED_TRACE("tape file " + std::to_string(i) + " (hetmap File # " + std::to_string(i + 1) + ")");
    const HetmapFile& f = map.files[i];
    EXPECT_EQ(f.number, i + 1);
    EXPECT_EQ(f.blocks, plan[i].size());
    uint64_t lo = 0, hi = 0, sum = 0;
    for (const auto& r : plan[i]) {
      lo = lo == 0 ? r.size() : std::min<uint64_t>(lo, r.size());
      hi = std::max<uint64_t>(hi, r.size());
      sum += r.size();
    }
    EXPECT_EQ(f.min, lo) << "Min Blocksize";
    EXPECT_EQ(f.max, hi) << "Max Blocksize";
    EXPECT_EQ(f.bytes, sum) << "Uncompressed bytes";
    uint64_t clo = 0, chi = 0, csum = 0;
    for (uint64_t s : stored[i]) {
      clo = clo == 0 ? s : std::min(clo, s);
      chi = std::max(chi, s);
      csum += s;
    }
    EXPECT_EQ(f.min_comp, clo) << "Min Blocksize-Comp";
    EXPECT_EQ(f.max_comp, chi) << "Max Blocksize-Comp";
    EXPECT_EQ(f.comp_bytes, csum) << "Compressed bytes";
    blocks += plan[i].size();
    bytes += sum;
    comp += csum;
  }
  EXPECT_EQ(map.total_files, plan.size()) << "Summary Files";
  EXPECT_EQ(map.total_blocks, blocks) << "Summary Blocks";
  EXPECT_EQ(map.total_bytes, bytes) << "Summary Uncompressed bytes";
  EXPECT_EQ(map.total_comp, comp) << "Summary Compressed bytes";
}

// Extracts tape file `fileno` (1-based) with hetget as an unlabelled tape of
// undefined-length records: the records' bytes, one after another.
AssertionResult hetget_file(const std::string& image, size_t fileno, const std::string& out,
                            Record* bytes) {
  std::error_code ec;
  std::filesystem::remove(out, ec);
  vt::CommandResult r = vt::run_command("hetget -n " + vt::shell_quote(image) + " " + vt::shell_quote(out) +
                                        " " + std::to_string(fileno) + " U 0 65535");
  // hetget 3.13 exits 0 even when it cannot position to the file; it then
  // says so on standard output, which is empty on success.
  if (r.exit_code != 0 || !r.out.empty()) {
    return AssertionFailure() << "hetget -n " << image << " " << out << " " << fileno << " U 0 65535 exited "
                              << r.exit_code << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err;
  }
  if (!std::filesystem::exists(out)) return AssertionFailure() << "hetget wrote no " << out;
  *bytes = vt::read_file_bytes(out);
  return AssertionSuccess();
}

AssertionResult same_bytes(const Record& expected, const Record& actual) {
  if (expected.size() != actual.size()) {
    return AssertionFailure() << "expected " << expected.size() << " bytes, found " << actual.size();
  }
  auto diff = std::mismatch(expected.begin(), expected.end(), actual.begin());
  if (diff.first != expected.end()) {
    return AssertionFailure() << "bytes differ first at byte " << (diff.first - expected.begin());
  }
  return AssertionSuccess();
}

// ---------------------------------------------------------------------------
// vtape's view of a Hercules-made image.

// `vtape dump --records --json` against hetmap: the same tape files, record
// counts, record sizes (uncompressed), and stored sizes.
void expect_dump_matches_hetmap(const std::string& image) {
  vt::CommandResult d = vt::run_vtape("dump --records --json " + vt::shell_quote(image));
  ASSERT_EQ(d.exit_code, 0) << "vtape dump failed:\n" << d.err;
  Json dump = parse_json(d.out);
  Hetmap map;
  ASSERT_TRUE(run_hetmap(image, &map));

  const Json& files = dump["files"];
  ASSERT_EQ(files.size(), map.files.size()) << "vtape dump and hetmap count different tape files";
  EXPECT_EQ(dump["filemarks"].u64(), map.files.size()) << "every tape file here ends with a filemark";
  EXPECT_EQ(map.total_files, map.files.size());
  EXPECT_EQ(dump["records"].u64(), map.total_blocks) << "records (vtape) vs Summary Blocks (hetmap)";

  // Stored sizes per tape file from the --records list.
  std::vector<std::vector<uint64_t>> stored(files.size());
  const Json& objects = dump["objects"];
  for (size_t i = 0; i < objects.size(); ++i) {
    const Json& o = objects[i];
    if (o["type"].str() != "record") continue;
    uint64_t f = o["file"].u64();
    ASSERT_LT(f, stored.size());
    stored[f].push_back(o.has("stored_length") ? o["stored_length"].u64() : o["length"].u64());
  }

  for (size_t i = 0; i < files.size(); ++i) {
    SCOPED_TRACE("tape file " + std::to_string(i) + " (hetmap File # " + std::to_string(map.files[i].number) + ")");
    const Json& f = files[i];
    const HetmapFile& h = map.files[i];
    EXPECT_EQ(f["file"].u64(), i);
    EXPECT_EQ(h.number, i + 1);
    EXPECT_TRUE(f["ended_by_filemark"].flag());
    EXPECT_EQ(f["records"].u64(), h.blocks) << "records vs Blocks";
    // Regression guard: these sizes are the uncompressed ones.  Before commit
    // 697251d, `vtape dump` scanned without reading data, so AwsCodec never
    // decompressed a HET record and reported its stored (compressed) size as
    // its length; these assertions failed on every compressed HET image.
    EXPECT_EQ(f["smallest_record"].u64(), h.min)
        << "smallest record vs Min Blocksize (if vtape's value equals Min Blocksize-Comp = " << h.min_comp
        << ", vtape dump reports compressed sizes as lengths again)";
    EXPECT_EQ(f["largest_record"].u64(), h.max)
        << "largest record vs Max Blocksize (if vtape's value equals Max Blocksize-Comp = " << h.max_comp
        << ", vtape dump reports compressed sizes as lengths again)";
    EXPECT_EQ(f["bytes"].u64(), h.bytes)
        << "bytes vs Uncompressed bytes (if vtape's value equals Compressed bytes = " << h.comp_bytes
        << ", vtape dump reports compressed sizes as lengths again)";
    uint64_t lo = 0, hi = 0, sum = 0;
    for (uint64_t s : stored[i]) {
      lo = lo == 0 ? s : std::min(lo, s);
      hi = std::max(hi, s);
      sum += s;
    }
    EXPECT_EQ(lo, h.min_comp) << "smallest stored size vs Min Blocksize-Comp";
    EXPECT_EQ(hi, h.max_comp) << "largest stored size vs Max Blocksize-Comp";
    EXPECT_EQ(sum, h.comp_bytes) << "stored bytes vs Compressed bytes";
  }
  // Regression guard (see above).
  EXPECT_EQ(dump["bytes"].u64(), map.total_bytes)
      << "bytes (vtape dump) vs Summary Uncompressed bytes (hetmap); Summary Compressed bytes is "
      << map.total_comp;

  // Record by record, dump's lengths are those of the records TapeImage reads.
  Plan tape;
  ASSERT_TRUE(read_plan(image, &tape));
  size_t f = 0, r = 0;
  for (size_t i = 0; i < objects.size(); ++i) {
    const Json& o = objects[i];
    SCOPED_TRACE("vtape dump object " + std::to_string(i) + " at byte " + std::to_string(o["offset"].u64()));
    ASSERT_LT(f, tape.size());
    EXPECT_EQ(o["file"].u64(), f);
    if (o["type"].str() == "filemark") {
      EXPECT_EQ(r, tape[f].size()) << "filemark after " << r << " records";
      ++f;
      r = 0;
      continue;
    }
    ASSERT_LT(r, tape[f].size());
    EXPECT_EQ(o["block"].i64(), static_cast<int64_t>(r));
    EXPECT_EQ(o["length"].u64(), tape[f][r].size());
    ++r;
  }
  EXPECT_EQ(f, tape.size());
}

void expect_verify_ok(const std::string& image) {
  vt::CommandResult v = vt::run_vtape("verify " + vt::shell_quote(image));
  EXPECT_EQ(v.exit_code, 0) << "vtape verify " << image << ":\n" << v.out << v.err;
}

// `vtape info --json` names the VOL1 volser and owner of a labelled tape.
void expect_info_label(const std::string& image, const std::string& volser, const std::string& owner) {
  vt::CommandResult r = vt::run_vtape("info --json " + vt::shell_quote(image));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json info = parse_json(r.out);
  ASSERT_TRUE(info.has("volser")) << "vtape info found no VOL1 label:\n" << r.out;
  EXPECT_EQ(info["volser"].str(), volser);
  EXPECT_EQ(info["owner"].str(), owner);
  EXPECT_EQ(info["label_charset"].str(), "ebcdic") << "hetinit writes IBM (EBCDIC) labels";
  EXPECT_EQ(info["damaged_regions"].u64(), 0u);
  ASSERT_GE(info["labels"].size(), 2u);
  EXPECT_EQ(info["labels"][0]["id"].str(), "VOL1");
  EXPECT_EQ(info["labels"][1]["id"].str(), "HDR1");
}

void expect_info_unlabelled(const std::string& image, uint64_t tape_files) {
  vt::CommandResult r = vt::run_vtape("info --json " + vt::shell_quote(image));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json info = parse_json(r.out);
  EXPECT_FALSE(info.has("volser")) << "an unlabelled tape has no volser:\n" << r.out;
  EXPECT_EQ(info["labels"].size(), 0u);
  EXPECT_EQ(info["tape_files"].u64(), tape_files);
  EXPECT_EQ(info["records"].u64(), 0u);
  EXPECT_EQ(info["damaged_regions"].u64(), 0u);
}

AssertionResult run_ok(const std::string& command) {
  vt::CommandResult r = vt::run_command(command);
  if (r.exit_code != 0) {
    return AssertionFailure() << command << " exited " << r.exit_code << "\nstdout:\n" << r.out
                              << "\nstderr:\n" << r.err;
  }
  return AssertionSuccess();
}

// The EBCDIC label identifiers hetinit writes.
const Record kEbcdicVol1 = {0xE5, 0xD6, 0xD3, 0xF1};
const Record kEbcdicHdr1 = {0xC8, 0xC4, 0xD9, 0xF1};

bool starts_with(const Record& r, const Record& prefix) {
  return r.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), r.begin());
}

// ===========================================================================
// vtape writes, Hercules reads.

struct WriteCase {
  const char* name;
  Format format;
  Compression compression;
  int level;
  uint32_t chunk;
};

void PrintTo(const WriteCase& c, std::ostream* os) { *os << c.name; }

class HerculesReadsVtape : public ::testing::TestWithParam<WriteCase> {};

// hetmap sees every tape file with the block counts and sizes written (and
// the stored sizes really in the chunk chain); hetget extracts every tape
// file byte for byte, across chunk boundaries and through zlib and bzip2.
TEST_P(HerculesReadsVtape, HetmapAndHetgetSeeWhatWasWritten) {
  REQUIRE_HERCULES();
  const WriteCase& c = GetParam();
  vt::TempDir dir;
  std::string image = dir.file(c.format == Format::kAws ? "vtape.aws" : "vtape.het");
  WriteOptions options;
  options.compression = c.compression;
  options.level = c.level;
  options.chunk_size = c.chunk;
  Plan plan = mixed_plan();
  ASSERT_TRUE(write_plan(image, c.format, options, plan));

  // The image really is what this case is about: chunks no longer than the
  // chunk size, records split over several chunks, the compression asked for.
  std::vector<RawObject> raw;
  ASSERT_TRUE(walk_chunks(image, &raw));
  size_t records = 0, multi_chunk = 0, compressed = 0, compressed_multi_chunk = 0;
  uint8_t want_method = 0;
  if (c.format == Format::kHet && c.compression == Compression::kZlib) want_method = aws::kZlib;
  if (c.format == Format::kHet && c.compression == Compression::kBzip2) want_method = aws::kBzip2;
  for (const auto& o : raw) {
    if (o.tapemark) continue;
    ++records;
    EXPECT_LE(o.largest_chunk, c.chunk);
    EXPECT_EQ(o.chunks, std::max<uint64_t>(1, (o.stored + c.chunk - 1) / c.chunk))
        << "a record of " << o.stored << " stored bytes";
    if (o.chunks > 1) ++multi_chunk;
    if (o.method != 0) {
      ++compressed;
      EXPECT_EQ(o.method, want_method) << "compression flags of a record";
      if (o.chunks > 1) ++compressed_multi_chunk;
    }
  }
  EXPECT_EQ(raw.size(), records + plan.size());
  if (c.chunk <= 4096) {
    EXPECT_GT(multi_chunk, 0u) << "no record was split into chunks";
  }
  if (want_method != 0) {
    EXPECT_GT(compressed, 0u) << "no record was stored compressed";
    if (c.chunk <= 4096) {
      EXPECT_GT(compressed_multi_chunk, 0u) << "no compressed record spans chunks";
    }
  } else {
    EXPECT_EQ(compressed, 0u);
  }

  Hetmap map;
  ASSERT_TRUE(run_hetmap(image, &map));
  expect_hetmap_matches(map, plan, stored_sizes_by_file(raw));
  EXPECT_TRUE(map.labels.empty()) << "hetmap saw labels on an unlabelled tape";

  for (size_t f = 0; f < plan.size(); ++f) {
    SCOPED_TRACE("hetget tape file " + std::to_string(f + 1));
    Record got;
    ASSERT_TRUE(hetget_file(image, f + 1, dir.file("file" + std::to_string(f + 1)), &got));
    EXPECT_TRUE(same_bytes(concatenated(plan[f]), got));
  }
}

const WriteCase kWriteCases[] = {
    {"Aws_chunk65535", Format::kAws, Compression::kNone, 4, 65535},
    {"Aws_chunk4096", Format::kAws, Compression::kNone, 4, 4096},
    {"Het_uncompressed_chunk4096", Format::kHet, Compression::kNone, 4, 4096},
    {"Het_zlib1_chunk4096", Format::kHet, Compression::kZlib, 1, 4096},
    {"Het_zlib9_chunk4096", Format::kHet, Compression::kZlib, 9, 4096},
    {"Het_zlib4_chunk65535", Format::kHet, Compression::kZlib, 4, 65535},
    {"Het_bzip2_1_chunk4096", Format::kHet, Compression::kBzip2, 1, 4096},
    {"Het_bzip2_9_chunk4096", Format::kHet, Compression::kBzip2, 9, 4096},
    {"Het_bzip2_5_chunk65535", Format::kHet, Compression::kBzip2, 5, 65535},
    {"Het_zlib6_chunk1000", Format::kHet, Compression::kZlib, 6, 1000},
};

INSTANTIATE_TEST_SUITE_P(interop, HerculesReadsVtape, ::testing::ValuesIn(kWriteCases),
                         [](const ::testing::TestParamInfo<WriteCase>& info) { return std::string(info.param.name); });

// ===========================================================================
// Hercules writes, vtape reads.

struct HetinitCase {
  const char* name;
  const char* options;    // hetinit options before the file name
  const char* file;       // image name
  const char* volser;     // empty: unlabelled (-n)
  const char* owner;
  bool compressed;        // hetinit without -d: labels zlib-compressed
};

void PrintTo(const HetinitCase& c, std::ostream* os) { *os << c.name; }

class VtapeReadsHetinit : public ::testing::TestWithParam<HetinitCase> {};

// A tape hetinit made: vtape info names the VOL1 volser and owner (or finds
// no label), vtape verify accepts it, vtape dump agrees with hetmap, and the
// records read through TapeImage are hetinit's 80-byte EBCDIC labels.
TEST_P(VtapeReadsHetinit, InfoVerifyDumpAndRecords) {
  REQUIRE_HERCULES();
  const HetinitCase& c = GetParam();
  const bool labelled = c.volser[0] != '\0';
  vt::TempDir dir;
  std::string image = dir.file(c.file);
  std::string args = labelled ? std::string(" ") + c.volser + " " + c.owner : "";
  ASSERT_TRUE(run_ok(std::string("hetinit ") + c.options + " " + vt::shell_quote(image) + args));

  std::vector<RawObject> raw;
  ASSERT_TRUE(walk_chunks(image, &raw));
  size_t records = 0, compressed = 0;
  for (const auto& o : raw) {
    if (o.tapemark) continue;
    ++records;
    if (o.method != 0) {
      ++compressed;
      EXPECT_EQ(o.method, aws::kZlib);
      EXPECT_LT(o.stored, 80u);
    }
  }
  EXPECT_EQ(compressed, c.compressed ? records : 0u)
      << (c.compressed ? "hetinit without -d should zlib-compress the labels" : "hetinit -d compressed a record");

  expect_verify_ok(image);
  expect_dump_matches_hetmap(image);

  Plan tape;
  ASSERT_TRUE(read_plan(image, &tape));
  if (!labelled) {
    expect_info_unlabelled(image, 2);
    EXPECT_TRUE(same_records(Plan(2), tape)) << "hetinit -n writes two tape marks and nothing else";
    return;
  }
  expect_info_label(image, c.volser, c.owner);
  Hetmap map;
  ASSERT_TRUE(run_hetmap(image, &map));
  EXPECT_EQ(map.vol1["Volume Serial"], c.volser);
  EXPECT_EQ(map.vol1["Owner Code"], c.owner);

  ASSERT_EQ(tape.size(), 1u) << "hetinit: VOL1, HDR1, one tape mark";
  ASSERT_EQ(tape[0].size(), 2u);
  EXPECT_EQ(tape[0][0].size(), 80u);
  EXPECT_EQ(tape[0][1].size(), 80u);
  EXPECT_TRUE(starts_with(tape[0][0], kEbcdicVol1));
  EXPECT_TRUE(starts_with(tape[0][1], kEbcdicHdr1));
  if (c.compressed) {
    // The same labels as hetinit writes them uncompressed.
    std::string plain = dir.file("plain.aws");
    ASSERT_TRUE(run_ok("hetinit -d " + vt::shell_quote(plain) + args));
    Plan plain_tape;
    ASSERT_TRUE(read_plan(plain, &plain_tape));
    EXPECT_TRUE(same_records(plain_tape, tape)) << "compressed and uncompressed hetinit tapes differ";
  }
}

const HetinitCase kHetinitCases[] = {
    {"LabelledAws", "-d", "labelled.aws", "VT0042", "INTEROP", false},
    {"LabelledCompressedHet", "", "labelled.het", "VT0043", "HERC", true},
    {"LabelledExplicitIehinitt", "-i -d", "iehinitt.aws", "A1B2C3", "OWNER12345", false},
    {"Unlabelled", "-n -d", "nl.aws", "", "", false},
};

INSTANTIATE_TEST_SUITE_P(interop, VtapeReadsHetinit, ::testing::ValuesIn(kHetinitCases),
                         [](const ::testing::TestParamInfo<HetinitCase>& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------
// hetupd rewrites an image (recompresses, decompresses, rechunks); vtape
// reads the result record for record the same as the source.

enum class Source { kHetinitLabelled, kHetinitUnlabelled, kHetinitCompressed, kVtapeAws, kVtapeHetBzip2 };

struct HetupdOptions {
  const char* name;
  const char* options;
  uint8_t method;   // the compression every compressed record must use; 0: none compressed
  uint32_t chunk;   // chunk size every record must be cut into; 0: not checked
};

const HetupdOptions kHetupdOptions[] = {
    {"zlib", "-z", aws::kZlib, 0},
    {"bzip2", "-b", aws::kBzip2, 0},
    {"decompress", "-d", 0, 0},
    {"strict_aws", "-s", 0, 4096},
    {"chunk4096", "-c 4096", aws::kZlib, 4096},
    {"bzip2_chunk4096", "-b -c 4096", aws::kBzip2, 4096},
    {"zlib9_chunk8192", "-z -9 -c 8192", aws::kZlib, 8192},
    {"zlib1", "-1", aws::kZlib, 0},
    {"decompress_chunk8192", "-d -c 8192", 0, 8192},
};

const Source kSources[] = {Source::kHetinitLabelled, Source::kHetinitUnlabelled, Source::kHetinitCompressed,
                           Source::kVtapeAws, Source::kVtapeHetBzip2};

std::string source_name(Source s) {
  switch (s) {
    case Source::kHetinitLabelled: return "HetinitLabelled";
    case Source::kHetinitUnlabelled: return "HetinitUnlabelled";
    case Source::kHetinitCompressed: return "HetinitCompressedHet";
    case Source::kVtapeAws: return "VtapeAwsRandom";
    case Source::kVtapeHetBzip2: return "VtapeHetBzip2Random";
  }
  return "?";
}

void PrintTo(Source s, std::ostream* os) { *os << source_name(s); }
void PrintTo(const HetupdOptions& o, std::ostream* os) { *os << "hetupd " << o.options; }

class VtapeReadsHetupd : public ::testing::TestWithParam<std::tuple<Source, HetupdOptions>> {};

TEST_P(VtapeReadsHetupd, SameRecordsAfterHetupd) {
  REQUIRE_HERCULES();
  const Source source = std::get<0>(GetParam());
  const HetupdOptions& upd = std::get<1>(GetParam());
  vt::TempDir dir;
  std::string src;
  bool labelled = false;
  Plan written;
  switch (source) {
    case Source::kHetinitLabelled:
      src = dir.file("source.aws");
      ASSERT_TRUE(run_ok("hetinit -d " + vt::shell_quote(src) + " HUPD01 OWNER1"));
      labelled = true;
      break;
    case Source::kHetinitUnlabelled:
      src = dir.file("source.aws");
      ASSERT_TRUE(run_ok("hetinit -n -d " + vt::shell_quote(src)));
      break;
    case Source::kHetinitCompressed:
      src = dir.file("source.het");
      ASSERT_TRUE(run_ok("hetinit " + vt::shell_quote(src) + " HUPD01 OWNER1"));
      labelled = true;
      break;
    case Source::kVtapeAws: {
      src = dir.file("source.aws");
      written = random_plan(31);
      ASSERT_TRUE(write_plan(src, Format::kAws, WriteOptions{}, written));
      break;
    }
    case Source::kVtapeHetBzip2: {
      src = dir.file("source.het");
      written = random_plan(47);
      WriteOptions o;
      o.compression = Compression::kBzip2;
      o.level = 9;
      o.chunk_size = 4096;
      ASSERT_TRUE(write_plan(src, Format::kHet, o, written));
      break;
    }
  }
  Plan before;
  ASSERT_TRUE(read_plan(src, &before));
  if (!written.empty()) {
    ASSERT_TRUE(same_records(written, before)) << "vtape does not read back its own image";
  }

  std::string out = dir.file("updated.het");
  ASSERT_TRUE(run_ok(std::string("hetupd ") + upd.options + " " + vt::shell_quote(src) + " " + vt::shell_quote(out)));

  // hetupd did what was asked: the compression method and chunking of the
  // output, from its bytes.
  std::vector<RawObject> raw;
  ASSERT_TRUE(walk_chunks(out, &raw));
  size_t records = 0, compressed = 0;
  for (const auto& o : raw) {
    if (o.tapemark) continue;
    ++records;
    if (o.method != 0) {
      ++compressed;
      EXPECT_EQ(o.method, upd.method) << "hetupd " << upd.options << " used other compression";
    }
    if (upd.chunk != 0) {
      EXPECT_LE(o.largest_chunk, upd.chunk);
      EXPECT_EQ(o.chunks, std::max<uint64_t>(1, (o.stored + upd.chunk - 1) / upd.chunk));
    }
  }
  if (upd.method != 0 && records > 0) {
    EXPECT_GT(compressed, 0u) << "hetupd " << upd.options << " compressed nothing";
  }
  if (upd.method == 0) {
    EXPECT_EQ(compressed, 0u);
  }

  expect_verify_ok(out);
  expect_dump_matches_hetmap(out);
  if (labelled) {
    expect_info_label(out, "HUPD01", "OWNER1");
  } else if (source == Source::kHetinitUnlabelled) {
    expect_info_unlabelled(out, 2);
  }

  Plan after;
  ASSERT_TRUE(read_plan(out, &after));
  EXPECT_TRUE(same_records(before, after)) << "records differ after hetupd " << upd.options;
  if (!written.empty()) {
    EXPECT_TRUE(same_records(written, after));
  }
}

INSTANTIATE_TEST_SUITE_P(
    interop, VtapeReadsHetupd,
    ::testing::Combine(::testing::ValuesIn(kSources), ::testing::ValuesIn(kHetupdOptions)),
    [](const ::testing::TestParamInfo<std::tuple<Source, HetupdOptions>>& info) {
      return source_name(std::get<0>(info.param)) + "_" + std::get<1>(info.param).name;
    });

// A vtape image that went through hetupd can be extended by vtape and read
// by Hercules again: both writers agree on the chunk chain at the end.
class VtapeAppendsAfterHetupd : public ::testing::TestWithParam<HetupdOptions> {};

TEST_P(VtapeAppendsAfterHetupd, HerculesReadsTheWholeTape) {
  REQUIRE_HERCULES();
  const HetupdOptions& upd = GetParam();
  vt::TempDir dir;
  std::string src = dir.file("source.aws");
  std::string out = dir.file("updated.het");
  Plan plan = random_plan(77);
  ASSERT_TRUE(write_plan(src, Format::kAws, WriteOptions{}, plan));
  ASSERT_TRUE(run_ok(std::string("hetupd ") + upd.options + " " + vt::shell_quote(src) + " " + vt::shell_quote(out)));

  OpenOptions o;
  o.writable = true;
  o.write.compression = Compression::kZlib;
  o.write.chunk_size = 4096;
  std::unique_ptr<TapeImage> tape;
  Status s = TapeImage::open(out, o, &tape);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(tape->format(), Format::kHet) << "an AWS-framed image named .het";
  ASSERT_TRUE(tape->seek_end_of_data().is_ok());
  TapeFile extra = {make_record(65535, Fill::kNibbles, 901), make_record(3, Fill::kText, 902)};
  for (const auto& r : extra) {
    ASSERT_TRUE(tape->write_record(r).is_ok());
  }
  ASSERT_TRUE(tape->write_filemark().is_ok());
  ASSERT_TRUE(tape->sync().is_ok());
  ASSERT_TRUE(tape->close().is_ok());
  tape.reset();
  plan.push_back(extra);

  std::vector<RawObject> raw;
  ASSERT_TRUE(walk_chunks(out, &raw));  // checks the previous-length chain across the join
  Hetmap map;
  ASSERT_TRUE(run_hetmap(out, &map));
  expect_hetmap_matches(map, plan, stored_sizes_by_file(raw));
  Record got;
  ASSERT_TRUE(hetget_file(out, plan.size(), dir.file("last"), &got));
  EXPECT_TRUE(same_bytes(concatenated(extra), got));
  Plan back;
  ASSERT_TRUE(read_plan(out, &back));
  EXPECT_TRUE(same_records(plan, back));
}

INSTANTIATE_TEST_SUITE_P(interop, VtapeAppendsAfterHetupd, ::testing::ValuesIn(kHetupdOptions),
                         [](const ::testing::TestParamInfo<HetupdOptions>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace vtape
