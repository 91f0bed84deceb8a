// The soak: one vtapefs with four drives written and read at once by tar,
// dd, cpio and a GNU tar over rmt, the spool printing, `vtape find` and
// `vtape restore` looping, and every drive mirrored (--mirror) to a second
// library through a real sshd on 127.0.0.1, for a bounded time
// (VTAPE_SOAK_SECONDS, 60 s by default; an hour by hand).  Afterwards no
// client has failed, every image verifies, the catalog check is clean, every
// cartridge is on the remote side identical, `vtape status` showed the
// links and the daemon's memory stayed flat.

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/test_support.h"
#include "tests/test_support/ssh_fixture.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string q(const std::string& s) { return shell_quote(s); }

// This login's spool user (its name in upper case), whose spool/USER/ the mount shows.
std::string spool_user() {
  passwd* pw = getpwuid(getuid());
  std::string name = pw != nullptr ? pw->pw_name : "";
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

int soak_seconds() {
  const char* s = std::getenv("VTAPE_SOAK_SECONDS");
  int n = s != nullptr ? std::atoi(s) : 0;
  return n > 0 ? n : 60;
}

// The daemon's resident set in KiB (VmRSS of /proc/PID/status), 0 when gone.
long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

// The sanitizers' own memory grows with what the program touched, not with
// a leak of it (TSan's shadow and history, ASan's shadow and allocator
// caches: 141 -> 153 MiB over 60 s under ASan even with a small
// quarantine): the memory is judged only in a build without them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kJudgeMemory = false;
#else
constexpr bool kJudgeMemory = true;
#endif

// Each drive's mirror link in `vtape status --json`, "REMOTE: LINK", one line per drive.
constexpr const char* kLinks =
    "'\\n'.join(m.get('remote', '-') + ': ' + m.get('link', 'no mirror') for m in "
    "(x.get('mirror', {}) for x in d['drives']))";

// The first failure of each client, for the test's verdict.
class Failures {
 public:
  void add(const std::string& who, const CommandResult& r) {
    std::lock_guard<std::mutex> lock(mutex_);
    list_.push_back(who + ": " + describe(r));
  }
  std::vector<std::string> list() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return list_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> list_;
};

class Soak : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* p : {"tar", "cpio", "mt-gnu", "dd", "cmp", "diff"}) ASSERT_TRUE(have_program(p)) << p << " is missing";
    // A quarantine of a few MiB keeps ASan's own memory from passing for a
    // leak of the daemon (the default is 256 MiB, filled over minutes).
#if defined(__SANITIZE_ADDRESS__)
    const char* asan = std::getenv("ASAN_OPTIONS");
    setenv("ASAN_OPTIONS",
           (std::string(asan != nullptr ? asan : "") + ":quarantine_size_mb=8:thread_local_quarantine_size_kb=256").c_str(),
           1);
#endif
    // The second library, behind sshd and served by a vtapefs of its own,
    // so that the four drives' streams are received at once (SCR001 stays
    // in its drive 0, the mirror of SCR001 goes there).  The remote
    // cartridges have the local names (an empty prefix: SCR001 and SOAK0n
    // are six characters, the most a volser has).  A queue of 1 MiB per
    // drive (not 64): what it holds is the daemon's memory, which must stay
    // under 64 MiB; the records past it are read from the image, which the
    // soak exercises too.
    remote_ = std::make_unique<RemoteLibrary>("", "--drives 5");
    ASSERT_TRUE(remote_->ok()) << remote_->error();
    vt_ = std::make_unique<MountedVtapefs>(
        "--drives 4 --mirror root@127.0.0.1: --mirror-retry 1 --mirror-queue-bytes 1048576 --mirror-ssh-command " +
        q(remote_->ssh()) + " --mirror-receive-command " + q(remote_->receive_command()));
    ASSERT_TRUE(vt_->ok()) << vt_->error();
    src_ = work_.file("src");
    fs::create_directories(src_ + "/sub");
    write_file_bytes(src_ + "/big.bin", pattern_bytes(3 << 20, 7));
    write_file_bytes(src_ + "/sub/soak-needle.dat", pattern_bytes(40000, 8));
    write_text(src_ + "/sub/notes.txt", "soak notes\n");
    write_file_bytes(work_.file("raw.bin"), pattern_bytes(2 << 20, 9));
    write_text(work_.file("listing.txt"), std::string(200, '=') + "\nsoak listing line\n");

    // SCR001 gets one tar archive and is put away: the restore and find
    // loops read it while the drives write other cartridges.
    CommandResult r = run_command("tar -cf " + q(vt_->drive(0)) + " -C " + q(work_.path()) + " src");
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    settle_drive(vt_->drive(0));
    r = vt_->vtape("unload 0");
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const char* formats[] = {"tap", "aws", "het", "e11"};
    for (int d = 0; d < 4; ++d) {
      std::string vol = "SOAK0" + std::to_string(d);
      r = vt_->vtape("new " + vol + " --format " + formats[d]);
      ASSERT_EQ(r.exit_code, 0) << describe(r);
      r = vt_->vtape("load " + std::to_string(d) + " " + vol);
      ASSERT_EQ(r.exit_code, 0) << describe(r);
    }
    // GNU tar's remote tape: a "remote shell" that starts vtape rmt on this
    // library, as ssh's forced command would.
    rsh_ = work_.file("rsh.sh");
    write_text(rsh_, "#!/bin/sh\nexec " + q(VTAPE_BINARY) + " rmt --library " + q(vt_->library()) + "\n");
    ::chmod(rsh_.c_str(), 0700);
  }

  // Runs `step` on a thread of its own until the deadline or its first failure.
  void loop(const std::string& who, std::function<CommandResult(int)> step) {
    threads_.emplace_back([this, who, step] {
      for (int i = 0; Clock::now() < deadline_; ++i) {
        CommandResult r = step(i);
        if (r.exit_code != 0) {
          failures_.add(who + " (round " + std::to_string(i) + ")", r);
          return;
        }
        rounds_ += 1;
      }
    });
  }

  TempDir work_;
  // Declared before vt_: the unmount waits for the mirror, then sshd stops.
  std::unique_ptr<RemoteLibrary> remote_;
  std::unique_ptr<MountedVtapefs> vt_;
  std::string src_, rsh_;
  Clock::time_point deadline_;
  std::vector<std::thread> threads_;
  Failures failures_;
  std::atomic<long> rounds_{0};
};

TEST_F(Soak, FourDrivesTheSpoolFindAndRestoreAtOnceStayCorrectAndFlat) {
  const int seconds = soak_seconds();
  deadline_ = Clock::now() + std::chrono::seconds(seconds);
  const std::string work = work_.path().string();
  const std::string mnt = vt_->mount_point();

  // Drive 0: tar writes at the beginning of the tape (st0 rewinds on
  // close), then tar -d compares the archive with the files.
  loop("tar on st0", [&](int) {
    return run_command("tar -cf " + q(mnt + "/drives/st0") + " -C " + q(work) + " src && tar -df " +
                       q(mnt + "/drives/st0") + " -C " + q(work));
  });
  // Drive 1: dd, 64 KiB records, read back and compared.
  loop("dd on st1", [&](int) {
    std::string out = work + "/dd.out";
    return run_command("dd if=" + q(work + "/raw.bin") + " of=" + q(mnt + "/drives/st1") +
                       " bs=64k status=none && dd if=" + q(mnt + "/drives/st1") + " of=" + q(out) +
                       " bs=64k status=none && cmp " + q(work + "/raw.bin") + " " + q(out));
  });
  // Drive 2: cpio (newc, 5 KiB blocks) out and in, compared with diff.
  loop("cpio on st2", [&](int) {
    std::string out = work + "/cpio.out";
    return run_command("cd " + q(work) + " && find src | cpio -o --quiet -H newc -C 5120 -O " +
                       q(mnt + "/drives/st2") + " && rm -rf " + q(out) + " && mkdir " + q(out) + " && cd " +
                       q(out) + " && cpio -i --quiet -d -C 5120 -I " + q(mnt + "/drives/st2") + " && diff -r " +
                       q(work + "/src") + " " + q(out + "/src"));
  });
  // Drive 3: GNU tar over rmt: rewind, write, rewind, compare.
  loop("tar over rmt on nst3", [&](int) {
    std::string via = " --rsh-command=" + q(rsh_);
    std::string mt = "mt-gnu -f localhost:nst3" + via;
    return run_command(mt + " rewind && tar -cf localhost:nst3" + via + " -C " + q(work) + " src && " + mt +
                       " rewind && tar -df localhost:nst3" + via + " -C " + q(work));
  });
  // The spool: a listing printed a few times a second.
  loop("spool printing", [&](int i) {
    pause_ms(200);
    return run_command("cp " + q(work + "/listing.txt") + " " +
                       q(mnt + "/spool/" + spool_user() + "/prt/soak" + std::to_string(i % 10) + ".txt"));
  });
  // The catalog and the images read back: find a member, restore one
  // member and the whole archive of the put-away cartridge.
  loop("vtape find and restore", [&](int) {
    CommandResult f = vt_->vtape("find 'soak-needle*'");
    if (f.exit_code == 0 && f.out.find("SCR001") == std::string::npos) f.exit_code = 100;
    if (f.exit_code != 0) return f;
    return run_command("VTAPE_LIBRARY=" + q(vt_->library()) + " " + q(VTAPE_BINARY) +
                       " restore SCR001/0:src/sub/notes.txt --to-stdout | cmp - " + q(src_ + "/sub/notes.txt") +
                       " && VTAPE_LIBRARY=" + q(vt_->library()) + " " + q(VTAPE_BINARY) +
                       " restore SCR001/0 --to-stdout 2>/dev/null | tar -df - -C " + q(work));
  });

  // Each drive's mirror link as `vtape status` shows it ("REMOTE: LINK"),
  // about once a second (not a client: its rounds are not counted).
  std::map<int, std::set<std::string>> links;  // read after the join
  threads_.emplace_back([&] {
    while (Clock::now() < deadline_) {
      pause_ms(1000);
      CommandResult st = vt_->vtape("status --json");
      if (st.exit_code != 0) {
        failures_.add("vtape status", st);
        return;
      }
      std::istringstream each(json_query(st.out, kLinks));
      std::string line;
      for (int d = 0; d < 4 && std::getline(each, line); ++d) links[d].insert(line);
    }
  });

  // The daemon's memory, once a second.
  std::vector<long> rss;
  while (Clock::now() < deadline_) {
    rss.push_back(rss_kib(vt_->pid()));
    pause_ms(1000);
  }
  for (auto& t : threads_) t.join();
  const Clock::time_point stopped = Clock::now();

  for (const auto& f : failures_.list()) ADD_FAILURE() << f;
  EXPECT_GT(rounds_.load(), 6) << "the clients hardly ran";

  // While the clients ran, `vtape status` showed each drive's link to the
  // remote cartridge of the same name.  (Mostly "connecting": every round
  // writes from BOT again, which starts the remote cartridge again, faster
  // than ssh connects on a loaded machine.)
  std::string seen;
  for (int d = 0; d < 4; ++d) {
    std::string vol = "SOAK0" + std::to_string(d);
    bool named = false;
    for (const auto& l : links[d]) {
      named = named || l.rfind(vol + ": ", 0) == 0;
      seen += "[" + l + "] ";
    }
    EXPECT_TRUE(named) << "drive " << d << " showed only " << seen;
  }
  // Once the writing stops, each link catches up and status says so.
  for (int d = 0; d < 4; ++d) settle_drive(vt_->drive(d));
  const std::string all_caught_up = "SOAK00: caught up\nSOAK01: caught up\nSOAK02: caught up\nSOAK03: caught up";
  std::string now;
  while (now != all_caught_up && seconds_since(stopped) < 180) {  // a bound only a broken mirror reaches
    CommandResult st = vt_->vtape("status --json");
    ASSERT_EQ(st.exit_code, 0) << describe(st);
    now = json_query(st.out, kLinks);
    if (now != all_caught_up) pause_ms(100);
  }
  EXPECT_EQ(now, all_caught_up) << vt_->log();

  // The unloads end the mirror streams, each with both sides' records,
  // filemarks, bytes and digests compared (and the log says so).
  for (int d = 0; d < 4; ++d) {
    CommandResult u = vt_->vtape("unload " + std::to_string(d));
    EXPECT_EQ(u.exit_code, 0) << describe(u);
  }
  std::string log = vt_->log();
  auto ended = [&log](const std::string& vol) {
    return log.find("mirror: " + vol + " holds what " + vol + " holds") != std::string::npos;
  };
  const Clock::time_point unloaded = Clock::now();
  while (!(ended("SOAK00") && ended("SOAK01") && ended("SOAK02") && ended("SOAK03")) && seconds_since(unloaded) < 60) {
    pause_ms(50);
    log = vt_->log();
  }
  for (const char* bad : {"does not hold what", "mirror: the stream to", "mirror: the link to", "mirror: not mirrored"}) {
    EXPECT_EQ(log.find(bad), std::string::npos) << "'" << bad << "' in the log:\n" << log;
  }

  // Every image verifies and the catalog matches them.
  std::map<std::string, std::string> images;  // volser -> image
  for (const auto& e : fs::directory_iterator(vt_->library() + "/cartridges")) {
    std::string ext = e.path().extension().string();
    if (ext == ".cartridge" || !e.is_regular_file()) continue;
    CommandResult v = vt_->vtape("verify " + q(e.path().string()));
    EXPECT_EQ(v.exit_code, 0) << e.path() << ": " << describe(v);
    images[e.path().stem().string()] = e.path().string();
  }
  // Every cartridge a drive wrote is on the remote side the same tape (the
  // spool's cartridge is written by no drive, so not mirrored).
  for (const char* vol : {"SCR001", "SOAK00", "SOAK01", "SOAK02", "SOAK03"}) {
    EXPECT_TRUE(ended(vol)) << vol << " was not mirrored to the end:\n" << log;
    ASSERT_EQ(images.count(vol), 1u) << vol;
    EXPECT_GT(remote_->expect_mirror_of(*vt_, vol, images[vol], vol), 0) << vol;
  }
  CommandResult check = vt_->vtape("index check");
  EXPECT_EQ(check.exit_code, 0) << describe(check);
  CommandResult remote_check = run_vtape("index check --library " + q(remote_->library()));
  EXPECT_EQ(remote_check.exit_code, 0) << describe(remote_check);

  // Flat: the last quarter's peak is within 8 MiB of the first quarter's.
  ASSERT_GE(rss.size(), 8u);
  size_t quarter = rss.size() / 4;
  long first = *std::max_element(rss.begin(), rss.begin() + quarter);
  long last = *std::max_element(rss.end() - quarter, rss.end());
  std::string samples;
  for (long k : rss) samples += std::to_string(k / 1024) + " ";
  EXPECT_GT(first, 0);
  if (kJudgeMemory) {
    EXPECT_LE(last, first + 8 * 1024) << "RSS MiB per second: " << samples;
  }
  if (kJudgeMemory) {
    EXPECT_LT(last, 64 * 1024) << "RSS MiB per second: " << samples;
  }
  size_t restarts = 0;
  for (size_t at = 0; (at = log.find("starts again from BOT", at)) != std::string::npos; ++at) ++restarts;
  std::cout << "soak: " << seconds << " s, " << rounds_.load() << " client rounds, daemon RSS MiB " << first / 1024
            << " (first quarter peak) -> " << last / 1024 << " (last quarter peak); the mirror started "
            << restarts << " remote cartridges again from BOT; status showed " << seen << "; the checks took "
            << static_cast<int>(seconds_since(stopped)) << " s\n";
}

}  // namespace
}  // namespace vtape::testing
