// The PROMISES section of man/vtapefs.8 names, for each promise, the test
// that checks it: every name there must be a test of the suite, so that a
// renamed or deleted test cannot leave a promise unchecked.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "Suite.Name" of every TEST, TEST_F and TEST_P under tests/.
std::set<std::string> tests_of_the_suite() {
  std::set<std::string> names;
  const std::regex test_macro(R"(TEST(?:_F|_P)?\(\s*(\w+),\s*(\w+)\))");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(VTAPE_SOURCE_DIR "/tests")) {
    if (entry.path().extension() != ".cc") continue;
    std::string text = read_text(entry.path());
    for (std::sregex_iterator it(text.begin(), text.end(), test_macro), end; it != end; ++it) {
      names.insert((*it)[1].str() + "." + (*it)[2].str());
    }
  }
  return names;
}

TEST(Promises, EveryPromiseOfTheManualNamesATestOfTheSuite) {
  std::string page = read_text(VTAPE_SOURCE_DIR "/man/vtapefs.8");
  size_t begin = page.find(".SH PROMISES");
  ASSERT_NE(begin, std::string::npos) << "man/vtapefs.8 has no PROMISES section";
  size_t end = page.find("\n.SH ", begin + 1);
  std::string section = page.substr(begin, end - begin);

  std::set<std::string> known = tests_of_the_suite();
  const std::regex named_test(R"(\b([A-Z]\w+)\.([A-Z]\w+)\b)");
  int promises_checked = 0;
  for (std::sregex_iterator it(section.begin(), section.end(), named_test), stop; it != stop; ++it) {
    std::string name = (*it)[1].str() + "." + (*it)[2].str();
    EXPECT_TRUE(known.count(name) == 1) << "man/vtapefs.8 PROMISES names " << name << ", which is no test";
    ++promises_checked;
  }
  EXPECT_GE(promises_checked, 30);
}

}  // namespace
}  // namespace vtape::testing
