// The daemon's feed (issue 18): records and filemarks a receiver on this
// host hands to a drive of the running vtapefs through its control socket
// (library/feed_protocol.h), with FeedClient, against a real mount.  What
// landed is read back through the mount's drives with plain read(2) and
// from the catalog (`vtape ls --json`).

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "library/control_protocol.h"
#include "library/feed_client.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

using Record = std::vector<uint8_t>;

// What a read(2) loop over a drive finds from where it is: the tape files
// ended by a filemark, and the records after the last filemark (a tape that
// ends without one).  Stops at end of data (two zero reads, or EIO).
struct TapeContents {
  std::vector<std::vector<Record>> files;
  std::vector<Record> tail;
  int error = 0;  // errno of the read that ended it (EIO at end of data)
};

TapeContents read_tape(const std::string& device) {
  TapeContents t;
  int fd = ::open(device.c_str(), O_RDONLY);
  if (fd < 0) {
    t.error = errno;
    return t;
  }
  std::vector<Record> current;
  std::vector<uint8_t> buf(1 << 20);
  bool last_was_zero = false;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      t.error = errno;
      t.tail = std::move(current);
      break;
    }
    if (n == 0) {
      if (last_was_zero) break;
      t.files.push_back(std::move(current));
      current.clear();
      last_was_zero = true;
      continue;
    }
    last_was_zero = false;
    current.emplace_back(buf.begin(), buf.begin() + n);
  }
  ::close(fd);
  return t;
}

std::string socket_of(const MountedVtapefs& vt) { return vt.library() + "/vtapefs.sock"; }

std::vector<Record> some_records(size_t count, uint32_t seed, size_t size = 10240) {
  std::vector<Record> r;
  for (size_t i = 0; i < count; ++i) r.push_back(pattern_bytes(size - (i % 7) * 100, seed + static_cast<uint32_t>(i)));
  return r;
}

void feed_all(FeedClient& feed, const std::vector<Record>& records) {
  for (const auto& r : records) ASSERT_TRUE(feed.record(r, false).is_ok());
}

// Tape files of `volser` in the catalog.
std::string cataloged_files(const MountedVtapefs& vt, const std::string& volser) {
  CommandResult r = vt.vtape("ls --json");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  return json_query(r.out, "[v['tape_files'] for v in d['volumes'] if v['volser'] == '" + volser + "']");
}

// Loads `volser` into `drive` and reads the whole tape through the mount.
TapeContents load_and_read(const MountedVtapefs& vt, int drive, const std::string& volser) {
  CommandResult l = vt.vtape("load " + std::to_string(drive) + " " + volser);
  EXPECT_EQ(l.exit_code, 0) << describe(l);
  return read_tape(vt.drive(drive));
}

TEST(FeedCartridge, RecordsAndFilemarksLandInANewCartridgeAndTheCatalog) {
  MountedVtapefs vt("--drives 3");
  ASSERT_TRUE(vt.ok()) << vt.error();
  std::unique_ptr<FeedClient> feed;
  Status s = FeedClient::open_cartridge(socket_of(vt), "FEED01", Format::kSimh, StreamOverwrite::kNever,
                                        "vtape receive (pid 4242)", &feed);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(feed->objects_before(), 0u);
  EXPECT_EQ(feed->drive(), 1);  // drive 0 holds SCR001
  // The drive is the feed's, under its door name.
  CommandResult st = vt.vtape("status");
  EXPECT_NE(st.out.find("vtape receive (pid 4242)"), std::string::npos) << st.out;

  auto first = some_records(5, 1);
  auto second = some_records(3, 100, 65536);
  feed_all(*feed, first);
  ASSERT_TRUE(feed->filemark().is_ok());
  feed_all(*feed, second);
  EXPECT_EQ(feed->objects_written(), 9u);
  s = feed->finish(true);
  ASSERT_TRUE(s.is_ok()) << s.message();

  // The drive was given back empty, as it was.
  st = vt.vtape("status --json 1");
  EXPECT_EQ(json_query(st.out, "d['drives'][0]['loaded']"), "False") << st.out;
  EXPECT_EQ(cataloged_files(vt, "FEED01"), "[2]");
  // The complete end closed the drive as close(2) does: a filemark after the records.
  TapeContents t = load_and_read(vt, 2, "FEED01");
  ASSERT_EQ(t.files.size(), 2u);
  EXPECT_EQ(t.files[0], first);
  EXPECT_EQ(t.files[1], second);
  EXPECT_TRUE(t.tail.empty());
}

TEST(FeedCartridge, FourFeedsAtOnceEachToItsOwnCartridge) {
  MountedVtapefs vt("--drives 5");
  ASSERT_TRUE(vt.ok()) << vt.error();
  const std::vector<std::string> volsers = {"FEEDA", "FEEDB", "FEEDC", "FEEDD"};
  std::vector<std::unique_ptr<FeedClient>> feeds(volsers.size());
  // All four hold their drives at the same time before anything is written.
  for (size_t i = 0; i < volsers.size(); ++i) {
    Status s = FeedClient::open_cartridge(socket_of(vt), volsers[i], std::nullopt, StreamOverwrite::kNever,
                                          "vtape receive (pid " + std::to_string(i) + ")", &feeds[i]);
    ASSERT_TRUE(s.is_ok()) << volsers[i] << ": " << s.message();
  }
  std::vector<std::thread> writers;
  std::vector<std::string> errors(volsers.size());
  for (size_t i = 0; i < volsers.size(); ++i) {
    writers.emplace_back([&, i] {
      auto records = some_records(200, static_cast<uint32_t>(i) * 1000);
      for (size_t k = 0; k < records.size(); ++k) {
        Status s = feeds[i]->record(records[k], false);
        if (s.is_ok() && k == 99) s = feeds[i]->filemark();
        if (s.is_ok() && k == 150) s = feeds[i]->sync();
        if (!s.is_ok()) {
          errors[i] = s.message();
          return;
        }
      }
      Status s = feeds[i]->finish(true);
      if (!s.is_ok()) errors[i] = s.message();
    });
  }
  for (auto& w : writers) w.join();
  for (size_t i = 0; i < volsers.size(); ++i) {
    EXPECT_EQ(errors[i], "") << volsers[i];
    EXPECT_EQ(cataloged_files(vt, volsers[i]), "[2]") << volsers[i];
  }
  auto expected = some_records(200, 2000);
  TapeContents t = load_and_read(vt, 1, "FEEDC");
  ASSERT_EQ(t.files.size(), 2u);
  EXPECT_EQ(t.files[0], std::vector<Record>(expected.begin(), expected.begin() + 100));
  EXPECT_EQ(t.files[1], std::vector<Record>(expected.begin() + 100, expected.end()));
}

TEST(FeedCartridge, ASecondFeedToACartridgeBeingReceivedIsRefused) {
  MountedVtapefs vt("--drives 3");
  ASSERT_TRUE(vt.ok()) << vt.error();
  std::unique_ptr<FeedClient> first, second;
  ASSERT_TRUE(FeedClient::open_cartridge(socket_of(vt), "FEED02", std::nullopt, StreamOverwrite::kNever, "first",
                                         &first).is_ok());
  ASSERT_TRUE(first->record(some_records(1, 5)[0], false).is_ok());
  Status s = FeedClient::open_cartridge(socket_of(vt), "FEED02", std::nullopt, StreamOverwrite::kAppend, "second",
                                        &second);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("busy"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("first"), std::string::npos) << s.message();
  // The first goes on unharmed.
  ASSERT_TRUE(first->record(some_records(1, 6)[0], false).is_ok());
  s = first->finish(true);
  EXPECT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(cataloged_files(vt, "FEED02"), "[1]");
  // An existing cartridge with overwrite=never is refused too.
  s = FeedClient::open_cartridge(socket_of(vt), "FEED02", std::nullopt, StreamOverwrite::kNever, "third", &second);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("holds 3 records and filemarks"), std::string::npos) << s.message();
}

TEST(FeedCartridge, AnIncompleteFeedAddsNoFilemarkAndAnAppendingFeedContinuesThere) {
  MountedVtapefs vt("--drives 3");
  ASSERT_TRUE(vt.ok()) << vt.error();
  auto records = some_records(5, 40);
  {
    std::unique_ptr<FeedClient> feed;
    ASSERT_TRUE(FeedClient::open_cartridge(socket_of(vt), "FEED03", std::nullopt, StreamOverwrite::kNever, "broken",
                                           &feed).is_ok());
    feed_all(*feed, std::vector<Record>(records.begin(), records.begin() + 3));
    // Destroyed without finish(true): the sender vanished.
  }
  std::unique_ptr<FeedClient> resumed;
  Status s = FeedClient::open_cartridge(socket_of(vt), "FEED03", std::nullopt, StreamOverwrite::kAppend, "resumed",
                                        &resumed);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(resumed->objects_before(), 3u);  // three records, no filemark
  feed_all(*resumed, std::vector<Record>(records.begin() + 3, records.end()));
  s = resumed->finish(true);
  ASSERT_TRUE(s.is_ok()) << s.message();
  TapeContents t = load_and_read(vt, 1, "FEED03");
  ASSERT_EQ(t.files.size(), 1u);
  EXPECT_EQ(t.files[0], records);
  EXPECT_EQ(cataloged_files(vt, "FEED03"), "[1]");
}

TEST(FeedCartridge, WhatASyncAcknowledgedSurvivesAKillOfTheDaemon) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  auto records = some_records(40, 77, 65536);
  std::unique_ptr<FeedClient> feed;
  ASSERT_TRUE(FeedClient::open_cartridge(socket_of(vt), "FEED04", std::nullopt, StreamOverwrite::kNever, "crash",
                                         &feed).is_ok());
  feed_all(*feed, records);
  Status s = feed->sync();
  ASSERT_TRUE(s.is_ok()) << s.message();
  vt.crash();
  feed.reset();  // the daemon is gone: the end finds nobody
  ASSERT_TRUE(vt.remount("--drives 2")) << vt.error();
  // The library remembers the cartridge in the drive the feed had.
  TapeContents t = read_tape(vt.drive(1));
  EXPECT_EQ(t.error, EIO);
  EXPECT_TRUE(t.files.empty());
  ASSERT_EQ(t.tail.size(), records.size());
  EXPECT_EQ(t.tail, records);
}

// A raw connection that sends `request` and then `frames` at once, and
// ends; returns everything the daemon answered.
std::string raw_feed(const MountedVtapefs& vt, const std::string& request, const std::string& frames) {
  int fd = -1;
  Status s = control_connect(socket_of(vt), &fd);
  EXPECT_TRUE(s.is_ok()) << s.message();
  if (!s.is_ok()) return "";
  std::string all = request + "\n" + frames;
  EXPECT_EQ(::send(fd, all.data(), all.size(), MSG_NOSIGNAL), static_cast<ssize_t>(all.size()));
  ::shutdown(fd, SHUT_WR);  // all it says
  std::string answer;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer;
}

TEST(FeedCartridge, HostileFramesGetAClearErrorAndTheDaemonKeepsServing) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  std::string record = std::string("R") + std::string("\x04\x00\x00\x00", 4) + "abcd";
  // An unknown frame kind after a good record.
  std::string a = raw_feed(vt, "feed-cartridge HOST01 - never x", record + "Zgarbage");
  EXPECT_EQ(a, "ok 0 1\nerror feed of HOST01: byte offset 9: frame kind 0x5a (expected R, F, S or E)\n");
  // A length far beyond the bound, and a zero length.
  a = raw_feed(vt, "feed-cartridge HOST01 - append x", std::string("R\xff\xff\xff\xff", 5));
  EXPECT_EQ(a, "ok 1 1\nerror feed of HOST01: byte offset 1: a record of 4294967295 bytes (expected 1 to 16777216)\n");
  a = raw_feed(vt, "feed-cartridge HOST01 - append x", std::string("R\0\0\0\0", 5));
  EXPECT_NE(a.find("a record of 0 bytes"), std::string::npos) << a;
  // A frame cut short, and bad requests.
  a = raw_feed(vt, "feed-cartridge HOST01 - append x", "R\x10\x00");
  EXPECT_EQ(a, "ok 1 1\nok 0\n");
  EXPECT_EQ(raw_feed(vt, "feed-cartridge HOST01 - sometimes x", ""),
            "error overwrite must be never, always or append, not 'sometimes'\n");
  EXPECT_EQ(raw_feed(vt, "feed-cartridge HOST01 vinyl never x", ""), "error unknown format 'vinyl'\n");
  EXPECT_EQ(raw_feed(vt, "feed-cartridge HOST01 - never", ""),
            "error usage: feed-cartridge VOLSER FORMAT|- never|always|append DOOR\n");
  EXPECT_NE(raw_feed(vt, "feed-cartridge ../../etc - never x", "").find("error "), std::string::npos);
  // The daemon serves on; the good record of the first feed is the tape.
  EXPECT_EQ(vt.vtape("status").exit_code, 0);
  TapeContents t = load_and_read(vt, 1, "HOST01");
  ASSERT_EQ(t.tail.size(), 1u);
  EXPECT_EQ(std::string(t.tail[0].begin(), t.tail[0].end()), "abcd");
}

// ---- feed-drive: a drive of the mount fed while a program reads it -------

// A tar archive of a few files (records of 10240 bytes, tar's default).
std::vector<Record> tar_records(const TempDir& dir, const std::string& name, int files) {
  std::string src = dir.file(name);
  std::filesystem::create_directories(src);
  for (int i = 0; i < files; ++i) {
    write_file_bytes(src + "/" + name + "_" + std::to_string(i) + ".bin",
                     pattern_bytes(3000 + static_cast<size_t>(i) * 7000, static_cast<uint32_t>(i) + 9));
  }
  CommandResult r = run_command("tar cf " + shell_quote(src + ".tar") + " -C " + shell_quote(src) + " .");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  std::vector<uint8_t> bytes = read_file_bytes(src + ".tar");
  std::vector<Record> records;
  for (size_t at = 0; at < bytes.size(); at += 10240) {
    records.emplace_back(bytes.begin() + static_cast<ptrdiff_t>(at),
                         bytes.begin() + static_cast<ptrdiff_t>(std::min(bytes.size(), at + 10240)));
  }
  return records;
}

TEST(FeedDrive, RealReadersGetEveryRecordAsItArrivesAndStopAtEachFilemark) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  ASSERT_EQ(vt.vtape("new FEEDR").exit_code, 0);
  ASSERT_EQ(vt.vtape("load 1 FEEDR").exit_code, 0);
  TempDir dir;
  auto first = tar_records(dir, "first", 4);
  auto second = tar_records(dir, "second", 3);
  std::unique_ptr<FeedClient> feed;
  Status s = FeedClient::open_drive(socket_of(vt), 1, &feed);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(feed->objects_before(), 0u);
  EXPECT_EQ(feed->drive(), 1);

  // dd reads the empty drive before anything arrived: it waits (without a
  // feed it would meet blank tape at once).
  std::string out = dir.file("first.out");
  Background dd("dd if=" + shell_quote(vt.drive(1)) + " of=" + shell_quote(out) + " bs=65536");
  pause_ms(300);
  EXPECT_FALSE(dd.done());
  for (const auto& r : first) {
    ASSERT_TRUE(feed->record(r, false).is_ok());
    pause_ms(30);
  }
  // Every record is there, the filemark not yet: dd still waits.
  pause_ms(300);
  EXPECT_FALSE(dd.done());
  ASSERT_TRUE(feed->filemark().is_ok());
  const CommandResult& d = dd.join();
  EXPECT_EQ(d.exit_code, 0) << describe(d);
  EXPECT_NE(d.err.find("0+" + std::to_string(first.size()) + " records in"), std::string::npos) << d.err;
  std::vector<uint8_t> joined;
  for (const auto& r : first) joined.insert(joined.end(), r.begin(), r.end());
  EXPECT_EQ(read_file_bytes(out), joined);

  // tar, started before the next file arrives, lists it.
  Background tar("tar -tvf " + shell_quote(vt.drive(1)));
  pause_ms(300);
  EXPECT_FALSE(tar.done());
  for (const auto& r : second) {
    ASSERT_TRUE(feed->record(r, false).is_ok());
    pause_ms(30);
  }
  ASSERT_TRUE(feed->filemark().is_ok());
  const CommandResult& t = tar.join();
  EXPECT_EQ(t.exit_code, 0) << describe(t);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(t.out.find("second_" + std::to_string(i) + ".bin"), std::string::npos) << t.out;
  }
  EXPECT_EQ(t.out.find("first_"), std::string::npos) << t.out;
  s = feed->finish(true);
  ASSERT_TRUE(s.is_ok()) << s.message();

  // With the feed gone the tape ends as any tape does: from the start, both
  // files, then end of data (no wait).
  settle_drive(vt.drive(1, /*rewind=*/true));
  TapeContents all = read_tape(vt.drive(1));
  ASSERT_EQ(all.files.size(), 2u);
  EXPECT_EQ(all.files[0], first);
  EXPECT_EQ(all.files[1], second);
  EXPECT_EQ(all.error, 0);  // two zero reads: the filemark, then end of data right after it
  EXPECT_EQ(cataloged_files(vt, "FEEDR"), "[2]");
}

TEST(FeedDrive, AReaderKilledWhileItWaitsLeavesNoHungRequest) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  ASSERT_EQ(vt.vtape("new FEEDK").exit_code, 0);
  ASSERT_EQ(vt.vtape("load 1 FEEDK").exit_code, 0);
  std::unique_ptr<FeedClient> feed;
  ASSERT_TRUE(FeedClient::open_drive(socket_of(vt), 1, &feed).is_ok());
  pid_t reader = fork();
  if (reader == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execlp("dd", "dd", ("if=" + vt.drive(1)).c_str(), "bs=65536", static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(reader, 0);
  pause_ms(300);
  int status = 0;
  EXPECT_EQ(waitpid(reader, &status, WNOHANG), 0);  // waiting for the feed
  kill(reader, SIGKILL);
  pid_t gone = 0;
  for (int i = 0; i < 600 && gone == 0; ++i) {
    gone = waitpid(reader, &status, WNOHANG);
    if (gone == 0) pause_ms(100);
  }
  EXPECT_EQ(gone, reader) << "the killed reader is stuck in its read";
  if (gone == 0) {
    (void)feed->finish(false);  // what wakes it without the fix
    waitpid(reader, &status, 0);
  }
  // The drive serves the next reader, which gets what the feed writes next.
  Record r = pattern_bytes(5000, 3);
  ASSERT_TRUE(feed->record(r, false).is_ok());
  ASSERT_TRUE(feed->filemark().is_ok());
  ASSERT_TRUE(feed->finish(true).is_ok());
  TapeContents t = read_tape(vt.drive(1));
  ASSERT_EQ(t.files.size(), 1u);
  EXPECT_EQ(t.files[0], std::vector<Record>{r});
}

TEST(FeedDrive, RefusedOnAnEmptyDriveASecondFeedAndAWriterBesideIt) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  std::unique_ptr<FeedClient> feed, second;
  Status s = FeedClient::open_drive(socket_of(vt), 1, &feed);
  EXPECT_EQ(s.message(), "drive 1 holds no cartridge");
  s = FeedClient::open_drive(socket_of(vt), 7, &feed);
  EXPECT_EQ(s.message(), "no drive '7' (drives 0 to 1)");
  ASSERT_EQ(vt.vtape("new FEEDW").exit_code, 0);
  ASSERT_EQ(vt.vtape("load 1 FEEDW").exit_code, 0);
  ASSERT_TRUE(FeedClient::open_drive(socket_of(vt), 1, &feed).is_ok());
  s = FeedClient::open_drive(socket_of(vt), 1, &second);
  EXPECT_EQ(s.message(), "drive 1 is busy: open for writing or fed already");
  // The feed is the drive's one writer; the cartridge stays in.
  int fd = ::open(vt.drive(1).c_str(), O_WRONLY);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, EBUSY);
  if (fd >= 0) ::close(fd);
  CommandResult u = vt.vtape("unload 1");
  EXPECT_NE(u.exit_code, 0);
  EXPECT_NE(u.err.find("being fed"), std::string::npos) << describe(u);
  // A feed-cartridge to the fed cartridge is refused too.
  std::unique_ptr<FeedClient> cartridge;
  s = FeedClient::open_cartridge(socket_of(vt), "FEEDW", std::nullopt, StreamOverwrite::kAppend, "x", &cartridge);
  EXPECT_FALSE(s.is_ok());
  // An incomplete end adds no filemark.
  ASSERT_TRUE(feed->record(pattern_bytes(100, 1), false).is_ok());
  ASSERT_TRUE(feed->finish(false).is_ok());
  TapeContents t = read_tape(vt.drive(1));
  EXPECT_TRUE(t.files.empty());
  EXPECT_EQ(t.tail.size(), 1u);
  EXPECT_EQ(t.error, EIO);
}

}  // namespace
}  // namespace vtape::testing
