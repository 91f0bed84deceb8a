// ImageRetirer (library/image_retirer.h) on its own: a retired image leaves
// its name at once and is deleted after; what is still waiting is deleted
// before the retirer ends; remove_leftovers deletes the hidden files a
// process that ended too soon left, of the images it is told of, and
// nothing else.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "library/image_retirer.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

TEST(ImageRetirer, TakesTheImageOutOfItsNameAtOnceAndDeletesItAfter) {
  TempDir dir;
  std::string image = dir.file("SCR001.tap");
  write_text(image, "an old image");
  EXPECT_EQ(ImageRetirer::hidden_name(image), dir.file(".retired-SCR001.tap"));
  ImageRetirer retirer;
  retirer.retire(image);
  EXPECT_FALSE(fs::exists(image));
  retirer.drain();
  EXPECT_FALSE(fs::exists(dir.file(".retired-SCR001.tap")));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(ImageRetirer, DeletesWhatIsStillWaitingWhenItEnds) {
  TempDir dir;
  {
    ImageRetirer retirer;
    for (int i = 0; i < 20; ++i) {
      std::string image = dir.file("V" + std::to_string(i) + ".tap");
      write_text(image, std::string(4096, 'x'));
      retirer.retire(image);
    }
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(ImageRetirer, AnImageThatCannotBeRenamedIsDeletedAtOnce) {
  TempDir dir;
  ImageRetirer retirer;
  // A name so long that the hidden one is over NAME_MAX: the rename fails.
  std::string image = dir.file(std::string(250, 'A') + ".tap");
  write_text(image, "an old image");
  retirer.retire(image);
  EXPECT_FALSE(fs::exists(image));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(ImageRetirer, LeftoversAreDeletedAndNothingElse) {
  TempDir a, b;
  write_text(a.file(".retired-OLD001.tap"), "left");
  write_text(b.file(".retired-OLD002.het"), "left");
  write_text(a.file("SCR001.tap"), "in use");
  write_text(a.file("retired-SCR002.tap"), "not hidden");
  write_text(a.file(".retiredSCR003.tap"), "not ours");
  // Hidden names of no image of the library: a user's own files.
  write_text(a.file(".retired-unrelated"), "a user's");
  write_text(b.file(".retired-OTHER1.tap"), "a user's");
  fs::create_directory(a.file(".retired-dir"));
  ImageRetirer::remove_leftovers({a.path().string(), b.path().string(), a.path().string(), a.file("missing")},
                                 {"OLD001.tap", "OLD002.het", "SCR001.tap", "SCR002.tap", "SCR003.tap", "dir"});
  EXPECT_FALSE(fs::exists(a.file(".retired-OLD001.tap")));
  EXPECT_FALSE(fs::exists(b.file(".retired-OLD002.het")));
  EXPECT_TRUE(fs::exists(a.file("SCR001.tap")));
  EXPECT_TRUE(fs::exists(a.file("retired-SCR002.tap")));
  EXPECT_TRUE(fs::exists(a.file(".retiredSCR003.tap")));
  EXPECT_TRUE(fs::exists(a.file(".retired-unrelated")));
  EXPECT_TRUE(fs::exists(b.file(".retired-OTHER1.tap")));
  EXPECT_TRUE(fs::is_directory(a.file(".retired-dir")));
}

}  // namespace
}  // namespace vtape::testing
