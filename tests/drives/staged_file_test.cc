// StagedFile and TapeLibrary::stage_image/install_image: a migration's
// switch writes and syncs the cartridge's new description before it takes
// the drive's lock and only renames it under the lock.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "library/tape_library.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// The files in `dir` whose names start with `prefix`.
int files_named(const std::string& dir, const std::string& prefix) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.path().filename().string().rfind(prefix, 0) == 0;
  return n;
}

TEST(StagedFile, IsInPlaceOnlyOnceInstalledAndLeavesNothingWhenDropped) {
  TempDir dir;
  std::string path = dir.file("settings");
  {
    std::ofstream(path) << "old\n";
  }
  {
    StagedFile staged;
    ASSERT_TRUE(StagedFile::stage(path, "new\n", 0640, &staged).is_ok());
    EXPECT_EQ(read_text(path), "old\n") << "staging replaced the file";
    EXPECT_EQ(files_named(dir.path().string(), "settings.tmp."), 1);
    ASSERT_TRUE(staged.install(DirectorySync::kNow).is_ok());
    EXPECT_FALSE(staged.staged());
    EXPECT_FALSE(staged.install(DirectorySync::kNow).is_ok()) << "installed twice";
  }
  EXPECT_EQ(read_text(path), "new\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  {
    StagedFile dropped;
    ASSERT_TRUE(StagedFile::stage(path, "never\n", 0600, &dropped).is_ok());
  }
  EXPECT_EQ(read_text(path), "new\n");
  EXPECT_EQ(files_named(dir.path().string(), "settings.tmp."), 0) << "a dropped stage left its file";
}

TEST(StagedImage, InstallsTheNewImageAndKeepsAChangeMadeSinceItWasStaged) {
  TempDir dir;
  std::unique_ptr<TapeLibrary> lib;
  ASSERT_TRUE(TapeLibrary::open(dir.file("lib"), true, &lib).is_ok());
  Cartridge c;
  ASSERT_TRUE(lib->create_cartridge("MIG001", Format::kSimh, 1 << 20, &c).is_ok());
  std::string moved = dir.file("elsewhere") + "/MIG001.het";

  StagedImage plain;
  ASSERT_TRUE(lib->stage_image("MIG001", moved, Format::kHet, &plain).is_ok());
  ASSERT_TRUE(lib->find("MIG001", &c).is_ok());
  EXPECT_EQ(c.format, Format::kSimh) << "staging changed the cartridge";
  ASSERT_TRUE(lib->install_image(&plain).is_ok());
  ASSERT_TRUE(lib->find("MIG001", &c).is_ok());
  EXPECT_EQ(c.image_path, moved);
  EXPECT_EQ(c.format, Format::kHet);

  // Write protection set between the stage and the install: both kept.
  StagedImage raced;
  std::string back = lib->cartridges_dir() + "/MIG001.tap";
  ASSERT_TRUE(lib->stage_image("MIG001", back, Format::kSimh, &raced).is_ok());
  ASSERT_TRUE(lib->set_protected("MIG001", true).is_ok());
  ASSERT_TRUE(lib->install_image(&raced).is_ok());
  ASSERT_TRUE(lib->find("MIG001", &c).is_ok());
  EXPECT_EQ(c.image_path, back);
  EXPECT_EQ(c.format, Format::kSimh);
  EXPECT_TRUE(c.write_protected) << "the install undid a change made after the stage";
  EXPECT_EQ(files_named(lib->cartridges_dir(), "MIG001.cartridge.tmp."), 0);
}

// The inode of the one file in `dir` whose name starts with `prefix`.
ino_t inode_of_file_named(const std::string& dir, const std::string& prefix) {
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) return inode_of(e.path().string());
  }
  return 0;
}

TEST(StagedImage, AChangeToAnotherCartridgeLeavesTheStagedDescriptionToBeInstalled) {
  TempDir dir;
  std::unique_ptr<TapeLibrary> lib;
  ASSERT_TRUE(TapeLibrary::open(dir.file("lib"), true, &lib).is_ok());
  Cartridge c;
  ASSERT_TRUE(lib->create_cartridge("MIG001", Format::kSimh, 1 << 20, &c).is_ok());
  ASSERT_TRUE(lib->create_cartridge("OTHER1", Format::kSimh, 1 << 20, &c).is_ok());
  std::string moved = dir.file("elsewhere") + "/MIG001.het";

  StagedImage staged;
  ASSERT_TRUE(lib->stage_image("MIG001", moved, Format::kHet, &staged).is_ok());
  ino_t staged_inode = inode_of_file_named(lib->cartridges_dir(), "MIG001.cartridge.tmp.");
  ASSERT_NE(staged_inode, 0u);
  ASSERT_TRUE(lib->set_protected("OTHER1", true).is_ok());
  ASSERT_TRUE(lib->install_image(&staged).is_ok());
  // The staged file renamed into place, not the description written anew
  // under the drive's lock (the slow way).
  EXPECT_EQ(inode_of(lib->cartridges_dir() + "/MIG001.cartridge"), staged_inode);
  ASSERT_TRUE(lib->find("MIG001", &c).is_ok());
  EXPECT_EQ(c.image_path, moved);
  EXPECT_FALSE(c.write_protected);
  ASSERT_TRUE(lib->find("OTHER1", &c).is_ok());
  EXPECT_TRUE(c.write_protected);
}

}  // namespace
}  // namespace vtape::testing
