// The catalog as a user meets it (man/vtape-catalog.5, vtape(1) ls, find,
// index, import): archives written through a real mounted drive show up in
// `vtape ls` and `vtape find`; images made elsewhere are imported; hostile
// member names are shown escaped; the catalog survives a crash, can be
// checked against the images and rebuilt from them; sqlite3 can read it.
// Each mounted test gets its own vtapefs on a fresh library (2 drives;
// drive 0 starts with the scratch cartridge SCR001).

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "index/catalog_schema.h"
#include "tests/test_support.h"
#include "tools/catalog_support.h"
#include "tools/member_names.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

std::string q(const std::string& s) { return shell_quote(s); }

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The line of `text` that contains `needle` ("" if none).
std::string line_with(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  if (at == std::string::npos) return "";
  size_t b = text.rfind('\n', at);
  b = b == std::string::npos ? 0 : b + 1;
  return text.substr(b, text.find('\n', at) - b);
}

// The fields of a line (or of lines), separated by blanks and newlines.
std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ' ' || c == '\n') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// Field `i` of a line ("" when it has fewer).
std::string field(const std::string& line, size_t i) {
  auto f = fields(line);
  return i < f.size() ? f[i] : "";
}

// Output a terminal can show safely: valid UTF-8, no control character but
// the newline.
::testing::AssertionResult safe_for_a_terminal(const std::string& out) {
  for (size_t i = 0; i < out.size();) {
    auto c = static_cast<unsigned char>(out[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7F) {
      return ::testing::AssertionFailure() << "control byte " << int(c) << " at " << i << " in:\n" << out;
    }
    size_t n = utf8_sequence_length(std::string_view(out).substr(i));
    if (n == 0) return ::testing::AssertionFailure() << "invalid UTF-8 at " << i << " in:\n" << out;
    i += n;
  }
  return ::testing::AssertionSuccess();
}

// A source tree for the archives: a.txt (1234 bytes), sub/nums (50000
// bytes), old.txt (5 bytes, modified 2001-02-03).
struct SourceTree {
  TempDir dir;
  SourceTree() {
    fs::create_directories(dir.path() / "src" / "sub");
    write_file_bytes(src() + "/a.txt", std::vector<uint8_t>(1234, 'a'));
    write_file_bytes(src() + "/sub/nums", pattern_bytes(50000, 7));
    write_text(src() + "/old.txt", "old!\n");
    EXPECT_EQ(run_command("touch -d '2001-02-03 12:00:00 UTC' " + q(src() + "/old.txt")).exit_code, 0);
  }
  std::string src() const { return dir.file("src"); }
};

// tar of a.txt, sub/ and old.txt onto a drive (one tape file).
void tar_to(const SourceTree& t, const std::string& device) {
  CommandResult r = run_command("tar -cf " + q(device) + " -C " + q(t.src()) + " a.txt sub old.txt");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  settle_drive(device);
}

// cpio (newc) of `list` (names, one a line, relative to src) onto a drive.
void cpio_to(const SourceTree& t, const std::string& list, const std::string& device) {
  CommandResult r = run_command("cd " + q(t.src()) + " && printf " + q(list) + " | cpio -o -H newc -O " + q(device));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  settle_drive(device);
}

// ---- hand-made tar archives with hostile names -------------------------------

void octal(std::vector<uint8_t>& h, size_t at, size_t width, uint64_t v) {
  std::string s(width - 1, '0');
  for (size_t i = width - 1; i-- > 0; v >>= 3) s[i] = static_cast<char>('0' + (v & 7));
  std::memcpy(h.data() + at, s.data(), s.size());
  h[at + width - 1] = 0;
}

std::vector<uint8_t> tar_header(const std::string& name, char type, uint64_t size) {
  std::vector<uint8_t> h(512, 0);
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 100));
  octal(h, 100, 8, 0644);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, 1000000000);
  h[156] = static_cast<uint8_t>(type);
  std::memcpy(h.data() + 257, "ustar  ", 8);  // GNU magic and version
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (uint8_t c : h) sum += c;
  octal(h, 148, 7, sum);
  h[155] = ' ';
  return h;
}

void add_data(std::vector<uint8_t>& tar, const std::string& data) {
  tar.insert(tar.end(), data.begin(), data.end());
  tar.resize((tar.size() + 511) / 512 * 512, 0);
}

// A GNU tar archive of `names`, each a file holding "x"; names longer than
// 100 bytes go in a ././@LongLink entry.
std::vector<uint8_t> hostile_tar(const std::vector<std::string>& names) {
  std::vector<uint8_t> tar;
  for (const auto& n : names) {
    if (n.size() > 100) {
      auto h = tar_header("././@LongLink", 'L', n.size() + 1);
      tar.insert(tar.end(), h.begin(), h.end());
      add_data(tar, n + std::string(1, '\0'));
    }
    auto h = tar_header(n, '0', 1);
    tar.insert(tar.end(), h.begin(), h.end());
    add_data(tar, "x");
  }
  tar.resize(tar.size() + 1024, 0);
  tar.resize((tar.size() + 10239) / 10240 * 10240, 0);
  return tar;
}

// ---------------------------------------------------------------------------
// Escaping and time parsing (no mount)

TEST(CatalogNames, TextEscapingShowsEveryByteUnambiguously) {
  EXPECT_EQ(escape_member_name("dir/file.c"), "dir/file.c");
  EXPECT_EQ(escape_member_name("caf\xc3\xa9"), "caf\xc3\xa9");  // valid UTF-8 stays
  EXPECT_EQ(escape_member_name("a\\b"), "a\\\\b");
  EXPECT_EQ(escape_member_name("new\nline\x01"), "new\\x0aline\\x01");
  EXPECT_EQ(escape_member_name("\x1b[31m"), "\\x1b[31m");
  EXPECT_EQ(escape_member_name("del\x7f"), "del\\x7f");
  EXPECT_EQ(escape_member_name("bad\xff\xfe"), "bad\\xff\\xfe");
  EXPECT_EQ(escape_member_name("\xc3"), "\\xc3");                // truncated sequence
  EXPECT_EQ(escape_member_name("\xc0\xaf"), "\\xc0\\xaf");       // overlong '/'
  EXPECT_EQ(escape_member_name("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_EQ(escape_member_name("\xc2\x9b"), "\\xc2\\x9b");       // C1 CSI
  EXPECT_EQ(escape_member_name("x\xe2\x80\xae" "y"), "x\\xe2\\x80\\xaey");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(escape_member_name(std::string("nul\0x", 5)), "nul\\x00x");
}

TEST(CatalogNames, JsonFormMakesInvalidBytesLatin1Characters) {
  EXPECT_EQ(json_member_name("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(json_member_name("bad\xff"), "bad\xc3\xbf");
  EXPECT_EQ(json_member_name("\x80"), "\xc2\x80");
  EXPECT_EQ(json_member_name("ctl\x01"), "ctl\x01");  // JsonWriter escapes it
}

TEST(CatalogNames, SinceTakesADateOrAnIsoTime) {
  EXPECT_EQ(parse_iso_time("1970-01-02"), 86400);
  EXPECT_EQ(parse_iso_time("2001-02-03"), 981158400);
  EXPECT_EQ(parse_iso_time("2001-02-03T12:00:00Z"), 981201600);
  EXPECT_EQ(parse_iso_time("2001-02-03 12:00"), 981201600);
  EXPECT_EQ(parse_iso_time("2001-02-03T14:00:00+02:00"), 981201600);
  EXPECT_FALSE(parse_iso_time("2001-02-30"));
  EXPECT_FALSE(parse_iso_time("yesterday"));
  EXPECT_FALSE(parse_iso_time("2001-02-03T12"));
  EXPECT_EQ(iso_utc(981201600), "2001-02-03T12:00:00Z");
}

// iso_utc formats the years 1970-9999 itself (vtape find shows 100000
// times): the same text as gmtime_r and strftime, which do the rest.
TEST(CatalogNames, IsoTimesAreThoseOfStrftime) {
  auto strftime_utc = [](int64_t epoch) {
    std::time_t t = static_cast<std::time_t>(epoch);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf);
  };
  std::vector<int64_t> times = {0,          1,           59,          60,          86399,       86400,
                                951782400,  951868799,   951868800,   4107542400,  4107628800,  253402300799,
                                253402300800, -1,        -86401,      -62135596800, 1700000000};
  uint64_t x = 12345;
  for (int i = 0; i < 20000; ++i) {  // and spread over the four-digit years
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    times.push_back(static_cast<int64_t>(x % 253402300800ull));
  }
  for (int64_t t : times) EXPECT_EQ(iso_utc(t), strftime_utc(t)) << t;
  std::string appended = "at ";
  append_iso_utc(&appended, 981201600);
  EXPECT_EQ(appended, "at 2001-02-03T12:00:00Z");
}

TEST(CatalogNames, AppendingEscapedNamesEqualsEscapingThem) {
  for (std::string name : {"plain/name.c", "back\\slash", "new\nline", "caf\xc3\xa9", "bad\xff", "", "~ !"}) {
    std::string out = ">";
    append_escaped_member_name(&out, name);
    EXPECT_EQ(out, ">" + escape_member_name(name)) << name;
  }
}

// ---------------------------------------------------------------------------
// vtape find on an imported image (no mount): tar's "./" names, bare names
// in any directory, directory prefixes, --volser, --since and --json.

TEST(CatalogFind, EveryKindOfPatternOnATarWithAndWithoutDotSlash) {
  TempDir work;
  std::string src = work.file("src");
  fs::create_directories(src + "/src/lib");
  fs::create_directories(src + "/doc");
  write_text(src + "/src/lib/util.c", "util\n");
  write_text(src + "/src/main.c", "main\n");
  write_text(src + "/doc/main.c", "doc\n");
  write_text(src + "/x.tar.gz", "gz\n");
  ASSERT_EQ(run_command("touch -d '2001-02-03 12:00:00 UTC' " + q(src + "/doc/main.c")).exit_code, 0);
  // File 0 as "tar -C src ." writes it (./src/main.c), file 1 without ./;
  // in name order, for a known order of the members.
  std::string dotted = work.file("dotted.tar"), plain = work.file("plain.tar");
  ASSERT_EQ(run_command("tar -cf " + q(dotted) + " -C " + q(src) + " --sort=name .").exit_code, 0);
  ASSERT_EQ(run_command("tar -cf " + q(plain) + " -C " + q(src) + " --sort=name src doc").exit_code, 0);
  std::string image = work.file("tape01.tap"), lib = work.file("lib");
  ASSERT_EQ(run_vtape("write " + q(image) + " " + q(dotted) + " " + q(plain)).exit_code, 0);
  CommandResult r = run_vtape("import " + q(image) + " --library " + q(lib));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto find = [&](const std::string& args) { return run_vtape("find " + args + " --library " + q(lib)); };
  auto paths = [](const CommandResult& r) {
    std::vector<std::string> out;
    size_t at = 0;
    while (at < r.out.size()) {
      size_t end = r.out.find('\n', at);
      out.push_back(field(r.out.substr(at, end - at), 0) + " " + field(r.out.substr(at, end - at), 3));
      at = end + 1;
    }
    return out;
  };

  r = find("main.c");  // a bare name: in any directory
  EXPECT_EQ(paths(r), (std::vector<std::string>{"TAPE01/0 ./doc/main.c", "TAPE01/0 ./src/main.c",
                                                "TAPE01/1 src/main.c", "TAPE01/1 doc/main.c"}))
      << describe(r);
  r = find("'*.c'");  // a suffix
  EXPECT_EQ(paths(r).size(), 6u) << describe(r);
  r = find("'*.tar.gz'");
  EXPECT_EQ(paths(r), (std::vector<std::string>{"TAPE01/0 ./x.tar.gz"})) << describe(r);
  r = find("'src/*'");  // a directory, recorded with and without ./
  EXPECT_EQ(paths(r), (std::vector<std::string>{"TAPE01/0 ./src/", "TAPE01/0 ./src/lib/", "TAPE01/0 ./src/lib/util.c",
                                                "TAPE01/0 ./src/main.c", "TAPE01/1 src/", "TAPE01/1 src/lib/",
                                                "TAPE01/1 src/lib/util.c", "TAPE01/1 src/main.c"}))
      << describe(r);
  r = find("'./src/*'");  // as given: only the ./ form
  EXPECT_EQ(paths(r).size(), 4u) << describe(r);
  r = find("src/lib/util.c");  // an exact path
  EXPECT_EQ(paths(r), (std::vector<std::string>{"TAPE01/0 ./src/lib/util.c", "TAPE01/1 src/lib/util.c"}))
      << describe(r);
  r = find("src");  // the directory by its name
  EXPECT_EQ(paths(r), (std::vector<std::string>{"TAPE01/0 ./src/", "TAPE01/1 src/"})) << describe(r);
  r = find("'*/util.c'");
  EXPECT_EQ(paths(r), (std::vector<std::string>{"TAPE01/0 ./src/lib/util.c", "TAPE01/1 src/lib/util.c"}))
      << describe(r);
  r = find("main.c --since 2010-01-01");
  EXPECT_EQ(paths(r), (std::vector<std::string>{"TAPE01/0 ./src/main.c", "TAPE01/1 src/main.c"})) << describe(r);
  r = find("main.c --volser TAPE01 --limit 3");
  EXPECT_EQ(paths(r).size(), 3u) << describe(r);
  EXPECT_TRUE(contains(r.err, "stopped after 3")) << describe(r);
  EXPECT_EQ(find("main.c --volser TAPE02").exit_code, 1);
  EXPECT_EQ(find("'ain.c'").exit_code, 1);  // a name matches whole

  r = find("main.c --json --limit 3");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "[(m['volser'], m['file'], m['kind'], m['path'], m['size']) for m in d['members']]"),
            "[('TAPE01', 0, 'file', './doc/main.c', 4), ('TAPE01', 0, 'file', './src/main.c', 5), "
            "('TAPE01', 1, 'file', 'src/main.c', 5)]");
  EXPECT_EQ(json_query(r.out, "(d['pattern'], d['truncated'], d['members'][0]['mtime'])"), "('main.c', True, 981201600)");
  r = find("'src/lib/*' --json");
  EXPECT_EQ(json_query(r.out, "([m['path'] for m in d['members']], d['truncated'])"),
            "(['./src/lib/', './src/lib/util.c', 'src/lib/', 'src/lib/util.c'], False)");
}

// ---------------------------------------------------------------------------
// Archives written through a drive

TEST(CatalogCommands, TarThroughADriveShowsInLsAndFind) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  tar_to(t, vt.drive(0));  // a second tape file after the first

  CommandResult r = vt.vtape("ls");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto row = fields(line_with(r.out, "SCR001"));
  ASSERT_GE(row.size(), 6u) << r.out;
  EXPECT_EQ(row[1], "simh");
  EXPECT_EQ(row[2], "2") << r.out;  // tape files

  r = vt.vtape("ls SCR001");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const char* n : {"0", "1"}) {
    // The line whose first field is the tape file number.
    std::string line;
    size_t at = 0;
    while (at < r.out.size()) {
      size_t e = r.out.find('\n', at);
      std::string one = r.out.substr(at, e - at);
      if (field(one, 0) == n) line = one;
      at = e == std::string::npos ? r.out.size() : e + 1;
    }
    auto f = fields(line);
    ASSERT_GE(f.size(), 9u) << r.out;
    EXPECT_EQ(f[5], "tar") << line;
    EXPECT_EQ(f[6], "yes") << line;  // closed by a filemark
    EXPECT_EQ(f[8], "4") << line;    // a.txt, sub/, sub/nums, old.txt
  }

  r = vt.vtape("ls scr001/0");  // lower case is taken as upper
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(fields(line_with(r.out, "a.txt")), (std::vector<std::string>{"file", "1234", "0644",
                                                                         field(line_with(r.out, "a.txt"), 3), "a.txt"}))
      << r.out;
  EXPECT_EQ(field(line_with(r.out, "sub/nums"), 1), "50000") << r.out;
  EXPECT_EQ(field(line_with(r.out, "sub/\n"), 0), "directory") << r.out;
  EXPECT_EQ(field(line_with(r.out, "old.txt"), 3), "2001-02-03T12:00:00Z") << r.out;

  r = vt.vtape("ls SCR001/1 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "[(m['kind'], m['path'], m['size']) for m in d['members']]"),
            "[('file', 'a.txt', 1234), ('directory', 'sub/', 0), ('file', 'sub/nums', 50000), ('file', 'old.txt', 5)]");
  EXPECT_EQ(vt.vtape("ls SCR001/2").exit_code, 1);
  EXPECT_EQ(vt.vtape("ls NOSUCH").exit_code, 1);
  EXPECT_EQ(vt.vtape("ls BAD-VOLSER").exit_code, 2);

  // By name: the last component, in any directory.
  r = vt.vtape("find nums");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "SCR001/0  50000  " + field(r.out, 2) + "  sub/nums\nSCR001/1  50000  " + field(r.out, 2) +
                       "  sub/nums\n");
  r = vt.vtape("find '*.txt'");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(fields(r.out).size(), 16u) << r.out;  // 4 lines of 4 fields
  r = vt.vtape("find 'su?'");  // the directory sub/
  EXPECT_TRUE(contains(r.out, "SCR001/0  0  ")) << describe(r);
  EXPECT_EQ(vt.vtape("find 'num'").exit_code, 1);  // a name must match whole
  // By path.
  r = vt.vtape("find 'sub/*'");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "sub/nums")) << r.out;
  EXPECT_FALSE(contains(r.out, "a.txt")) << r.out;
  // --volser, --since, --limit.
  EXPECT_EQ(vt.vtape("find nums --volser SCR002").exit_code, 1);
  EXPECT_EQ(vt.vtape("find nums --volser scr001").exit_code, 0);
  r = vt.vtape("find '*' --since 2001-02-04");
  EXPECT_FALSE(contains(r.out, "old.txt")) << describe(r);
  EXPECT_TRUE(contains(r.out, "a.txt")) << describe(r);
  r = vt.vtape("find '*' --since 2001-02-03");
  EXPECT_TRUE(contains(r.out, "old.txt")) << describe(r);
  r = vt.vtape("find '*' --limit 3");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;
  EXPECT_EQ(vt.vtape("find x --since someday").exit_code, 2);
  EXPECT_EQ(vt.vtape("find x --limit 0").exit_code, 2);
  // --json parses.
  r = vt.vtape("find '*.txt' --json --volser SCR001");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "sorted({(m['volser'], m['file'], m['path'], m['size']) for m in d['members']})"),
            "[('SCR001', 0, 'a.txt', 1234), ('SCR001', 0, 'old.txt', 5), ('SCR001', 1, 'a.txt', 1234), "
            "('SCR001', 1, 'old.txt', 5)]");
  EXPECT_EQ(json_query(r.out, "d['truncated']"), "False");
  r = vt.vtape("ls --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "[(v['volser'], v['tape_files'], v['write_protected']) for v in d['volumes']]"),
            "[('SCR001', 2, False)]");
}

// The drive analyses records on a worker thread; close(2) must still
// return with the tape file in the catalog (no settle_drive() here: the release
// may be on its way, the commit must not be).
TEST(CatalogCommands, ManySmallRecordsAreInTheCatalogWhenTheWriterHasExited) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir dir;
  std::string data = dir.file("data");
  write_file_bytes(data, pattern_bytes(20000 * 512, 7));
  CommandResult r = run_command("dd if=" + q(data) + " of=" + q(vt.drive(0)) + " bs=512 status=none");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = vt.vtape("ls SCR001 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "[(f['file'], f['records'], f['bytes'], f['digest_algorithm'], f['digest']) "
                              "for f in d['files']]"),
            "[(0, 20000, 10240000, 'xxh3-128', '" + field(run_command("xxhsum -H2 " + q(data)).out, 0) + "')]");
}

// A tar of many members: they go into the catalog in batches while tar is
// still writing (vtape find finds them, the tape file shows as being
// written), so that close(2) is left with the last batch only; once tar has
// exited the catalog is exactly what indexing the image makes of it.
TEST(CatalogCommands, MembersAreCatalogedWhileTarStillWritesAndMatchAReindexAfter) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir dir;
  std::string tree = dir.file("tree"), names = dir.file("names");
  ASSERT_TRUE(fs::create_directory(tree));
  constexpr int kFirst = 7000, kAll = 8000;
  for (int i = 0; i < kAll; ++i) write_text(tree + "/m" + std::to_string(i), i % 7 == 0 ? "x" : "");
  ASSERT_EQ(mkfifo(names.c_str(), 0600), 0);
  // tar reads the names to archive from the FIFO as it goes.
  CommandResult tar;
  std::thread writer([&] { tar = run_command("tar -b 20 -cf " + q(vt.drive(0)) + " -C " + q(tree) + " -T " + q(names)); });
  int fd = ::open(names.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto send = [&](int from, int to) {
    std::string list;
    for (int i = from; i < to; ++i) list += "m" + std::to_string(i) + "\n";
    ASSERT_EQ(::write(fd, list.data(), list.size()), static_cast<ssize_t>(list.size()));
  };
  send(0, kFirst);
  // tar has the FIFO still open: it has not finished, the drive is not closed.
  size_t seen = 0;
  for (int tries = 0; tries < 600 && seen < 4096; ++tries) {
    CommandResult r = vt.vtape("find 'm*' --volser SCR001");
    seen = r.exit_code == 0 ? std::count(r.out.begin(), r.out.end(), '\n') : 0;
    if (seen < 4096) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CommandResult during = vt.vtape("ls SCR001 --json");
  send(kFirst, kAll);
  ::close(fd);
  writer.join();
  ASSERT_EQ(tar.exit_code, 0) << describe(tar);
  EXPECT_GE(seen, 4096u) << "members in the catalog before tar finished";
  EXPECT_LE(seen, static_cast<size_t>(kFirst));
  EXPECT_EQ(json_query(during.out, "[(f['file'], f['writing'], f['closed_cleanly']) for f in d['files']]"),
            "[(0, True, False)]");

  auto views = [&] {
    std::vector<std::string> out;
    for (const char* v : {"ls SCR001 --json", "ls SCR001/0 --json", "find '*'"}) {
      CommandResult r = vt.vtape(v);
      EXPECT_EQ(r.exit_code, 0) << v << describe(r);
      out.push_back(std::regex_replace(r.out, std::regex("\"written_at\":\"[^\"]*\""), "\"written_at\":\"\""));
    }
    return out;
  };
  std::vector<std::string> streamed = views();
  EXPECT_EQ(json_query(streamed[0], "[(f['file'], f['members'], f['writing'], f['closed_cleanly'], f['content']) "
                                    "for f in d['files']]"),
            "[(0, " + std::to_string(kAll) + ", False, True, 'tar')]");
  CommandResult r = vt.vtape("index rebuild");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(views(), streamed);
  EXPECT_EQ(vt.vtape("index check").exit_code, 0);
}

// Streamed members and rewrites: a tar of many members over tape files
// that had streamed members of their own leaves exactly the new members
// (the first batch replaces the tape files from there on), as indexing the
// image does.
TEST(CatalogCommands, ARewriteOverStreamedTapeFilesLeavesExactlyTheNewMembers) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir dir;
  for (const char* set : {"old", "new"}) {
    std::string tree = dir.file(set);
    ASSERT_TRUE(fs::create_directory(tree));
    for (int i = 0; i < 6000; ++i) write_text(tree + "/" + set + std::to_string(i), "");
  }
  auto tar = [&](const std::string& set) {
    CommandResult r = run_command("tar -b 20 -cf " + q(vt.drive(0)) + " -C " + q(dir.file(set)) + " .");
    ASSERT_EQ(r.exit_code, 0) << describe(r);
  };
  tar("old");
  tar("old");
  tar("old");
  ASSERT_EQ(run_command("mt -f " + q(vt.drive(0)) + " rewind").exit_code, 0);
  ASSERT_EQ(run_command("mt -f " + q(vt.drive(0)) + " fsf 1").exit_code, 0);
  tar("new");  // file 1 again, and the tape ends after it
  CommandResult r = vt.vtape("ls SCR001 --json");
  EXPECT_EQ(json_query(r.out, "[(f['file'], f['members'], f['writing']) for f in d['files']]"),
            "[(0, 6001, False), (1, 6001, False)]");
  auto count = [&](const std::string& pattern) {
    CommandResult f = vt.vtape("find '" + pattern + "' --volser SCR001");
    return std::count(f.out.begin(), f.out.end(), '\n');
  };
  EXPECT_EQ(count("old*"), 6000);
  EXPECT_EQ(count("new*"), 6000);
  std::string before = vt.vtape("find '*'").out;
  ASSERT_EQ(vt.vtape("index rebuild").exit_code, 0);
  EXPECT_EQ(vt.vtape("find '*'").out, before);
  EXPECT_EQ(vt.vtape("index check").exit_code, 0);
}

TEST(CatalogCommands, CpioThroughADriveIsCatalogedWithItsMembers) {
  if (!have_program("cpio")) GTEST_SKIP() << "no cpio";
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  cpio_to(t, "a.txt\\nsub\\nsub/nums\\n", vt.drive(0));
  CommandResult r = vt.vtape("ls SCR001 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "[(f['file'], f['content'], f['members'], f['closed_cleanly']) for f in d['files']]"),
            "[(0, 'cpio', 3, True)]");
  r = vt.vtape("ls SCR001/0");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(field(line_with(r.out, "a.txt"), 1), "1234") << r.out;
  EXPECT_EQ(field(line_with(r.out, "sub/nums"), 1), "50000") << r.out;
  EXPECT_FALSE(contains(r.out, "TRAILER")) << r.out;
  r = vt.vtape("find nums");
  EXPECT_TRUE(contains(r.out, "SCR001/0  50000")) << describe(r);
}

TEST(CatalogCommands, NewCartridgesAreInTheCatalogAtOnce) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  CommandResult r = vt.vtape("new NEW001 --format aws");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = vt.vtape("ls");
  auto row = fields(line_with(r.out, "NEW001"));
  ASSERT_GE(row.size(), 3u) << describe(r);
  EXPECT_EQ(row[1], "aws");
  EXPECT_EQ(row[2], "0");
  // Without a daemon, on a library that does not exist yet: the scratch
  // cartridge comes into the catalog too.
  TempDir other;
  std::string lib = other.file("lib");
  r = run_vtape("new NEW002 --library " + q(lib));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = run_vtape("ls --library " + q(lib));
  EXPECT_TRUE(contains(r.out, "NEW002")) << describe(r);
  EXPECT_TRUE(contains(r.out, "SCR001")) << describe(r);
  EXPECT_EQ(r.err, "");
}

// ---------------------------------------------------------------------------
// vtape import

TEST(CatalogCommands, ImportALabelledAwsTapeFromHetinit) {
  if (!have_program("hetinit")) GTEST_SKIP() << "no hetinit (Hercules)";
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  std::string image = work.file("x.aws");
  CommandResult r = run_command("hetinit -d " + q(image) + " VOL009 OWNER");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = vt.vtape("import " + q(image));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "VOL009: imported")) << r.out;
  EXPECT_TRUE(contains(r.out, "(aws)")) << r.out;
  EXPECT_TRUE(contains(r.out, "label VOL009 owner 'OWNER'")) << r.out;
  EXPECT_TRUE(fs::exists(vt.library() + "/cartridges/VOL009.aws"));
  EXPECT_TRUE(fs::exists(image));  // copied, not moved
  r = vt.vtape("ls");
  EXPECT_EQ(fields(line_with(r.out, "VOL009")), (std::vector<std::string>{"VOL009", "aws", "1", "160",
                                                                          field(line_with(r.out, "VOL009"), 4), "no",
                                                                          "VOL009", "OWNER"}))
      << r.out;
  r = vt.vtape("ls VOL009 --json");
  EXPECT_EQ(json_query(r.out, "[(f['content'], f['records'], f['members']) for f in d['files']]"), "[('ibm-labels', 2, 1)]");
  r = vt.vtape("ls VOL009/0 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "[m['kind'] for m in d['members']]"), "['hdr1']");
  // The running daemon takes it.
  r = vt.vtape("load 1 VOL009");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(vt.vtape("status 1").out, "VOL009"));
  // Importing it again is refused.
  r = vt.vtape("import " + q(image));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "already exists")) << r.err;
  EXPECT_EQ(vt.vtape("index check").exit_code, 0);
}

TEST(CatalogCommands, ImportASimhImageNamedByItsFile) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  TempDir work;
  std::string tar = work.file("t.tar");
  ASSERT_EQ(run_command("tar -cf " + q(tar) + " -C " + q(t.src()) + " a.txt sub").exit_code, 0);
  std::string image = work.file("tape42.tap");
  CommandResult r = run_vtape("write " + q(image) + " " + q(tar) + " " + q(tar));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = vt.vtape("import --move " + q(image));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "TAPE42: imported")) << r.out;
  EXPECT_TRUE(contains(r.out, "2 tape files")) << r.out;
  EXPECT_FALSE(fs::exists(image));  // --move
  EXPECT_TRUE(fs::exists(vt.library() + "/cartridges/TAPE42.tap"));
  r = vt.vtape("ls TAPE42/1");
  EXPECT_EQ(field(line_with(r.out, "sub/nums"), 1), "50000") << describe(r);
  r = vt.vtape("find nums --volser TAPE42");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << describe(r);

  // A name that is no volser and no label: --volser is asked for.
  std::string unnamed = work.file("not-a-volser.tap");
  ASSERT_EQ(run_vtape("write " + q(unnamed) + " " + q(tar)).exit_code, 0);
  r = vt.vtape("import " + q(unnamed));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "--volser")) << r.err;
  r = vt.vtape("import " + q(unnamed) + " --volser tape43");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "TAPE43: imported")) << r.out;
  // --volser names one image; a directory or nothing is no image.
  EXPECT_EQ(vt.vtape("import " + q(unnamed) + " " + q(unnamed) + " --volser X1").exit_code, 2);
  EXPECT_EQ(vt.vtape("import " + q(work.path().string())).exit_code, 1);
  EXPECT_EQ(vt.vtape("import " + q(work.file("missing.tap"))).exit_code, 1);
  // Random bytes are not a tape image.
  write_file_bytes(work.file("junk.tap"), pattern_bytes(5000, 3));
  r = vt.vtape("import " + q(work.file("junk.tap")));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_FALSE(fs::exists(vt.library() + "/cartridges/JUNK.cartridge"));
  EXPECT_EQ(vt.vtape("index check").exit_code, 0) << vt.vtape("index check").out;
}

TEST(CatalogCommands, ImportATpcImageWriteProtected) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  std::vector<uint8_t> b;
  put_le16(b, 3);
  b.insert(b.end(), {'A', 'B', 'C', 0});
  put_le16(b, 0);  // filemark
  std::string image = work.file("old1.tpc");
  write_file_bytes(image, b);
  CommandResult r = vt.vtape("import " + q(image));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "OLD1: imported")) << r.out;
  EXPECT_TRUE(contains(r.out, "(tpc, write-protected)")) << r.out;
  r = vt.vtape("ls --json");
  EXPECT_EQ(json_query(r.out, "[(v['volser'], v['format'], v['write_protected'], v['tape_files']) for v in d['volumes'] "
                      "if v['volser'] == 'OLD1']"),
            "[('OLD1', 'tpc', True, 1)]");
}

// An imported TPC cartridge (a read-only format) loads read only and can
// be read in a drive.
TEST(CatalogCommands, AnImportedTpcCartridgeCanBeReadInADrive) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  std::vector<uint8_t> b;
  put_le16(b, 3);
  b.insert(b.end(), {'A', 'B', 'C', 0});
  put_le16(b, 0);
  write_file_bytes(work.file("old1.tpc"), b);
  ASSERT_EQ(vt.vtape("import " + q(work.file("old1.tpc"))).exit_code, 0);
  CommandResult r = vt.vtape("load 1 OLD1");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = run_command("dd if=" + q(vt.drive(1)) + " bs=64k count=1 2>/dev/null");
  EXPECT_EQ(r.out, "ABC");
}

// vtape protect / unprotect are seen in the catalog at once, with or
// without a running daemon.
TEST(CatalogCommands, ProtectIsSeenInTheCatalogAtOnce) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  ASSERT_EQ(vt.vtape("protect SCR001").exit_code, 0);
  CommandResult r = vt.vtape("ls --json");
  EXPECT_EQ(json_query(r.out, "[v['write_protected'] for v in d['volumes']]"), "[True]");
  r = vt.vtape("index check");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
}

TEST(CatalogCommands, HostileMemberNamesAreShownEscapedAndNeverBreakAnything) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  std::string long_name = "d/" + std::string(290, 'L') + "/end.txt";  // 300 bytes
  std::vector<std::string> names = {"../x",          "/etc/evil",      long_name,         "new\nline\x01" "ctl",
                                    "bad\xff\xfeutf8", "back\\slash",  "\x1b[31mred",      "bidi\xe2\x80\xae" "evil",
                                    "caf\xc3\xa9"};
  write_file_bytes(work.file("hostile.tar"), hostile_tar(names));
  std::string image = work.file("evil01.tap");
  ASSERT_EQ(run_vtape("write " + q(image) + " " + q(work.file("hostile.tar"))).exit_code, 0);
  CommandResult r = vt.vtape("import " + q(image));
  ASSERT_EQ(r.exit_code, 0) << describe(r);

  r = vt.vtape("ls EVIL01/0");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(safe_for_a_terminal(r.out));
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + static_cast<long>(names.size())) << r.out;
  for (const char* shown : {" ../x\n", " /etc/evil\n", " new\\x0aline\\x01ctl\n", " bad\\xff\\xfeutf8\n",
                            " back\\\\slash\n", " \\x1b[31mred\n", " bidi\\xe2\\x80\\xae" "evil\n", " caf\xc3\xa9\n"}) {
    EXPECT_TRUE(contains(r.out, shown)) << shown << " not in\n" << r.out;
  }
  EXPECT_TRUE(contains(r.out, " " + long_name + "\n")) << r.out;

  r = vt.vtape("ls EVIL01/0 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(safe_for_a_terminal(r.out));
  EXPECT_EQ(json_query(r.out, "json.dumps([m['path'] for m in d['members']][3:])"),
            "[\"new\\nline\\u0001ctl\", \"bad\\u00ff\\u00feutf8\", \"back\\\\slash\", \"\\u001b[31mred\", "
            "\"bidi\\u202eevil\", \"caf\\u00e9\"]");
  EXPECT_EQ(json_query(r.out, "len(d['members'][2]['path'])"), "300");

  r = vt.vtape("find evil");
  EXPECT_TRUE(contains(r.out, "  /etc/evil\n")) << describe(r);
  EXPECT_TRUE(safe_for_a_terminal(r.out));
  r = vt.vtape("find '*line*'");
  EXPECT_TRUE(contains(r.out, "  new\\x0aline\\x01ctl\n")) << describe(r);
  r = vt.vtape("find '/etc/*'");
  EXPECT_EQ(field(r.out, 3), "/etc/evil") << describe(r);
  EXPECT_EQ(fields(r.out).size(), 4u) << describe(r);
  r = vt.vtape("find 'end.txt' --json");
  EXPECT_EQ(json_query(r.out, "[len(m['path']) for m in d['members']]"), "[300]");
  r = vt.vtape("find '*' --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "len(d['members'])"), std::to_string(names.size()));
  r = vt.vtape("find '*'");
  EXPECT_TRUE(safe_for_a_terminal(r.out));
  r = vt.vtape("ls");
  EXPECT_TRUE(safe_for_a_terminal(r.out));
  EXPECT_EQ(vt.vtape("index check").exit_code, 0);
}

// ---------------------------------------------------------------------------
// Crash, check, rebuild

TEST(CatalogCommands, AKillDuringAWriteLeavesIndexCheckCleanAfterTheRemount) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  ASSERT_EQ(vt.vtape("new AWS001 --format aws").exit_code, 0);
  ASSERT_EQ(vt.vtape("load 1 AWS001").exit_code, 0);
  SourceTree t;
  // On each drive a tar archive, then a second tape file half written when
  // the daemon dies: five records, no filemark, the device still open.
  tar_to(t, vt.drive(0));
  tar_to(t, vt.drive(1));
  auto block = pattern_bytes(10240, 9);
  int fds[2];
  for (int d : {0, 1}) {
    fds[d] = ::open(vt.drive(d).c_str(), O_WRONLY);
    ASSERT_GE(fds[d], 0) << std::strerror(errno);
    for (int i = 0; i < 5; ++i) ASSERT_EQ(::write(fds[d], block.data(), block.size()), 10240) << std::strerror(errno);
    // A sync point: the records are on disk, but no filemark, so the
    // catalog has not heard of them.
    ASSERT_EQ(::fsync(fds[d]), 0) << std::strerror(errno);
  }
  vt.crash();
  for (int fd : fds) ::close(fd);
  ASSERT_TRUE(vt.remount("--drives 2")) << vt.error();
  CommandResult r = vt.vtape("index check");
  EXPECT_EQ(r.exit_code, 0) << describe(r) << vt.log();
  EXPECT_TRUE(contains(r.out, "catalog matches 2 volumes")) << r.out;
  // Reconciliation on mount found the records the catalog missed.
  for (const char* v : {"SCR001", "AWS001"}) {
    r = vt.vtape(std::string("ls ") + v + " --json");
    EXPECT_EQ(json_query(r.out, "[(f['content'], f['records'], f['closed_cleanly']) for f in d['files']]"),
              "[('tar', 6, True), ('unknown', 5, False)]")
        << v;
  }
  // The drives work on, and the catalog follows.
  tar_to(t, vt.drive(0));
  r = vt.vtape("index check");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
}

TEST(CatalogCommands, IndexCheckFindsAnImageChangedBehindTheDaemonsBack) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  CommandResult r = vt.vtape("index check");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "catalog matches 1 volume\n");
  vt.unmount();

  std::string lib = vt.library();
  std::string image = lib + "/cartridges/SCR001.tap";
  TempDir work;
  write_text(work.file("extra"), "one more record");
  r = run_vtape("write --append " + q(image) + " " + q(work.file("extra")));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = run_vtape("index check --library " + q(lib));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.out, "SCR001: catalog has 1 tape files, image has 2")) << r.out;

  // A byte of file 0 changed: its digest no longer matches.
  {
    auto bytes = read_file_bytes(image);
    ASSERT_GT(bytes.size(), 5000u);
    bytes[4 + 1000] ^= 0xFF;  // inside a.txt's data (bytes 512 to 1745) in the first record
    write_file_bytes(image, bytes);
  }
  r = run_vtape("index check --json --library " + q(lib));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(json_query(r.out, "sorted({(x['volser'], x['file'], x['field']) for x in d['differences']}, key=str)"),
            "[('SCR001', 0, 'digest'), ('SCR001', None, 'tape_files')]");
  EXPECT_EQ(json_query(r.out, "d['matches']"), "False");

  // A volume whose cartridge is gone, and a cartridge the catalog never saw
  // (put there by hand).
  ASSERT_EQ(run_vtape("new GONE1 --library " + q(lib)).exit_code, 0);
  fs::remove(lib + "/cartridges/GONE1.cartridge");
  fs::remove(lib + "/cartridges/GONE1.tap");
  ASSERT_EQ(run_vtape("write " + q(lib + "/cartridges/NEW1.tap") + " " + q(work.file("extra"))).exit_code, 0);
  write_text(lib + "/cartridges/NEW1.cartridge", "format simh\ncapacity 1000000\nprotected 0\ncreated x\n");
  r = run_vtape("index check --library " + q(lib));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.out, "NEW1: cartridge in the library, not in the catalog")) << r.out;
  EXPECT_TRUE(contains(r.out, "GONE1: in the catalog")) << r.out;
  EXPECT_TRUE(contains(r.out, "SCR001 file 0: catalog has xxh3-128")) << r.out;

  r = run_vtape("index rebuild --library " + q(lib));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "catalog rebuilt: 2 volumes, 3 tape files")) << r.out;
  EXPECT_TRUE(contains(r.out, "dropped 1 volume whose cartridge is gone")) << r.out;
  r = run_vtape("index check --library " + q(lib));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "catalog matches 2 volumes\n");
}

// The names vtape find searches are checked against the members too: a
// name changed or lost by hand (sqlite3) is a difference of the catalog
// itself, which a rebuild makes right.
TEST(CatalogCommands, IndexCheckFindsNamesThatAreNotTheirMembers) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  vt.unmount();
  std::string lib = vt.library();
  std::string db = q(lib + "/catalog.db");
  CommandResult r = run_vtape("index check --library " + q(lib));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  ASSERT_EQ(run_command("sqlite3 " + db + " \"UPDATE member_names SET name = 'elsewhere.txt' "
                        "WHERE id = (SELECT MIN(id) FROM member_names)\"").exit_code, 0);
  r = run_vtape("index check --library " + q(lib));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.out, "name index: 1 member without its name in member_names")) << r.out;
  r = run_vtape("index check --json --library " + q(lib));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(json_query(r.out, "sorted({x['field'] for x in d['differences']})"), "'name_index'")) << r.out;
  r = run_vtape("index rebuild --library " + q(lib));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  r = run_vtape("index check --library " + q(lib));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "catalog matches 1 volume\n");
}

// The volume list without its LAST-WRITTEN column (a rebuild takes that
// time from the image file, which may be a second later).
std::string without_times(const std::string& ls) {
  return std::regex_replace(ls, std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"), "TIME");
}

TEST(CatalogCommands, RebuildAfterLosingTheCatalogGivesTheSameListing) {
  if (!have_program("cpio")) GTEST_SKIP() << "no cpio";
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  cpio_to(t, "a.txt\\nsub/nums\\n", vt.drive(0));
  ASSERT_EQ(vt.vtape("new EMPTY1 --format het").exit_code, 0);
  std::vector<std::string> views = {"ls", "ls SCR001", "ls SCR001/0", "ls SCR001/1", "ls SCR001 --json",
                                    "ls SCR001/0 --json", "ls EMPTY1"};
  std::vector<std::string> before;
  for (const auto& v : views) {
    CommandResult r = vt.vtape(v);
    ASSERT_EQ(r.exit_code, 0) << v << describe(r);
    before.push_back(v == "ls SCR001 --json" ? std::regex_replace(r.out, std::regex("\"written_at\":\"[^\"]*\""), "")
                                             : r.out);
  }
  vt.unmount();
  for (const char* f : {"catalog.db", "catalog.db-wal", "catalog.db-shm"}) fs::remove(vt.library() + "/" + f);
  EXPECT_EQ(vt.vtape("ls").exit_code, 1);  // no catalog: said so, none made

  CommandResult r = vt.vtape("index rebuild");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "catalog rebuilt: 2 volumes, 2 tape files, 6 members\n");
  for (size_t i = 0; i < views.size(); ++i) {
    CommandResult a = vt.vtape(views[i]);
    ASSERT_EQ(a.exit_code, 0) << views[i] << describe(a);
    std::string after = views[i] == "ls SCR001 --json"
                            ? std::regex_replace(a.out, std::regex("\"written_at\":\"[^\"]*\""), "")
                            : a.out;
    if (views[i] == "ls") {
      EXPECT_EQ(without_times(after), without_times(before[i]));
      EXPECT_TRUE(contains(line_with(after, "SCR001"), "T")) << "a time of last writing: " << after;
    } else {
      EXPECT_EQ(after, before[i]) << views[i];
    }
  }
  EXPECT_EQ(vt.vtape("index check").exit_code, 0);

  // A catalog that is not a database is moved aside and made anew.
  write_text(vt.library() + "/catalog.db", std::string(8192, 'z'));
  fs::remove(vt.library() + "/catalog.db-wal");
  fs::remove(vt.library() + "/catalog.db-shm");
  EXPECT_EQ(vt.vtape("ls").exit_code, 1);
  r = vt.vtape("index rebuild");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "catalog.db.broken")) << r.err;
  EXPECT_TRUE(fs::exists(vt.library() + "/catalog.db.broken"));
  EXPECT_EQ(vt.vtape("ls SCR001/0").out, before[2]);

  // And with the daemon running, a rebuild leaves everything working.
  ASSERT_TRUE(vt.remount("--drives 2")) << vt.error();
  r = vt.vtape("index rebuild");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  ASSERT_EQ(run_command("mt -f " + q(vt.drive(0)) + " eod").exit_code, 0);
  tar_to(t, vt.drive(0));
  r = vt.vtape("ls SCR001 --json");
  EXPECT_EQ(json_query(r.out, "[f['content'] for f in d['files']]"), "['tar', 'cpio', 'tar']");
  EXPECT_EQ(vt.vtape("index check").exit_code, 0);
}

TEST(CatalogCommands, Sqlite3CanQueryTheCatalog) {
  if (!have_program("sqlite3")) GTEST_SKIP() << "no sqlite3";
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  std::string db = q(vt.library() + "/catalog.db");
  CommandResult r = run_command("sqlite3 " + db + " 'PRAGMA user_version'");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, std::to_string(sql::kSchemaVersion) + "\n");
  r = run_command("sqlite3 " + db + " 'PRAGMA application_id'");
  EXPECT_EQ(r.out, std::to_string(0x56544150) + "\n");
  r = run_command("sqlite3 " + db + " \"SELECT volser, file_number, size FROM members WHERE path GLOB '*/nums'\"");
  EXPECT_EQ(r.out, "SCR001|0|50000\n") << describe(r);
  r = run_command("sqlite3 " + db + " \"SELECT file_number, records, bytes, content, closed_cleanly FROM tape_files\"");
  std::string ls = vt.vtape("ls SCR001 --json").out;
  EXPECT_EQ(r.out, "0|" + json_query(ls, "d['files'][0]['records']") + "|" + json_query(ls, "d['files'][0]['bytes']") + "|tar|1\n")
      << describe(r);
  r = run_command("sqlite3 " + db + " \"SELECT kind, count(*) > 0 FROM events GROUP BY kind ORDER BY kind\"");
  EXPECT_TRUE(contains(r.out, "load|1")) << r.out;
  EXPECT_TRUE(contains(r.out, "write|1")) << r.out;
}


// ---------------------------------------------------------------------------
// A catalog that cannot follow: a full disk, a crash before the commit, a
// damaged catalog.db (issue 13: "Nothing lost, nobody in")

bool daemon_alive(const MountedVtapefs& vt) {
  int status = 0;
  return vt.pid() > 0 && waitpid(vt.pid(), &status, WNOHANG) == 0;
}

// `count` files of a few bytes each, named f00000 ... in dir/src.
void make_small_files(const TempDir& dir, int count) {
  fs::create_directories(dir.file("src"));
  for (int i = 0; i < count; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "f%05d", i);
    write_text(dir.file("src") + "/" + name, std::to_string(i) + "\n");
  }
}

// tar of 20000 small files onto a library whose disk holds the image but not
// the catalog's 20000 new members.  The commit fails; close() must say so
// (tar fails), and once there is space again the catalog gets every member,
// on the same mount and after a remount.
TEST(CatalogFailures, ACommitOnAFullDiskFailsCloseAndIsMadeUpForLater) {
  MountedOnSmallDisk disk("64m");
  if (!disk.skip_reason().empty()) GTEST_SKIP() << disk.skip_reason();
  ASSERT_TRUE(disk.started()) << disk.vt().error();
  MountedVtapefs& vt = disk.vt();
  TempDir work;
  make_small_files(work, 20000);
  CommandResult r = run_command("tar -cf " + q(work.file("a.tar")) + " -C " + q(work.file("src")) + " .");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  uint64_t archive = fs::file_size(work.file("a.tar"));
  // Room for the image (its records and their framing) and 1 MiB more: not
  // for the catalog's members (several MiB of pages).
  uint64_t image = archive + archive / 10240 * 8 + 64;
  uint64_t free = disk.free_bytes();
  ASSERT_GT(free, image + (2 << 20)) << "the tmpfs is too small for the test";
  write_file_bytes(vt.library() + "/filler", std::vector<uint8_t>(free - image - (1 << 20), 0xEE));

  r = run_command("tar -cf " + q(vt.drive(0)) + " -C " + q(work.file("src")) + " .");
  EXPECT_NE(r.exit_code, 0) << "tar was not told that its archive is not in the catalog\n" << describe(r)
                            << vt.log();
  EXPECT_TRUE(contains(r.err, "No space left on device") || contains(r.err, "Input/output error")) << r.err;
  settle_drive(vt.drive(0));
  ASSERT_TRUE(daemon_alive(vt)) << vt.log();

  // Space again; the cartridge goes out and in again, and the user carries
  // on with the next archive after the first.
  fs::remove(vt.library() + "/filler");
  ASSERT_EQ(vt.vtape("unload 0").exit_code, 0);
  ASSERT_EQ(vt.vtape("load 0 SCR001").exit_code, 0);
  ASSERT_EQ(run_command("mt -f " + q(vt.drive(0)) + " eod").exit_code, 0);
  SourceTree t;
  tar_to(t, vt.drive(0));
  for (const char* name : {"f00000", "f19999", "nums"}) {
    r = vt.vtape(std::string("find ") + name);
    EXPECT_EQ(r.exit_code, 0) << name << " is missing from the catalog\n" << describe(r) << vt.log();
  }
  r = vt.vtape("ls SCR001 --json");
  EXPECT_EQ(json_query(r.out, "[(f['content'], f['members']) for f in d['files']]"), "[('tar', 20001), ('tar', 4)]")
      << r.out;
  r = vt.vtape("index check");
  EXPECT_EQ(r.exit_code, 0) << describe(r);

  // And for good: a remount keeps them.
  ASSERT_TRUE(vt.remount()) << vt.error();
  r = vt.vtape("find f12345");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(vt.vtape("index check").exit_code, 0);
}

// The same when the daemon dies after the failed commit: the next mount
// sees the volume was being written when the catalog stopped following.
TEST(CatalogFailures, AFailedCommitIsRepairedByTheNextMountAfterACrash) {
  MountedOnSmallDisk disk("64m");
  if (!disk.skip_reason().empty()) GTEST_SKIP() << disk.skip_reason();
  ASSERT_TRUE(disk.started()) << disk.vt().error();
  MountedVtapefs& vt = disk.vt();
  // A first archive, cataloged, so that the volume's recorded size is not 0.
  SourceTree t;
  tar_to(t, vt.drive(0));
  TempDir work;
  make_small_files(work, 20000);
  CommandResult r = run_command("tar -cf " + q(work.file("a.tar")) + " -C " + q(work.file("src")) + " .");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  uint64_t archive = fs::file_size(work.file("a.tar"));
  uint64_t image = archive + archive / 10240 * 8 + 64;
  uint64_t free = disk.free_bytes();
  ASSERT_GT(free, image + (2 << 20));
  write_file_bytes(vt.library() + "/filler", std::vector<uint8_t>(free - image - (1 << 20), 0xEE));
  r = run_command("tar -cf " + q(vt.drive(0)) + " -C " + q(work.file("src")) + " .");
  EXPECT_NE(r.exit_code, 0) << describe(r);
  settle_drive(vt.drive(0));
  vt.crash();
  fs::remove(vt.library() + "/filler");
  ASSERT_TRUE(vt.remount()) << vt.error();
  r = vt.vtape("find f19999");
  EXPECT_EQ(r.exit_code, 0) << describe(r) << vt.log();
  EXPECT_EQ(vt.vtape("index check").exit_code, 0);
}

// Holds the catalog's write lock (BEGIN IMMEDIATE on a connection of its
// own) until destroyed: a drive's commit waits on it.
class CatalogWriteLock {
 public:
  explicit CatalogWriteLock(const std::string& db) {
    if (sqlite3_open_v2(db.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
      // The daemon may be in a commit of its own (the members stream in as
      // they are written): wait for it rather than fail at once.
      sqlite3_busy_timeout(db_, 10000);
      held_ = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
    }
  }
  ~CatalogWriteLock() {
    if (held_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
  }
  bool held() const { return held_; }

 private:
  sqlite3* db_ = nullptr;
  bool held_ = false;
};

// Two archives of the same shape: the same number of members of the same
// sizes, under other names (a*** and b***).
std::string same_shape_archive(const TempDir& dir, const std::string& prefix) {
  std::string src = dir.file(prefix);
  fs::create_directories(src);
  for (int i = 0; i < 40; ++i) {
    std::string name = prefix + std::to_string(1000 + i);
    auto bytes = pattern_bytes(3000 + 100 * static_cast<size_t>(i), static_cast<uint32_t>(prefix[0]) * 100 + i);
    write_file_bytes(src + "/" + name, bytes);
  }
  std::string tar = dir.file(prefix + ".tar");
  CommandResult r = run_command("tar -cf " + q(tar) + " --mtime=2020-01-01 -C " + q(src) + " .");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  return tar;
}

// kill -9 while close() of a rewrite of tape file 0 waits on the catalog
// (held by another process): the image is the new archive, of the same size
// as the old; the catalog still describes the old.  The next mount must see
// it and index the volume again.
TEST(CatalogFailures, ACrashDuringTheCommitOfASameSizeRewriteIsRepairedOnMount) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  std::string a = same_shape_archive(work, "a");
  std::string b = same_shape_archive(work, "b");
  ASSERT_EQ(fs::file_size(a), fs::file_size(b));
  CommandResult r = run_command("dd if=" + q(a) + " of=" + q(vt.drive(0)) + " bs=10240 2>&1");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  settle_drive(vt.drive(0));
  std::string image = vt.library() + "/cartridges/SCR001.tap";
  uint64_t size_a = fs::file_size(image);
  ASSERT_EQ(vt.vtape("find a1000").exit_code, 0);

  // The rewrite: tape file 0 again, record for record.
  ASSERT_EQ(run_command("mt -f " + q(vt.drive(0)) + " rewind").exit_code, 0);
  int fd = ::open(vt.drive(0).c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  auto bytes = read_file_bytes(b);
  for (size_t at = 0; at < bytes.size(); at += 10240) {
    ASSERT_EQ(::write(fd, bytes.data() + at, 10240), 10240) << std::strerror(errno);
  }
  std::optional<CatalogWriteLock> lock;
  lock.emplace(vt.library() + "/catalog.db");
  ASSERT_TRUE(lock->held());
  std::thread closer([fd] { ::close(fd); });  // the filemark, then the commit waits for the lock
  for (int i = 0; i < 200; ++i) {
    usleep(25000);
    if (fs::file_size(image) >= size_a) break;  // the filemark is on disk
  }
  usleep(300000);
  vt.crash();
  closer.join();
  lock.reset();
  ASSERT_TRUE(vt.remount()) << vt.error();
  ASSERT_EQ(fs::file_size(image), size_a) << "the rewrite should leave an image of the same size";

  r = vt.vtape("find b1000");
  EXPECT_EQ(r.exit_code, 0) << "the new archive's member is not in the catalog\n" << describe(r) << vt.log();
  r = vt.vtape("find a1000");
  EXPECT_EQ(r.exit_code, 1) << "the catalog lists a member that is no longer on the tape\n" << describe(r);
  r = vt.vtape("index check");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  r = vt.vtape("restore SCR001/0 --to-image " + q(work.file("back.tap")));
  EXPECT_EQ(r.exit_code, 0) << "restore checks the records against the catalog\n" << describe(r);
}

// catalog.db truncated under the running daemon: listing saved/ is an
// error of that call; the daemon, its mount and its drives live on.
TEST(CatalogFailures, ATruncatedCatalogIsAnErrorNotTheEndOfTheDaemon) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  make_small_files(work, 3000);
  CommandResult r = run_command("tar -cf " + q(vt.drive(0)) + " -C " + q(work.file("src")) + " .");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  settle_drive(vt.drive(0));
  // A clean restart: the catalog's pages are in catalog.db, not in the WAL.
  ASSERT_TRUE(vt.remount()) << vt.error();
  ASSERT_EQ(run_command("ls " + q(vt.mount_point() + "/saved/SCR001/0000/members")).exit_code, 0);
  ASSERT_EQ(truncate((vt.library() + "/catalog.db").c_str(), 8192), 0) << std::strerror(errno);

  for (const char* dir : {"/saved", "/saved/SCR001", "/saved/SCR001/0000", "/saved/SCR001/0000/members"}) {
    r = run_command("ls -l " + q(vt.mount_point() + dir));
    ASSERT_TRUE(daemon_alive(vt)) << "the daemon died listing " << dir << "\n" << vt.log();
    if (r.exit_code != 0) {
      EXPECT_TRUE(contains(r.err, "Input/output error")) << dir << describe(r);
    }
  }
  r = run_command("find " + q(vt.mount_point() + "/saved") + " -type f");
  ASSERT_TRUE(daemon_alive(vt)) << vt.log();
  // The mount and the drives work on: the tape reads back.
  r = run_command("mt -f " + q(vt.drive(0)) + " rewind && tar -tf " + q(vt.drive(0)) + " | wc -l");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "3001\n") << describe(r);
  ASSERT_TRUE(daemon_alive(vt)) << vt.log();
  // Writing needs the catalog: with it damaged, tar may be refused, but the
  // daemon stays.
  r = run_command("tar -cf " + q(vt.drive(0)) + " -C " + q(work.file("src")) + " .");
  settle_drive(vt.drive(0));
  ASSERT_TRUE(daemon_alive(vt)) << describe(r) << vt.log();
  EXPECT_EQ(vt.vtape("status").exit_code, 0);
}

// The trigram index of the names is caught up after a tape file's commit,
// on the drive's catalog writer, not in close(): soon after tar has exited
// its mark reaches the last member (and FTS5 finds the index consistent
// with the names), while vtape find is exact all along.
TEST(CatalogCommands, TheNamesIndexCatchesUpAfterTheCommitOnItsOwn) {
  if (!have_program("sqlite3")) GTEST_SKIP() << "no sqlite3";
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir dir;
  std::string tree = dir.file("tree");
  ASSERT_TRUE(fs::create_directory(tree));
  constexpr int kMembers = 6000;
  for (int i = 0; i < kMembers; ++i) write_text(tree + "/member" + std::to_string(i) + ".txt", "");
  CommandResult r = run_command("tar -b 20 -cf " + q(vt.drive(0)) + " -C " + q(tree) + " .");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = vt.vtape("find '*ember59*'");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 111) << r.out;  // member59 and member59NN (x.txt and x)
  std::string db = q(vt.library() + "/catalog.db");
  std::string lag = "sqlite3 " + db + " \"SELECT (SELECT MAX(id) FROM member_names) - through_id FROM member_names_indexed\"";
  for (int tries = 0; tries < 600; ++tries) {
    r = run_command(lag);
    if (r.exit_code == 0 && r.out == "0\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(r.out, "0\n") << describe(r) << vt.log();
  r = run_command("sqlite3 " + db + " \"SELECT COUNT(*) FROM member_names_fts WHERE name GLOB '*ember59*'\"");
  EXPECT_EQ(r.out, "111\n") << describe(r);
  r = run_command("sqlite3 " + db + " \"INSERT INTO member_names_fts (member_names_fts) VALUES ('integrity-check')\"");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
}

}  // namespace
}  // namespace vtape::testing
