// Helpers for the catalog-side tests: archives made by the real tar and
// cpio, tape files split into records, hand-made label and header blocks.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "index/ebcdic.h"
#include "index/tape_file_analyzer.h"
#include "index/tape_member.h"
#include "tests/test_support.h"

namespace vtape::testing {

inline std::vector<uint8_t> bytes_of(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

inline std::string str_of(std::span<const uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// Runs a shell command and fails the test (returning false) when it fails.
inline bool run_ok(const std::string& command) {
  CommandResult r = run_command(command);
  EXPECT_EQ(r.exit_code, 0) << command << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err;
  return r.exit_code == 0;
}

// The stream cut into records of `size` bytes; the last one may be shorter.
inline std::vector<std::vector<uint8_t>> split_records(const std::vector<uint8_t>& stream, size_t size) {
  std::vector<std::vector<uint8_t>> out;
  for (size_t at = 0; at < stream.size(); at += size) {
    size_t n = std::min(size, stream.size() - at);
    out.emplace_back(stream.begin() + static_cast<ptrdiff_t>(at), stream.begin() + static_cast<ptrdiff_t>(at + n));
  }
  return out;
}

// What a TapeFileAnalyzer learns from the stream written as records of
// `record_size` bytes.
inline TapeFileAnalysis analyze_in_records(const std::vector<uint8_t>& stream, size_t record_size) {
  TapeFileAnalyzer a(kDefaultDigest);
  for (const auto& r : split_records(stream, record_size)) a.add_record(r);
  return a.finish();
}

inline TapeFileAnalysis analyze_records(const std::vector<std::vector<uint8_t>>& records) {
  TapeFileAnalyzer a(kDefaultDigest);
  for (const auto& r : records) a.add_record(r);
  return a.finish();
}

// SHA-256 of some bytes by the sha256sum program (not our implementation).
inline std::string sha256sum_of(const std::vector<uint8_t>& bytes) {
  TempDir d;
  write_file_bytes(d.file("in"), bytes);
  CommandResult r = run_command("sha256sum " + shell_quote(d.file("in")));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.substr(0, 64);
}

// XXH3-128 of some bytes by xxhsum -H2 (the xxhash package's program, not
// our use of the library): the default digest of a tape file.
inline std::string xxhsum_of(const std::vector<uint8_t>& bytes) {
  TempDir d;
  write_file_bytes(d.file("in"), bytes);
  CommandResult r = run_command("xxhsum -H2 " + shell_quote(d.file("in")));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.substr(0, 32);
}

// ---- hand-made 80-byte tape labels ----------------------------------------

// An 80-byte label: `fields` puts text at 1-based columns; blanks elsewhere.
struct LabelField {
  size_t column;
  std::string text;
};
inline std::string label_text(const std::string& id, const std::vector<LabelField>& fields) {
  std::string s(80, ' ');
  s.replace(0, 4, id);
  for (const auto& f : fields) s.replace(f.column - 1, f.text.size(), f.text);
  return s;
}

// ASCII to EBCDIC (code page 037) by inverting index/ebcdic's table, for
// the characters labels use.
inline std::vector<uint8_t> to_ebcdic(const std::string& s) {
  std::vector<uint8_t> out;
  for (char c : s) {
    int code = -1;
    for (int b = 0; b < 256 && code < 0; ++b) {
      if (c != '.' && ebcdic_to_ascii(static_cast<uint8_t>(b)) == c) code = b;
    }
    if (c == '.') code = 0x4B;
    EXPECT_GE(code, 0) << "no EBCDIC code for '" << c << "'";
    out.push_back(static_cast<uint8_t>(code < 0 ? 0x40 : code));
  }
  return out;
}

inline std::string vol1_text(const std::string& volser, const std::string& owner) {
  return label_text("VOL1", {{5, volser}, {38, owner}, {80, "3"}});
}
inline std::string hdr1_text(const std::string& file_id, int file_seq) {
  char seq[8];
  std::snprintf(seq, sizeof seq, "%04d", file_seq % 10000);
  return label_text("HDR1", {{5, file_id},
                             {22, "SET001"},
                             {28, "0001"},
                             {32, seq},
                             {36, "0001"},
                             {40, "00"},
                             {42, " 24005"},
                             {48, " 24005"},
                             {55, "000000"},
                             {61, "VTAPETEST"}});
}
inline std::string hdr2_text(int block_length, int record_length) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "F%05d%05d", block_length, record_length);
  return label_text("HDR2", {{5, buf}});
}
inline std::string eof1_text(const std::string& file_id, int blocks) {
  char count[8];
  std::snprintf(count, sizeof count, "%06d", blocks);
  return label_text("EOF1", {{5, file_id}, {55, count}});
}

// Pick/D3 tape label: "L " + block length in hex, time, date, 48 columns of
// header text (from column 29), reel number in columns 79-80.
inline std::vector<uint8_t> pick_label(const std::string& header_text) {
  std::string s = "L 01F4 12:34:56 JAN 05 2024 ";
  std::string text = header_text;
  text.resize(48, ' ');
  s += text;
  s += "  01";
  EXPECT_EQ(s.size(), 80u);
  return bytes_of(s);
}

// One OpenVMS BACKUP block of `size` bytes: the 256-byte little-endian
// block header (header size 256, block number, block size, saveset name).
inline std::vector<uint8_t> vms_backup_block(const std::string& saveset, uint32_t size, uint32_t number) {
  std::vector<uint8_t> b(size, 0);
  auto le16 = [&](size_t at, uint16_t v) {
    b[at] = static_cast<uint8_t>(v);
    b[at + 1] = static_cast<uint8_t>(v >> 8);
  };
  auto le32 = [&](size_t at, uint32_t v) {
    le16(at, static_cast<uint16_t>(v));
    le16(at + 2, static_cast<uint16_t>(v >> 16));
  };
  le16(0, 256);
  le16(2, 1);  // structure level
  le32(8, number);
  le32(40, size);
  b[48] = static_cast<uint8_t>(saveset.size());
  std::copy(saveset.begin(), saveset.end(), b.begin() + 49);
  for (size_t i = 256; i < size; ++i) b[i] = static_cast<uint8_t>(i * 7 + number);
  return b;
}

// ---- trees and archives made by the real programs --------------------------

inline std::string repeat(char c, size_t n) { return std::string(n, c); }

// A tree under ROOT/top with every kind of entry tar carries and fixed
// modes and mtimes; optionally a path of 139 characters (a 74-character
// name in a 64-character directory) and a symlink target of 113.  Entries
// are made with the shell so that the test does not depend on how it would
// make them itself.
inline bool make_tar_tree(const std::string& root, bool long_names, bool long_link_target) {
  std::string q = shell_quote(root);
  std::string long_dir = "top/" + repeat('d', 60);
  std::string long_file = repeat('f', 70) + ".txt";  // top/ddd.../fff...: 4+60+1+74 = 139 characters
  std::ostringstream cmd;
  cmd << "set -e; cd " << q << "; mkdir -p top/sub/deeper top/emptydir; "
      << "printf 'hello, tape\\n' > top/small.txt; "
      << "head -c 30000 /dev/urandom > top/sub/big.bin; "
      << "head -c 1048577 /dev/urandom > top/sub/deeper/mib_plus_one.dat; "
      << ": > top/empty; "
      << "printf 'x' > top/sub/one_byte; "
      << "ln -s small.txt top/link_to_small; "
      << "ln top/small.txt top/hard_to_small; "
      << "chmod 0640 top/small.txt; chmod 0755 top/sub/big.bin; chmod 0600 top/empty; chmod 0751 top/sub; "
      << "chmod 1777 top/emptydir; chmod 4755 top/sub/one_byte; ";
  if (long_names) {
    cmd << "mkdir -p " << long_dir << "; "
        << "printf 'long name content\\n' > " << long_dir << "/" << long_file << "; ";
  }
  if (long_link_target) cmd << "ln -s ../" << repeat('t', 110) << " top/link_with_long_target; ";
  // mtimes last, deepest first, so making entries does not change them.
  cmd << "find top -depth -exec touch -h -d @1234567890 {} +; "
      << "touch -d @1000000000 top/small.txt; touch -d @1700000001 top/sub/big.bin";
  return run_ok(cmd.str());
}

// An expected member, from lstat() of the tree.
struct TreeEntry {
  std::string kind;
  uint64_t size = 0;
  uint32_t mode = 0;
  int64_t mtime = 0;
  std::string link_target;
  std::string content;  // regular files and symlink targets
};

inline TreeEntry tree_entry(const std::string& path) {
  TreeEntry e;
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  e.mode = st.st_mode & 07777;
  e.mtime = st.st_mtime;
  if (S_ISDIR(st.st_mode)) {
    e.kind = "directory";
  } else if (S_ISLNK(st.st_mode)) {
    e.kind = "symlink";
    char buf[4096];
    ssize_t n = readlink(path.c_str(), buf, sizeof buf);
    e.link_target.assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
    e.content = e.link_target;
    e.size = static_cast<uint64_t>(st.st_size);
  } else {
    e.kind = "file";
    e.size = static_cast<uint64_t>(st.st_size);
    e.content = str_of(read_file_bytes(path));
  }
  return e;
}

// Lines of a command's output (the names tar -t / cpio -t list).
inline std::vector<std::string> output_lines(const std::string& command) {
  CommandResult r = run_command(command);
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.err;
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

inline std::string describe_members(const std::vector<TapeMember>& ms) {
  std::string s;
  for (const auto& m : ms) {
    s += m.kind + " " + m.path + " size=" + std::to_string(m.size) + " mode=" + std::to_string(m.mode) +
         " mtime=" + std::to_string(m.mtime) + " at=" + std::to_string(m.data_offset) +
         (m.link_target.empty() ? "" : " -> " + m.link_target) + "\n";
  }
  return s;
}

inline bool same_member(const TapeMember& a, const TapeMember& b) {
  return a.kind == b.kind && a.path == b.path && a.size == b.size && a.mode == b.mode && a.mtime == b.mtime &&
         a.data_offset == b.data_offset && a.link_target == b.link_target;
}

inline void expect_same_members(const std::vector<TapeMember>& actual, const std::vector<TapeMember>& expected) {
  bool same = actual.size() == expected.size();
  for (size_t i = 0; same && i < actual.size(); ++i) same = same_member(actual[i], expected[i]);
  EXPECT_TRUE(same) << "actual:\n" << describe_members(actual) << "expected:\n" << describe_members(expected);
}

}  // namespace vtape::testing
