// A full disk under the receiving library during vtape send | vtape receive
// (issue 20), through a real sshd: the receiver stops at a record boundary
// and says the disk is full, the sender exits 1 with that error, the image
// verifies and holds a whole prefix of what was sent, and the rest of the
// library (another cartridge, the catalog) is undamaged.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/test_support.h"
#include "tests/tools/simh_content.h"
#include "tests/test_support/ssh_fixture.h"

namespace vtape::testing {
namespace {

std::string sq(const std::string& s) { return shell_quote(s); }

TEST(StreamFullDisk, AReceiverOnAFullDiskStopsAtARecordAndTheSenderGetsTheError) {
  RemoteLibrary remote;  // for its sshd and keys; the library used is on the tmpfs
  ASSERT_TRUE(remote.ok()) << remote.error();
  TempDir dir;
  SmallTmpfs disk(dir.file("small"), "6m");
  if (!disk.mounted()) GTEST_SKIP() << disk.error();
  std::string library = disk.path() + "/lib";
  CommandResult made = run_vtape("new --library " + sq(library) + " KEEP01");
  ASSERT_EQ(made.exit_code, 0) << describe(made);
  // Something already in the library that must stay whole.
  std::string keep = dir.file("keep.bin");
  write_file_bytes(keep, pattern_bytes(200 * 10240, 7));
  CommandResult first = run_command(sq(VTAPE_BINARY) + " send - <" + sq(keep) + " 127.0.0.1:KEEP01 --ssh-command " +
                                    sq(remote.ssh()) + " --receive-command " +
                                    sq(std::string(VTAPE_BINARY) + " receive --library " + library) +
                                    " --overwrite always --retries 0");
  ASSERT_EQ(first.exit_code, 0) << describe(first);

  std::string input = dir.file("input.bin");
  write_file_bytes(input, pattern_bytes(1000 * 10240, 8));  // 10 MB onto what is left of 6 MiB
  CommandResult r = run_command(sq(VTAPE_BINARY) + " send - <" + sq(input) + " 127.0.0.1:FULL01 --ssh-command " +
                                sq(remote.ssh()) + " --receive-command " +
                                sq(std::string(VTAPE_BINARY) + " receive --library " + library) + " --retries 0");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find("space"), std::string::npos) << "the sender is not told the disk is full: " << describe(r);
  // ... in words that say which disk and which cartridge, not ENOSPC's
  // errno text nor the EPROTO of the refusal ("Protocol error").
  EXPECT_NE(r.err.find("the file system of the receiving library"), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find("FULL01"), std::string::npos) << describe(r);
  EXPECT_EQ(r.err.find("Protocol error"), std::string::npos) << describe(r);
  // Only the refusal reaches the sender's terminal from the receiver, not
  // the drive core's messages (vtape-receive(1): nothing else on standard
  // error unless --debug).
  EXPECT_EQ(r.err.find("vtape: drive"), std::string::npos) << describe(r);

  // The image verifies and holds a whole prefix.
  std::string image = library + "/cartridges/FULL01.tap";
  CommandResult v = run_vtape("verify " + sq(image));
  EXPECT_EQ(v.exit_code, 0) << describe(v);
  SimhContent c = read_simh(image, dir.file("got.bin"));
  EXPECT_GT(c.record_sizes.size(), 0u);
  for (size_t size : c.record_sizes) ASSERT_EQ(size, 10240u);
  EXPECT_EQ(run_command("cmp -n " + std::to_string(c.record_sizes.size() * 10240) + " " + sq(input) + " " +
                        sq(c.data_file))
                .exit_code,
            0);
  // The rest of the library is whole.
  CommandResult kv = run_vtape("verify " + sq(library + "/cartridges/KEEP01.tap"));
  EXPECT_EQ(kv.exit_code, 0) << describe(kv);
  SimhContent k = read_simh(library + "/cartridges/KEEP01.tap", dir.file("keep-got.bin"));
  EXPECT_EQ(run_command("cmp " + sq(keep) + " " + sq(k.data_file)).exit_code, 0);
  CommandResult ls = run_vtape("ls KEEP01 --library " + sq(library));
  EXPECT_EQ(ls.exit_code, 0) << describe(ls);
  // The catalog could not record FULL01's unterminated tape file (its
  // commit met the full disk too); KEEP01's rows are untouched.
  CommandResult check = run_vtape("index check --library " + sq(library));
  EXPECT_EQ(check.out.find("KEEP01"), std::string::npos) << describe(check);

  // Space again: a check (as a mount would) catalogs FULL01 as the image
  // holds it, up to its last whole record, and is clean.  (The check above
  // may have made that repair already, if the record cut at the full disk
  // left the catalog room enough.)
  CommandResult grown = run_command("mount -o remount,size=16m " + sq(disk.path()));
  ASSERT_EQ(grown.exit_code, 0) << describe(grown);
  CommandResult repaired = run_vtape("index check --library " + sq(library));
  EXPECT_EQ(repaired.exit_code, 0) << describe(repaired);
  EXPECT_NE((check.err + repaired.err).find("FULL01: its writer stopped"), std::string::npos)
      << "the repair is not told: " << describe(check) << describe(repaired);
  CommandResult listed = run_vtape("ls FULL01 --json --library " + sq(library));
  ASSERT_EQ(listed.exit_code, 0) << describe(listed);
  EXPECT_EQ(json_query(listed.out, "[f['records'] for f in d['files']]"),
            "[" + std::to_string(c.record_sizes.size()) + "]")
      << listed.out;
}

}  // namespace
}  // namespace vtape::testing
