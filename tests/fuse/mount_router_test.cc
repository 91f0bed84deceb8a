// The mount's router without FUSE: every path of the layout (vtapefs.h)
// goes to its subtree with the path inside it, once; a path outside every
// subtree gets the defaults (no such file, not a directory).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cerrno>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fuse/drives_subtree.h"
#include "fuse/mount_router.h"
#include "fuse/vtapefs.h"
#include "library/tape_library.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

class MountRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<TapeLibrary> lib;
    Status s = TapeLibrary::open(dir_.file("lib"), true, &lib);
    ASSERT_TRUE(s.is_ok()) << s.message();
    fs_ = std::make_unique<VtapeFs>(std::move(lib), 11);  // not started: the router needs no service
  }
  const MountRouter& router() { return fs_->router(); }
  // Expects `path` to go to the subtree at `prefix` with `rest`.
  void expect_route(const std::string& path, const std::string& prefix, const std::string& rest) {
    SCOPED_TRACE(path);
    Route route = router().resolve(path);
    ASSERT_NE(router().subtree_at(prefix), nullptr) << prefix;
    EXPECT_EQ(route.subtree, router().subtree_at(prefix));
    EXPECT_EQ(route.prefix, prefix);
    EXPECT_EQ(route.rest, rest);
  }
  // Expects `path` to be nobody's.
  void expect_nowhere(const std::string& path) {
    SCOPED_TRACE(path);
    Route route = router().resolve(path);
    EXPECT_EQ(route.prefix, "");
    EXPECT_EQ(route.rest, "");
    ASSERT_NE(route.subtree, nullptr);
    for (const char* p : {"/", "/drives", "/library", "/saved", "/saved/spool", "/spool"}) {
      EXPECT_NE(route.subtree, router().subtree_at(p)) << p;
    }
    struct stat st {};
    MountRequest r{path, route.rest, 0, 0};
    EXPECT_EQ(route.subtree->getattr(r, &st).errno_value(), ENOENT);
    EXPECT_EQ(route.subtree->readdir(r, [](const std::string&, const struct stat*) { return true; }).errno_value(),
              ENOTDIR);
    std::unique_ptr<OpenHandle> h;
    EXPECT_EQ(route.subtree->open(r, 0, &h).errno_value(), ENOENT);
    EXPECT_EQ(route.subtree->create(r, &h).errno_value(), EROFS);
  }
  // getattr through the router, as the FUSE adapter does it.
  int getattr(const std::string& path, struct stat* st) {
    Route route = router().resolve(path);
    *st = {};
    return route.subtree->getattr(MountRequest{path, route.rest, 0, 0}, st).errno_value();
  }

  TempDir dir_;
  std::unique_ptr<VtapeFs> fs_;
};

TEST_F(MountRouterTest, EveryPathOfTheLayoutGoesToItsSubtree) {
  expect_route("/", "/", "");
  expect_route("/drives", "/drives", "");
  expect_route("/drives/nst0", "/drives", "nst0");
  expect_route("/drives/st10", "/drives", "st10");
  expect_route("/drives/nst01", "/drives", "nst01");
  expect_route("/library", "/library", "");
  expect_route("/library/X.tap", "/library", "X.tap");
  expect_route("/saved", "/saved", "");
  expect_route("/saved/SCR001", "/saved", "SCR001");
  expect_route("/saved/SCR001/0001/members/etc/passwd", "/saved", "SCR001/0001/members/etc/passwd");
  // saved/spool/ is its own subtree inside saved/: the longer prefix wins.
  expect_route("/saved/spool", "/saved/spool", "");
  expect_route("/saved/spool/by-id/1.HELLO.TXT", "/saved/spool", "by-id/1.HELLO.TXT");
  expect_route("/saved/spoolx", "/saved", "spoolx");
  expect_route("/spool", "/spool", "");
  expect_route("/spool/ALICE/prt/HELLO.TXT", "/spool", "ALICE/prt/HELLO.TXT");
}

TEST_F(MountRouterTest, APrefixOwnsOnlyWholeComponents) {
  expect_nowhere("/drivesX");
  expect_nowhere("/drives.");
  expect_nowhere("/librar");
  expect_nowhere("/savedspool");
  expect_nowhere("/spool2");
  expect_nowhere("/nothing");
  expect_nowhere("");
}

TEST_F(MountRouterTest, TheRootListsTheTopLevelSubtrees) {
  EXPECT_EQ(router().top_level_names(), (std::vector<std::string>{"drives", "library", "saved", "spool"}));
  Route route = router().resolve("/");
  std::vector<std::string> names;
  ASSERT_TRUE(route.subtree
                  ->readdir(MountRequest{"/", route.rest, 0, 0},
                            [&](const std::string& name, const struct stat*) {
                              names.push_back(name);
                              return true;
                            })
                  .ok());
  EXPECT_EQ(names, (std::vector<std::string>{"drives", "library", "saved", "spool"}));
}

TEST_F(MountRouterTest, TheDrivesSubtreeKnowsItsDrives) {
  // 11 drives: st10 is the last; nst01 is not how drive 1 is written.
  auto d = DrivesSubtree::parse_drive_name("st10", 11);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->drive, 10);
  EXPECT_TRUE(d->rewind_on_close);
  d = DrivesSubtree::parse_drive_name("nst0", 11);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->drive, 0);
  EXPECT_FALSE(d->rewind_on_close);
  EXPECT_FALSE(DrivesSubtree::parse_drive_name("st10", 10).has_value());
  EXPECT_FALSE(DrivesSubtree::parse_drive_name("nst01", 11).has_value());
  EXPECT_FALSE(DrivesSubtree::parse_drive_name("nst11", 11).has_value());
  EXPECT_FALSE(DrivesSubtree::parse_drive_name("nst", 11).has_value());
  EXPECT_FALSE(DrivesSubtree::parse_drive_name("tape0", 11).has_value());

  struct stat st {};
  EXPECT_EQ(getattr("/drives/st10", &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(getattr("/drives/nst10", &st), 0);
  EXPECT_EQ(getattr("/drives", &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(getattr("/drives/nst01", &st), ENOENT);
  EXPECT_EQ(getattr("/drives/st11", &st), ENOENT);
  EXPECT_EQ(getattr("/", &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(getattr("/drivesX", &st), ENOENT);
}

}  // namespace
}  // namespace vtape::testing
