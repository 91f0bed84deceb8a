// What the kill tests of vtape send | vtape receive share
// (stream_kill_test.cc, stream_daemon_kill_test.cc): a producer that pauses
// where the test wants, an ssh whose reconnection waits for the test, and
// bounded waits.  The moment of each kill is deterministic: the input stops
// after kFirstRecords records until the test lets it go on.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_support.h"
#include "tests/test_support/ssh_fixture.h"

namespace vtape::testing {

inline constexpr size_t kBlock = 10240;
inline constexpr size_t kFirstRecords = 600;
inline constexpr size_t kAllRecords = 1200;
// A SIMH record: its length word before and after.
inline constexpr uint64_t kSimhRecordBytes = kBlock + 8;

// Writes argv[1]'s first argv[2] bytes, then waits for the file argv[3],
// then writes the rest: a producer that pauses where the test wants.
inline constexpr const char* kPausingCat =
    "import os,sys,time\n"
    "d=open(sys.argv[1],'rb').read(); n=int(sys.argv[2])\n"
    "o=sys.stdout.buffer; o.write(d[:n]); o.flush()\n"
    "while not os.path.exists(sys.argv[3]): time.sleep(0.02)\n"
    "o.write(d[n:]); o.flush()\n";

inline uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// Waits (a bound far beyond need: the pace of a loaded CI machine) until
// `done` says so.
template <typename F>
bool wait_for(F done) {
  for (int i = 0; i < 1200; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// An ssh command at `path` that counts its connections in the file `count`
// and holds every one after the first until the file `reconnect` exists,
// then runs `ssh`: the sender's reconnection waits for the test.
inline void write_gated_ssh(const std::string& path, const std::string& count, const std::string& reconnect,
                            const std::string& ssh) {
  write_script(path, "n=$(cat " + shell_quote(count) + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " +
                         shell_quote(count) + "\nif [ $n -gt 1 ]; then while [ ! -e " + shell_quote(reconnect) +
                         " ]; do sleep 0.02; done; fi\nexec " + shell_quote(ssh) + " \"$@\"\n");
}

}  // namespace vtape::testing
