// The spool devices of a real mount, driven by real programs: cp, shell
// redirection, cat, rm, ls, setfattr and getfattr; vtape spool on the
// library; dump from one library and load into another; a crash.
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "fuse/spool_devices.h"
#include "tests/interop/json_reader.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

using interop::Json;
using interop::parse_json;

// The caller's spool user, worked out here rather than by the daemon's own
// function: the login name upper-cased (the tests run as root).
std::string me() {
  passwd* pw = getpwuid(getuid());
  std::string name = pw != nullptr ? pw->pw_name : "";
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

std::string slurp(const std::string& path) {
  auto b = read_file_bytes(path);
  return std::string(b.begin(), b.end());
}

Json spool_list(const MountedVtapefs& vt, const std::string& args = "") {
  auto r = vt.vtape("spool list --json " + args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return parse_json(r.out)["spool_files"];
}

const Json* find_file(const Json& files, const std::string& name, const std::string& type) {
  for (const auto& f : files.items) {
    if (f["name"].str() == name && f["type"].str() == type) return &f;
  }
  return nullptr;
}

std::string getfattr(const std::string& path, const std::string& attr) {
  auto r = run_command("getfattr --only-values -n user.spool." + attr + " " + shell_quote(path));
  EXPECT_EQ(r.exit_code, 0) << path << " " << attr << ": " << r.err;
  return r.out;
}

class SpoolMount : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_program("setfattr") || !have_program("getfattr")) GTEST_SKIP() << "the attr package is missing";
    ASSERT_TRUE(vt_.ok()) << vt_.error();
    user_dir_ = vt_.mount_point() + "/spool/" + me();
  }
  MountedVtapefs vt_;
  std::string user_dir_;
};

TEST_F(SpoolMount, TheCallerHasAPrinterPunchAndReader) {
  auto r = run_command("ls " + shell_quote(vt_.mount_point()) + " " + shell_quote(vt_.mount_point() + "/spool") +
                       " " + shell_quote(user_dir_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("spool\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(me() + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("prt\npun\nrdr\n"), std::string::npos) << r.out;
}

TEST_F(SpoolMount, CpAndRedirectionMakeSpoolFilesWithTheirRecords) {
  TempDir src;
  std::string listing;
  for (int i = 0; i < 200; ++i) listing += "line " + std::to_string(i) + " of the report\n";
  write_file_bytes(src.file("report.listing"), std::vector<uint8_t>(listing.begin(), listing.end()));
  auto cp = run_command("cp " + shell_quote(src.file("report.listing")) + " " + shell_quote(user_dir_ + "/prt/"));
  ASSERT_EQ(cp.exit_code, 0) << cp.err << vt_.log();
  auto redirect = run_command("printf 'CARD ONE\\nCARD TWO\\n' > " + shell_quote(user_dir_ + "/pun/deck.cards"));
  ASSERT_EQ(redirect.exit_code, 0) << redirect.err << vt_.log();

  // Archived before close returned: listed at once.
  Json files = spool_list(vt_);
  const Json* prt = find_file(files, "report", "listing");
  ASSERT_NE(prt, nullptr) << vt_.vtape("spool list").out;
  EXPECT_EQ((*prt)["owner"].str(), me());
  EXPECT_EQ((*prt)["origin"].str(), me());
  EXPECT_EQ((*prt)["queue"].str(), "prt");
  EXPECT_EQ((*prt)["records"].u64(), 200u);
  EXPECT_EQ((*prt)["lrecl"].u64(), std::string(" line 199 of the report").size());
  EXPECT_EQ((*prt)["class"].str(), "A");
  EXPECT_EQ((*prt)["volser"].str(), "SPOOL1");
  const Json* pun = find_file(files, "deck", "cards");
  ASSERT_NE(pun, nullptr);
  EXPECT_EQ((*pun)["queue"].str(), "pun");
  EXPECT_EQ((*pun)["records"].u64(), 2u);
  EXPECT_EQ((*pun)["lrecl"].u64(), 80u);
  EXPECT_EQ((*pun)["data_bytes"].u64(), 160u);

  // The queues list them by spoolid; the content reads back.
  std::string id = std::to_string(10000 + (*prt)["spoolid"].u64()).substr(1);
  auto ls = run_command("ls " + shell_quote(user_dir_ + "/prt"));
  EXPECT_NE(ls.out.find(id + ".report.listing"), std::string::npos) << ls.out;
  EXPECT_EQ(slurp(user_dir_ + "/prt/" + id + ".report.listing"), listing);
  EXPECT_EQ(slurp(user_dir_ + "/prt/report.listing"), listing);  // the newest of that name
  std::string pid = std::to_string(10000 + (*pun)["spoolid"].u64()).substr(1);
  EXPECT_EQ(slurp(user_dir_ + "/pun/" + pid + ".deck.cards"), "CARD ONE\nCARD TWO\n");

  // And the saved views have them, with the metadata as attributes.
  std::string saved = vt_.mount_point() + "/saved/spool";
  std::string day = (*prt)["opened"].str().substr(0, 10);
  for (const std::string& dir : {saved + "/by-id", saved + "/by-owner/" + me(), saved + "/by-class/A",
                                 saved + "/by-date/" + day}) {
    std::string path = dir + "/" + id + ".report.listing";
    EXPECT_EQ(slurp(path), listing) << path;
    EXPECT_EQ(getfattr(path, "records"), "200");
    EXPECT_EQ(getfattr(path, "owner"), me());
  }
  auto cmp = run_command("cmp " + shell_quote(src.file("report.listing")) + " " +
                         shell_quote(saved + "/by-id/" + id + ".report.listing"));
  EXPECT_EQ(cmp.exit_code, 0) << cmp.out;
  // saved/ lists spool next to the volumes, and the spool cartridge is one.
  auto saved_ls = run_command("ls " + shell_quote(vt_.mount_point() + "/saved"));
  EXPECT_NE(saved_ls.out.find("spool\n"), std::string::npos) << saved_ls.out;
  EXPECT_NE(saved_ls.out.find("SPOOL1\n"), std::string::npos) << saved_ls.out;
}

TEST_F(SpoolMount, AttributesAreSettableOnTheOpenFileAndAfterwards) {
  std::string path = user_dir_ + "/prt/memo.text";
  // While open (the shell holds descriptor 3), then written and closed.
  auto r = run_command("exec 3>" + shell_quote(path) + " && setfattr -n user.spool.class -v q " + shell_quote(path) +
                       " && setfattr -n user.spool.form -v wide " + shell_quote(path) +
                       " && setfattr -n user.spool.copies -v 3 " + shell_quote(path) + " && echo hello >&3 && exec 3>&-");
  ASSERT_EQ(r.exit_code, 0) << r.err << vt_.log();
  Json listed = spool_list(vt_);
  const Json* f = find_file(listed, "memo", "text");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ((*f)["class"].str(), "Q");
  EXPECT_EQ((*f)["form"].str(), "WIDE");
  EXPECT_EQ((*f)["copies"].u64(), 3u);
  // Afterwards, on the closed file.
  r = run_command("setfattr -n user.spool.hold -v user " + shell_quote(path) + " && setfattr -n user.spool.dest -v LOCAL " +
                  shell_quote(path) + " && setfattr -n user.spool.keep -v yes " + shell_quote(path));
  ASSERT_EQ(r.exit_code, 0) << r.err << vt_.log();
  listed = spool_list(vt_);
  f = find_file(listed, "memo", "text");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ((*f)["hold"].str(), "user");
  EXPECT_EQ((*f)["dest"].str(), "LOCAL");
  EXPECT_EQ((*f)["keep"].boolean, true);
  EXPECT_EQ(getfattr(path, "hold"), "user");
  auto held = vt_.vtape("spool list --json --hold yes --class Q");
  EXPECT_NE(held.out.find("\"memo\""), std::string::npos) << held.out;
  // getfattr -d lists them all.
  auto all = run_command("getfattr -d -m - " + shell_quote(path));
  EXPECT_NE(all.out.find("user.spool.uniqueid="), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("user.spool.form=\"WIDE\""), std::string::npos) << all.out;
}

TEST_F(SpoolMount, BadInputGetsEinvalAndAClearMessage) {
  std::string path = user_dir_ + "/prt/x.txt";
  ASSERT_EQ(run_command("echo x > " + shell_quote(path)).exit_code, 0);
  for (const auto& [attr, value] : std::vector<std::pair<std::string, std::string>>{
           {"class", "!"}, {"class", "AB"}, {"copies", "0"}, {"hold", "maybe"}, {"form", "much-too-long"}}) {
    auto r = run_command("setfattr -n user.spool." + attr + " -v " + shell_quote(value) + " " + shell_quote(path));
    EXPECT_NE(r.exit_code, 0) << attr << "=" << value;
    EXPECT_NE(r.err.find("Invalid argument"), std::string::npos) << r.err;
  }
  EXPECT_NE(vt_.log().find("is not a spool class"), std::string::npos) << vt_.log();
  auto ro = run_command("setfattr -n user.spool.spoolid -v 5 " + shell_quote(path));
  EXPECT_NE(ro.exit_code, 0);
  // Names: control characters, '..', a blank.
  for (const std::string& name : {std::string("bad\tname"), std::string("a..b"), std::string("two words")}) {
    auto r = run_command("printf x > " + shell_quote(user_dir_ + "/prt/" + name));
    EXPECT_NE(r.exit_code, 0) << name;
    EXPECT_NE(r.err.find("Invalid argument"), std::string::npos) << name << ": " << r.err;
  }
  // A punch line longer than a card: the write fails and nothing is spooled.
  auto card = run_command("printf '%0100d\\n' 7 > " + shell_quote(user_dir_ + "/pun/long.deck"));
  EXPECT_NE(card.exit_code, 0);  // dash's printf says "I/O error" for any failed write
  EXPECT_NE(vt_.log().find("a punch line is longer than a card"), std::string::npos) << vt_.log();
  Json files = spool_list(vt_);
  EXPECT_EQ(find_file(files, "long", "deck"), nullptr);
  EXPECT_EQ(files.size(), 1u) << vt_.vtape("spool list").out;
  // The class stayed what it was.
  EXPECT_EQ(getfattr(path, "class"), "A");
  // The reader takes no writes; saved views none at all.
  EXPECT_NE(run_command("echo x > " + shell_quote(user_dir_ + "/rdr/y.txt")).exit_code, 0);
  EXPECT_NE(run_command("setfattr -n user.spool.class -v B " +
                        shell_quote(vt_.mount_point() + "/saved/spool/by-id/0001.x.txt"))
                .exit_code,
            0);
}

TEST_F(SpoolMount, ReaderFilesReadLikeFilesAndUnlinkPurges) {
  ASSERT_EQ(run_command("printf 'for the reader\\n' > " + shell_quote(user_dir_ + "/prt/note.txt")).exit_code, 0);
  TempDir d;
  auto dump = vt_.vtape("spool dump --to " + shell_quote(d.file("note.tap")));
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  auto load = vt_.vtape("spool load --from " + shell_quote(d.file("note.tap")) + " --queue rdr");
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_NE(load.out.find("-> 0002"), std::string::npos) << load.out;  // spoolid 1 is taken
  auto ls = run_command("ls " + shell_quote(user_dir_ + "/rdr"));
  ASSERT_EQ(ls.out, "0002.note.txt\n");
  EXPECT_EQ(slurp(user_dir_ + "/rdr/0002.note.txt"), "for the reader\n");
  auto rm = run_command("rm " + shell_quote(user_dir_ + "/rdr/0002.note.txt"));
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(run_command("ls " + shell_quote(user_dir_ + "/rdr")).out, "");
  EXPECT_EQ(spool_list(vt_, "--queue rdr").size(), 0u);
  Json purged = spool_list(vt_, "--queue rdr --include-purged");
  ASSERT_EQ(purged.size(), 1u);
  EXPECT_EQ(purged[0]["purged"].type, Json::Type::kString);
  // Still archived: the saved view has it.
  EXPECT_EQ(slurp(vt_.mount_point() + "/saved/spool/by-owner/" + me() + "/0002.note.txt"), "for the reader\n");
}

TEST_F(SpoolMount, AddedUsersGetTheirDevicesAndFilesCanBeSpooledToThem) {
  auto add = vt_.vtape("spool adduser alice");
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_TRUE(std::filesystem::is_directory(vt_.mount_point() + "/spool/ALICE/rdr"));
  ASSERT_EQ(run_command("echo for alice > " + shell_quote(vt_.mount_point() + "/spool/ALICE/prt/gift.txt")).exit_code, 0);
  Json listed = spool_list(vt_, "--owner alice");
  const Json* f = find_file(listed, "gift", "txt");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ((*f)["owner"].str(), "ALICE");
  EXPECT_EQ((*f)["origin"].str(), me());
  EXPECT_FALSE(std::filesystem::exists(vt_.mount_point() + "/spool/NOBODY"));
  EXPECT_NE(vt_.vtape("spool adduser 'bad user'").exit_code, 0);
}

TEST_F(SpoolMount, AFullSpoolCartridgeGivesEnospcAtCloseAndNoHalfFile) {
  auto made = vt_.vtape("new SPOOL1 --capacity 64K");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  ASSERT_EQ(run_command("echo small > " + shell_quote(user_dir_ + "/prt/small.txt")).exit_code, 0);
  std::string path = user_dir_ + "/prt/big.txt";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  std::string line = std::string(99, 'z') + "\n";
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(::write(fd, line.data(), line.size()), 100);
  errno = 0;
  EXPECT_EQ(::close(fd), -1);
  EXPECT_EQ(errno, ENOSPC);
  Json files = spool_list(vt_);
  EXPECT_EQ(files.size(), 1u);
  EXPECT_EQ(find_file(files, "big", "txt"), nullptr);
  EXPECT_NE(vt_.log().find("is full"), std::string::npos) << vt_.log();
  auto verify = vt_.vtape("verify " + shell_quote(vt_.library() + "/cartridges/SPOOL1.tap"));
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST(SpoolTransfer, DumpFromOneLibraryLoadIntoAnotherIdenticalThenNodupAndRenumbering) {
  MountedVtapefs one, two;
  ASSERT_TRUE(one.ok()) << one.error();
  ASSERT_TRUE(two.ok()) << two.error();
  std::string u1 = one.mount_point() + "/spool/" + me();
  std::string u2 = two.mount_point() + "/spool/" + me();
  std::string text = "Quarterly report\n\fPage 2\nend";
  ASSERT_EQ(run_command("printf %s " + shell_quote(text) + " > " + shell_quote(u1 + "/prt/q3.report")).exit_code, 0);
  ASSERT_EQ(run_command("setfattr -n user.spool.class -v R " + shell_quote(u1 + "/prt/q3.report") +
                        " && setfattr -n user.spool.dist -v FIN " + shell_quote(u1 + "/prt/q3.report"))
                .exit_code,
            0);
  ASSERT_EQ(run_command("printf 'CARD\\n' > " + shell_quote(u1 + "/pun/job.deck")).exit_code, 0);
  // Library two already has a spoolid 1 and 2 of its own.
  ASSERT_EQ(run_command("echo mine > " + shell_quote(u2 + "/prt/own.txt")).exit_code, 0);
  ASSERT_EQ(run_command("echo mine2 > " + shell_quote(u2 + "/prt/own2.txt")).exit_code, 0);

  TempDir d;
  std::string image = d.file("spool.tap");
  auto dump = one.vtape("spool dump --to " + shell_quote(image) + " --queue prt,pun");
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_NE(dump.out.find("dumped 2 spool files"), std::string::npos) << dump.out;
  auto scan = one.vtape("spool scan " + shell_quote(image) + " --json");
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  EXPECT_EQ(parse_json(scan.out)["spool_files"].size(), 2u);

  auto load = two.vtape("spool load --from " + shell_quote(image));
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_NE(load.out.find("0001 -> 0003 q3.report"), std::string::npos) << load.out;
  EXPECT_NE(load.out.find("0002 -> 0004 job.deck"), std::string::npos) << load.out;
  EXPECT_NE(load.out.find("loaded 2 spool files, 4 records"), std::string::npos) << load.out;

  Json a = spool_list(one), b = spool_list(two);
  for (const auto& [name, type] : std::vector<std::pair<std::string, std::string>>{{"q3", "report"}, {"job", "deck"}}) {
    const Json* fa = find_file(a, name, type);
    const Json* fb = find_file(b, name, type);
    ASSERT_NE(fa, nullptr);
    ASSERT_NE(fb, nullptr);
    for (const char* key : {"owner", "queue", "device", "class", "form", "dest", "dist", "hold", "origin",
                            "origin_system", "unique_id", "opened", "closed"}) {
      EXPECT_EQ((*fa)[key].str(), (*fb)[key].str()) << name << " " << key;
    }
    for (const char* key : {"copies", "records", "lrecl", "data_bytes", "content_bytes"}) {
      EXPECT_EQ((*fa)[key].u64(), (*fb)[key].u64()) << name << " " << key;
    }
  }
  EXPECT_EQ((*find_file(b, "q3", "report"))["class"].str(), "R");
  EXPECT_EQ((*find_file(b, "q3", "report"))["dist"].str(), "FIN");
  EXPECT_EQ(slurp(u2 + "/prt/0003.q3.report"), text);
  EXPECT_EQ(slurp(u1 + "/prt/0001.q3.report"), text);
  EXPECT_EQ(slurp(two.mount_point() + "/saved/spool/by-class/R/0003.q3.report"), text);

  // Again with --nodup: both are there already.
  auto nodup = two.vtape("spool load --from " + shell_quote(image) + " --nodup");
  ASSERT_EQ(nodup.exit_code, 0) << nodup.err;
  EXPECT_NE(nodup.out.find("loaded 0 spool files"), std::string::npos) << nodup.out;
  EXPECT_NE(nodup.out.find("2 skipped as duplicates"), std::string::npos) << nodup.out;
  // Without it, duplicates are loaded (renumbered again).
  auto dup = two.vtape("spool load --from " + shell_quote(image) + " --name '*.report'");
  ASSERT_EQ(dup.exit_code, 0) << dup.err;
  EXPECT_NE(dup.out.find("0001 -> 0005 q3.report"), std::string::npos) << dup.out;
  EXPECT_EQ(spool_list(two).size(), 5u);
  // The statistics are in the event log.
  auto events = run_command("sqlite3 " + shell_quote(two.library() + "/catalog.db") +
                            " \"SELECT detail FROM events WHERE kind = 'spool-load'\"");
  EXPECT_NE(events.out.find("loaded 2 spool files"), std::string::npos) << events.out;
}

TEST(SpoolCrash, KilledDuringSpoolWritesThenRemountedLeavesNoHalfSpoolFile) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  std::string prt = vt.mount_point() + "/spool/" + me() + "/prt";
  TempDir src;
  std::string big;
  for (int i = 0; i < 40000; ++i) big += "record " + std::to_string(i) + " " + std::string(60, 'r') + "\n";
  write_file_bytes(src.file("big.txt"), std::vector<uint8_t>(big.begin(), big.end()));
  // A writer that keeps spooling copies until the daemon dies under it.
  pid_t writer = fork();
  if (writer == 0) {
    for (int i = 0; i < 1000; ++i) {
      std::string cmd = "cp " + shell_quote(src.file("big.txt")) + " " + shell_quote(prt + "/big" + std::to_string(i) + ".txt") +
                        " 2>/dev/null";
      if (std::system(cmd.c_str()) != 0) _exit(0);
    }
    _exit(0);
  }
  // Kill it while it spools: once the first copy is archived, a moment
  // into the next ones.
  for (int i = 0; i < 1200 && spool_list(vt).size() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  vt.crash();
  int status = 0;
  waitpid(writer, &status, 0);
  ASSERT_TRUE(vt.remount()) << vt.error();

  auto verify = vt.vtape("verify " + shell_quote(vt.library() + "/cartridges/SPOOL1.tap"));
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // Whether the kill fell into an archive this time (it usually does: that
  // is where the daemon spends its time); reported, not required.
  auto cut = run_command("sqlite3 " + shell_quote(vt.library() + "/catalog.db") +
                         " \"SELECT COUNT(*) FROM events WHERE detail LIKE 'cut an interrupted spool write%'\"");
  RecordProperty("torn_spool_write_cut", cut.out.empty() ? "?" : cut.out.substr(0, cut.out.size() - 1));
  std::cout << "torn spool writes cut at remount: " << cut.out;
  // Every tape file on the spool cartridge ends with its filemark, and
  // every cataloged spool file reads back whole.
  auto ls = vt.vtape("ls SPOOL1 --json");
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  Json tape_files = parse_json(ls.out)["files"];
  for (const auto& f : tape_files.items) EXPECT_TRUE(f["closed_cleanly"].boolean) << ls.out;
  Json files = spool_list(vt);
  ASSERT_GE(files.size(), 1u) << "no spool file was archived before the crash";
  EXPECT_LE(files.size(), tape_files.size());
  for (const auto& f : files.items) {
    EXPECT_EQ(f["records"].u64(), 40000u);
    std::string id = std::to_string(10000 + f["spoolid"].u64()).substr(1);
    EXPECT_EQ(slurp(prt + "/" + id + "." + f["name"].str() + ".txt"), big) << f["name"].str();
  }
  // And spooling works again.
  ASSERT_EQ(run_command("echo after > " + shell_quote(prt + "/after.txt")).exit_code, 0);
  Json after = spool_list(vt);
  EXPECT_NE(find_file(after, "after", "txt"), nullptr);
  // The catalog agrees with the images without a rebuild.
  auto check = vt.vtape("index check");
  EXPECT_EQ(check.exit_code, 0) << describe(check);
}

// The daemon's peak resident memory (VmHWM of /proc/PID/status), in kB.
uint64_t peak_memory_kb(pid_t pid) {
  std::string status = slurp("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("VmHWM:");
  return at == std::string::npos ? 0 : std::stoull(status.substr(at + 6));
}

uint64_t file_size(const std::string& path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : n;
}

// 20 MB of empty lines into the printer used to take the daemon to almost
// 2 GB resident (every line a std::string in a vector, the whole file in
// memory twice: about 100 bytes per byte written) and put 10 bytes of tape
// per line on SPOOL1.  8 MB here (the same 8 million records' worth of
// growth, a test that takes seconds rather than minutes in a Debug build).
TEST_F(SpoolMount, MegabytesOfEmptyLinesTakeLittleMemoryAndLittleTape) {
  ASSERT_EQ(run_command("printf 'first\\n' > " + shell_quote(user_dir_ + "/prt/first.txt")).exit_code, 0);
  std::string spool1 = vt_.library() + "/cartridges/SPOOL1.tap";
  uint64_t tape_before = file_size(spool1);
  ASSERT_GT(tape_before, 0u) << "no " << spool1;
  uint64_t peak_before = peak_memory_kb(vt_.pid());
  ASSERT_GT(peak_before, 0u);

  constexpr uint64_t kLines = 8'000'000;
  auto r = run_command("head -c " + std::to_string(kLines) + " /dev/zero | tr '\\0' '\\n' > " +
                       shell_quote(user_dir_ + "/prt/empty.lines"));
  ASSERT_EQ(r.exit_code, 0) << describe(r) << vt_.log();
  uint64_t peak_after = peak_memory_kb(vt_.pid());
  uint64_t tape_growth = file_size(spool1) - tape_before;
  std::printf("daemon peak memory %llu kB -> %llu kB; SPOOL1 grew by %llu bytes for %llu\n",
              static_cast<unsigned long long>(peak_before), static_cast<unsigned long long>(peak_after),
              static_cast<unsigned long long>(tape_growth), static_cast<unsigned long long>(kLines));
  EXPECT_LT(peak_after, peak_before + 64 * 1024) << "the spool writer's memory grows with its input";
  EXPECT_LT(tape_growth, 3 * kLines) << "an empty line takes more than a few bytes of tape";

  Json files = spool_list(vt_);
  const Json* f = find_file(files, "empty", "lines");
  ASSERT_NE(f, nullptr) << vt_.vtape("spool list").out;
  EXPECT_EQ((*f)["records"].u64(), kLines);
  EXPECT_EQ((*f)["lrecl"].u64(), 1u);
  EXPECT_EQ((*f)["data_bytes"].u64(), kLines);
  // It reads back as written.
  std::string id = std::to_string(10000 + (*f)["spoolid"].u64()).substr(1);
  std::string path = user_dir_ + "/prt/" + id + ".empty.lines";
  EXPECT_EQ(file_size(path), kLines);
  auto cmp = run_command("head -c " + std::to_string(kLines) + " /dev/zero | tr '\\0' '\\n' | cmp - " +
                         shell_quote(path));
  EXPECT_EQ(cmp.exit_code, 0) << describe(cmp);
}

// Blocked records (many lines to a tape record) read back byte for byte in
// every way a spool file is read: its queue, saved/spool, a reader after a
// dump and load, and vtape restore.
TEST_F(SpoolMount, BlockedRecordsReadBackIdenticallyEverywhere) {
  std::string text;
  for (int i = 0; i < 30000; ++i) {
    switch (i % 7) {
      case 0: text += "\n"; break;
      case 1: text += "\fpage " + std::to_string(i) + "\n"; break;
      case 2: text += std::string(static_cast<size_t>(i % 300), 'x') + "  \n"; break;
      case 3: text += "\f\n"; break;
      default: text += "line " + std::to_string(i) + "\n"; break;
    }
    if (i == 15000) text += std::string(200000, 'L') + "\n";  // longer than a block
  }
  text += "last line without a newline";
  TempDir src;
  write_file_bytes(src.file("mixed.listing"), std::vector<uint8_t>(text.begin(), text.end()));
  auto cp = run_command("cp " + shell_quote(src.file("mixed.listing")) + " " + shell_quote(user_dir_ + "/prt/"));
  ASSERT_EQ(cp.exit_code, 0) << cp.err << vt_.log();
  std::string deck = "CARD 1\n\n   \nCARD 4 with blanks   \n" + std::string(80, 'P') + "\n";
  auto pun = run_command("printf '%s' " + shell_quote(deck) + " > " + shell_quote(user_dir_ + "/pun/deck.cards"));
  ASSERT_EQ(pun.exit_code, 0) << pun.err << vt_.log();
  std::string deck_back = "CARD 1\n\n\nCARD 4 with blanks\n" + std::string(80, 'P') + "\n";

  Json files = spool_list(vt_);
  const Json* f = find_file(files, "mixed", "listing");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ((*f)["records"].u64(), 30002u);
  EXPECT_EQ((*f)["lrecl"].u64(), 200001u);
  std::string id = std::to_string(10000 + (*f)["spoolid"].u64()).substr(1);
  const Json* d = find_file(files, "deck", "cards");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ((*d)["records"].u64(), 5u);
  std::string did = std::to_string(10000 + (*d)["spoolid"].u64()).substr(1);

  EXPECT_TRUE(slurp(user_dir_ + "/prt/" + id + ".mixed.listing") == text);
  EXPECT_TRUE(slurp(vt_.mount_point() + "/saved/spool/by-id/" + id + ".mixed.listing") == text);
  EXPECT_EQ(slurp(user_dir_ + "/pun/" + did + ".deck.cards"), deck_back);
  TempDir out;
  auto restore = vt_.vtape("restore spool --owner " + me() + " --to-dir " + shell_quote(out.file("d")));
  ASSERT_EQ(restore.exit_code, 0) << describe(restore);
  EXPECT_TRUE(slurp(out.file("d/" + me() + "/" + id + ".mixed.listing")) == text);
  EXPECT_EQ(slurp(out.file("d/" + me() + "/" + did + ".deck.cards")), deck_back);
  auto dump = vt_.vtape("spool dump --to " + shell_quote(out.file("s.tap")));
  ASSERT_EQ(dump.exit_code, 0) << describe(dump);
  auto load = vt_.vtape("spool load --from " + shell_quote(out.file("s.tap")) + " --queue rdr");
  ASSERT_EQ(load.exit_code, 0) << describe(load);
  bool found = false;
  for (const auto& e : std::filesystem::directory_iterator(user_dir_ + "/rdr")) {
    std::string name = e.path().filename().string();
    if (name.find(".mixed.listing") == std::string::npos) continue;
    found = true;
    EXPECT_TRUE(slurp(e.path().string()) == text) << name;
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace vtape::testing
