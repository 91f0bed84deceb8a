// kill -9 of `vtape restore` and `vtape import` mid-way (issue 20): nothing
// half-written sits under a final name (only the tool's own partial file,
// OUT.vtape-partial or VOLSER.EXT.importing), and a rerun (restore
// --resume, import again) finishes with exactly what an uninterrupted run
// makes.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

// `vtape ARGS` started as a child of its own (output to `log`), to be
// killed.
pid_t start_vtape(const std::string& arguments, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    std::string line = "exec " + shell_quote(VTAPE_BINARY) + " " + arguments + " > " + shell_quote(log) + " 2>&1";
    execl("/bin/sh", "sh", "-c", line.c_str(), nullptr);
    _exit(127);
  }
  return pid;
}

// Waits until `path` holds at least `bytes` or the child ended; kills the
// child (SIGKILL) if it still runs.  True when it was killed mid-way.
bool kill_once_written(pid_t pid, const std::string& path, uint64_t bytes) {
  bool ended = false;
  for (int i = 0; i < 200000; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      ended = true;
      break;
    }
    std::error_code ec;
    if (fs::exists(path, ec) && fs::file_size(path, ec) >= bytes && !ec) break;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  if (ended) return false;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return true;
}

// A SIMH image of 24 MiB (tar archives of pattern data), made with
// vtape write.
std::string big_image(const TempDir& dir) {
  std::string data = dir.file("data.bin");
  write_file_bytes(data, pattern_bytes(12 << 20, 9));
  std::string image = dir.file("BIG001.tap");
  auto w = run_vtape("write " + shell_quote(image) + " --format simh --record-size 65536 " + shell_quote(data) + " " +
                     shell_quote(data));
  EXPECT_EQ(w.exit_code, 0) << describe(w);
  fs::remove(data);
  return image;
}

TEST(KilledTools, ARestoreToAnImageKilledMidWayLeavesOnlyItsPartialFileAndResumes) {
  TempDir dir;
  std::string source = big_image(dir);
  if (HasFailure()) return;
  std::string out = dir.file("out.tap");
  pid_t pid = start_vtape("restore " + shell_quote(source) + " --to-image " + shell_quote(out), dir.file("log"));
  ASSERT_TRUE(kill_once_written(pid, out + ".vtape-partial", 2 << 20)) << "the restore finished before the kill";
  EXPECT_FALSE(fs::exists(out)) << "a half-written image under its final name";
  EXPECT_TRUE(fs::exists(out + ".vtape-partial"));

  auto r = run_vtape("restore " + shell_quote(source) + " --to-image " + shell_quote(out) + " --resume");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_FALSE(fs::exists(out + ".vtape-partial"));
  auto v = run_vtape("verify " + shell_quote(out));
  EXPECT_EQ(v.exit_code, 0) << describe(v);
  // The same bytes as the source: a SIMH image restored as SIMH.
  EXPECT_TRUE(read_file_bytes(out) == read_file_bytes(source)) << "the resumed restore differs from its source";
}

TEST(KilledTools, AnImportKilledMidWayLeavesNoCartridgeAndARerunImportsIt) {
  TempDir dir;
  std::string source = big_image(dir);
  if (HasFailure()) return;
  std::string lib = dir.file("lib");
  std::string copy = lib + "/cartridges/BIG001.tap";
  pid_t pid = start_vtape("import --library " + shell_quote(lib) + " " + shell_quote(source), dir.file("log"));
  bool mid_way = kill_once_written(pid, copy + ".importing", 2 << 20);
  ASSERT_TRUE(mid_way) << "the import finished before the kill: " << read_text(dir.file("log"));
  EXPECT_FALSE(fs::exists(copy)) << "a half-copied image under its final name";
  EXPECT_FALSE(fs::exists(lib + "/cartridges/BIG001.cartridge")) << "a cartridge whose image is half there";

  auto again = run_vtape("import --library " + shell_quote(lib) + " " + shell_quote(source));
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_FALSE(fs::exists(copy + ".importing"));
  EXPECT_TRUE(read_file_bytes(copy) == read_file_bytes(source)) << "the imported image differs from its source";
  auto ls = run_vtape("ls BIG001 --library " + shell_quote(lib) + " --json");
  ASSERT_EQ(ls.exit_code, 0) << describe(ls);
  EXPECT_EQ(json_query(ls.out, "len(d['files'])"), "2") << ls.out;
  auto check = run_vtape("index check --library " + shell_quote(lib));
  EXPECT_EQ(check.exit_code, 0) << describe(check);
}

}  // namespace
}  // namespace vtape::testing
