// Helpers shared by the tests: a temporary directory that cleans up after
// itself, running the vtape binary and other programs, and building images
// byte by byte.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace vtape::testing {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // standard output
  std::string err;  // standard error
};

// Runs a shell command line; captures stdout and stderr separately.
CommandResult run_command(const std::string& command_line);
// Runs the vtape binary under test with the given argument string.
CommandResult run_vtape(const std::string& arguments);
// Quotes a string for /bin/sh.
std::string shell_quote(const std::string& s);
// True when a program is on PATH.
bool have_program(const std::string& name);

std::vector<uint8_t> read_file_bytes(const std::string& path);
void write_file_bytes(const std::string& path, const std::vector<uint8_t>& bytes);
// Deterministic pseudo-random bytes (the same for the same seed).
std::vector<uint8_t> pattern_bytes(size_t n, uint32_t seed);

// Little-endian builders for hand-made images.
void put_le16(std::vector<uint8_t>& v, uint16_t x);
void put_le32(std::vector<uint8_t>& v, uint32_t x);
// One SIMH record (padded) or E11 record (unpadded) of `data` with `word`
// as its length word (pass the length, optionally with class bits).
void put_simh_record(std::vector<uint8_t>& v, const std::vector<uint8_t>& data, bool padded = true,
                     uint32_t flags = 0);

}  // namespace vtape::testing
