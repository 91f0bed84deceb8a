// How a vtape find PATTERN becomes an index range (index/find_pattern.h):
// the literal start and end of a GLOB, the ranges, and which patterns may
// skip GLOB.  That the ranges never lose a match is checked against every
// member in catalog_search_test.cc.
#include "index/find_pattern.h"

#include <gtest/gtest.h>

namespace vtape::testing {
namespace {

TEST(FindPattern, LiteralPrefixAndSuffixStopAtEveryGlobCharacter) {
  EXPECT_EQ(literal_prefix("src/lib/*"), "src/lib/");
  EXPECT_EQ(literal_prefix("src/lib/util.?"), "src/lib/util.");
  EXPECT_EQ(literal_prefix("a[bc]d"), "a");
  EXPECT_EQ(literal_prefix("*.c"), "");
  EXPECT_EQ(literal_prefix("plain"), "plain");
  EXPECT_EQ(literal_suffix("*.tar.gz"), ".tar.gz");
  EXPECT_EQ(literal_suffix("*.[ch]"), "");
  EXPECT_EQ(literal_suffix("x[ab]cd"), "cd");
  EXPECT_EQ(literal_suffix("a]b"), "b");  // a ']' may close a class: not taken
  EXPECT_EQ(literal_suffix("main*"), "");
  EXPECT_EQ(literal_suffix("main.c"), "main.c");
}

TEST(FindPattern, OnlyAsciiIsTakenLiterally) {
  // GLOB reads characters: an overlong or otherwise invalid byte sequence in
  // a name can read as the same character as the pattern's.
  EXPECT_EQ(literal_suffix("*caf\xc3\xa9"), "");
  EXPECT_EQ(literal_suffix("*\xc3\xa9.txt"), ".txt");
  EXPECT_EQ(literal_prefix("caf\xc3\xa9/*"), "caf");
}

TEST(FindPattern, PrefixRangeEndsAfterEveryStringWithThePrefix) {
  FindRange r = prefix_range("ab");
  EXPECT_EQ(r.low, "ab");
  EXPECT_EQ(r.high, "ac");
  EXPECT_EQ(prefix_range("a\xff").high, "b");
  EXPECT_FALSE(prefix_range("\xff\xff").high.has_value());
}

// (Until schema 10 these were ranges of members_by_name_rev.)
TEST(FindPattern, ASuffixNamePatternUsesTheTrigramsOfItsSuffixOrScansTheNames) {
  FindPattern p = plan_find("*.c");
  EXPECT_EQ(p.target, FindPattern::Target::kName);
  EXPECT_EQ(p.globs, (std::vector<std::string>{"*.c"}));
  ASSERT_EQ(p.index, FindPattern::Index::kNameScan);  // ".c": too short for a trigram
  EXPECT_EQ(p.name_glob, "*.c");
  EXPECT_TRUE(p.name_glob_exact);
  p = plan_find("*.tar.gz");
  ASSERT_EQ(p.index, FindPattern::Index::kNameTrigram);
  EXPECT_EQ(p.name_glob, "*.tar.gz*");
  EXPECT_FALSE(p.name_glob_exact);
}

TEST(FindPattern, ABareNameIsLookedUpByItsTrigramsAndStillNeedsGlob) {
  FindPattern p = plan_find("main.c");
  EXPECT_EQ(p.target, FindPattern::Target::kName);
  ASSERT_EQ(p.index, FindPattern::Index::kNameTrigram);
  EXPECT_EQ(p.name_glob, "*main.c*");  // also "domain.c": GLOB decides
  EXPECT_FALSE(p.name_glob_exact);
  EXPECT_EQ(plan_find("ma*n.c").name_glob, "*n.c*");
  EXPECT_EQ(plan_find("ma*.c").index, FindPattern::Index::kNameScan);
  EXPECT_EQ(plan_find("ma*.c").name_glob, "ma*.c");
}

// (Until schema 8 these read every member.)
TEST(FindPattern, ANamePatternWithoutALiteralEndUsesTheNameTables) {
  FindPattern p = plan_find("main*");
  EXPECT_EQ(p.index, FindPattern::Index::kNameTrigram);
  EXPECT_EQ(p.name_glob, "*main*");
  p = plan_find("*ab[cd]efgh?ij*");  // the longest ASCII run outside classes
  EXPECT_EQ(p.index, FindPattern::Index::kNameTrigram);
  EXPECT_EQ(p.name_glob, "*efgh*");
  EXPECT_EQ(plan_find("*ma*n*").index, FindPattern::Index::kNameScan);
  EXPECT_EQ(plan_find("*").index, FindPattern::Index::kNameScan);
  EXPECT_EQ(plan_find("*.[ch]").index, FindPattern::Index::kNameScan);
  EXPECT_EQ(plan_find("*[main]*").index, FindPattern::Index::kNameScan);
  EXPECT_EQ(plan_find("*\xc3\xa9t\xc3\xa9*").index, FindPattern::Index::kNameScan);  // not ASCII
}

TEST(FindPattern, ADirectoryPrefixIsARangeOfPathsWithAndWithoutDotSlash) {
  FindPattern p = plan_find("src/lib/*");
  EXPECT_EQ(p.target, FindPattern::Target::kPath);
  EXPECT_EQ(p.globs, (std::vector<std::string>{"src/lib/*", "./src/lib/*"}));
  ASSERT_EQ(p.index, FindPattern::Index::kPath);
  ASSERT_EQ(p.ranges.size(), 2u);
  EXPECT_EQ(p.ranges[0].low, "src/lib/");
  EXPECT_EQ(p.ranges[0].high, "src/lib0");
  EXPECT_EQ(p.ranges[1].low, "./src/lib/");
  EXPECT_TRUE(p.ranges[0].exact);
  EXPECT_TRUE(p.ranges[1].exact);
  p = plan_find("src/*.c");
  EXPECT_EQ(p.index, FindPattern::Index::kPath);
  EXPECT_FALSE(p.ranges[0].exact);
}

TEST(FindPattern, PathsGivenFromTheRootOrWithDotSlashAreMatchedAsGiven) {
  EXPECT_EQ(plan_find("/etc/*").globs, (std::vector<std::string>{"/etc/*"}));
  EXPECT_EQ(plan_find("./src/*").globs, (std::vector<std::string>{"./src/*"}));
  EXPECT_EQ(plan_find("*/util.c").globs, (std::vector<std::string>{"*/util.c"}));
  EXPECT_EQ(plan_path_glob("src/*").globs, (std::vector<std::string>{"src/*"}));
}

TEST(FindPattern, APathPatternWithoutAPrefixUsesTheEndOfItsName) {
  FindPattern p = plan_find("*/lib/util.c");
  EXPECT_EQ(p.target, FindPattern::Target::kPath);
  ASSERT_EQ(p.index, FindPattern::Index::kNameTrigram);
  EXPECT_EQ(p.name_glob, "*util.c*");  // the name is util.c
  p = plan_find("?rc/*.c");
  ASSERT_EQ(p.index, FindPattern::Index::kNameScan);
  EXPECT_EQ(p.name_glob, "*.c");
  EXPECT_FALSE(p.name_glob_exact);  // the path is matched after
  // Ending in '/', the path's name is before it: no range.
  EXPECT_EQ(plan_find("*/").index, FindPattern::Index::kNone);
  EXPECT_EQ(plan_find("*/*").index, FindPattern::Index::kNone);
}

}  // namespace
}  // namespace vtape::testing
