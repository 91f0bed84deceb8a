// Member names as saved/.../members/ shows them: escaping, hostile paths,
// duplicates, links.
#include <gtest/gtest.h>

#include "fuse/member_tree.h"

namespace vtape {
namespace {

TapeMember member(std::string kind, std::string path, uint64_t size = 0, uint64_t offset = 0,
                  std::string target = "") {
  TapeMember m;
  m.kind = std::move(kind);
  m.path = std::move(path);
  m.size = size;
  m.mode = 0644;
  m.mtime = 1000;
  m.data_offset = offset;
  m.link_target = std::move(target);
  return m;
}

std::shared_ptr<const MemberTree> tree_of(const std::vector<TapeMember>& members) {
  MemberTree::Options o;
  o.stream_bytes = 1 << 30;
  o.default_mtime = 5;
  return MemberTree::build(members, o);
}

std::vector<std::string> names(const MemberNode& n) {
  std::vector<std::string> out;
  for (const auto& [name, id] : n.children) out.push_back(name);
  return out;
}

TEST(BrowseMemberTree, EscapesWhatCouldMisleadAndNothingElse) {
  EXPECT_EQ(escape_member_component("plain name.txt"), "plain name.txt");
  EXPECT_EQ(escape_member_component(".."), "%2E%2E");
  EXPECT_EQ(escape_member_component("..."), "...");
  EXPECT_EQ(escape_member_component("a%b"), "a%25b");
  EXPECT_EQ(escape_member_component("%2E%2E"), "%252E%252E");
  EXPECT_EQ(escape_member_component("line\nbreak\x01"), "line%0Abreak%01");
  EXPECT_EQ(escape_member_component(std::string("nul\0x", 5)), "nul%00x");
  EXPECT_EQ(escape_member_component("del\x7f"), "del%7F");
  EXPECT_EQ(escape_member_component("caf\xc3\xa9"), "caf\xc3\xa9");          // UTF-8 kept
  EXPECT_EQ(escape_member_component("caf\xe9"), "caf%E9");                   // Latin-1 is not UTF-8
  EXPECT_EQ(escape_member_component("c1\xc2\x85"), "c1%C2%85");              // C1 control
  EXPECT_EQ(escape_member_component("\xed\xa0\x80"), "%ED%A0%80");           // a surrogate
  EXPECT_EQ(escape_member_component("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");  // 4-byte UTF-8
}

TEST(BrowseMemberTree, LongNamesAreCutWithAHashAndStayDistinct) {
  std::string a(300, 'x'), b = std::string(299, 'x') + "y";
  std::string ea = escape_member_component(a), eb = escape_member_component(b);
  EXPECT_LE(ea.size(), kMaxShownName);
  EXPECT_LE(eb.size(), kMaxShownName);
  EXPECT_NE(ea, eb);
  EXPECT_EQ(ea.substr(0, 200), std::string(200, 'x'));
  EXPECT_NE(ea.find("~h"), std::string::npos);
  // Escapes and characters are never cut in the middle.
  std::string controls(200, '\x01');
  std::string ec = escape_member_component(controls);
  EXPECT_LE(ec.size(), kMaxShownName);
  size_t tail = ec.find("~h");
  ASSERT_NE(tail, std::string::npos);
  EXPECT_EQ(tail % 3, 0u) << ec;
  std::string accents;
  for (int i = 0; i < 200; ++i) accents += "\xc3\xa9";
  std::string ed = escape_member_component(accents);
  EXPECT_LE(ed.size(), kMaxShownName);
  EXPECT_EQ(ed.find("~h") % 2, 0u);
  // Exactly 255 bytes is kept as it is.
  EXPECT_EQ(escape_member_component(std::string(255, 'z')), std::string(255, 'z'));
}

TEST(BrowseMemberTree, SplitDropsEmptyAndDotComponents) {
  EXPECT_EQ(split_member_path("/etc//passwd/"), (std::vector<std::string>{"etc", "passwd"}));
  EXPECT_EQ(split_member_path("./a/./b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split_member_path("a/../../b"), (std::vector<std::string>{"a", "..", "..", "b"}));
  EXPECT_TRUE(split_member_path("/").empty());
  EXPECT_TRUE(split_member_path("").empty());
}

TEST(BrowseMemberTree, SymlinksAreSymlinksOnlyWhenTheyStayInside) {
  EXPECT_TRUE(member_symlink_is_safe("file", 0));
  EXPECT_TRUE(member_symlink_is_safe("./dir/file", 0));
  EXPECT_TRUE(member_symlink_is_safe("../x", 1));
  EXPECT_TRUE(member_symlink_is_safe("../../x/y", 2));
  EXPECT_FALSE(member_symlink_is_safe("../x", 0));
  EXPECT_FALSE(member_symlink_is_safe("../../x", 1));
  EXPECT_FALSE(member_symlink_is_safe("/etc/passwd", 5));
  EXPECT_FALSE(member_symlink_is_safe("", 0));
  EXPECT_FALSE(member_symlink_is_safe(".", 0));
  EXPECT_FALSE(member_symlink_is_safe("a/../..", 3));   // ".." after a name
  EXPECT_FALSE(member_symlink_is_safe("x/..", 3));
  EXPECT_FALSE(member_symlink_is_safe("bad\nname", 0));  // would not name the escaped member
  EXPECT_FALSE(member_symlink_is_safe("100%", 0));
}

TEST(BrowseMemberTree, HostilePathsStayInsideAndEveryMemberIsReachable) {
  auto t = tree_of({
      member("file", "../escape", 3, 512),
      member("file", "/etc/evil", 3, 1536),
      member("file", "a/../../b", 3, 2560),
      member("file", "ctl\nname\x01", 3, 3584),
      member("file", "../../..", 1, 4608),
      member("file", "/", 1, 5120),
  });
  EXPECT_EQ(names(t->root()), (std::vector<std::string>{"%2E", "%2E%2E", "a", "ctl%0Aname%01", "etc"}));
  const MemberNode* e = t->lookup("%2E%2E/escape");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->data_offset, 512u);
  ASSERT_NE(t->lookup("etc/evil"), nullptr);
  ASSERT_NE(t->lookup("a/%2E%2E/%2E%2E/b"), nullptr);
  EXPECT_EQ(t->lookup("a/%2E%2E/%2E%2E/b")->data_offset, 2560u);
  // "../../.." is a file named ".." inside "%2E%2E/%2E%2E".
  const MemberNode* dots = t->lookup("%2E%2E/%2E%2E/%2E%2E");
  ASSERT_NE(dots, nullptr);
  EXPECT_EQ(dots->type, MemberNode::Type::kFile);
  EXPECT_EQ(t->lookup("%2E")->data_offset, 5120u);
}

TEST(BrowseMemberTree, DuplicatesGetNumberedAndDirectoriesMerge) {
  auto t = tree_of({
      member("file", "x", 1, 512),
      member("file", "./x", 2, 1536),
      member("directory", "d/"),
      member("file", "d/f", 3, 2560),
      member("directory", "./d"),
      member("file", "x/inner", 4, 3584),  // a directory where a file is
      member("file", "x/other", 5, 4608),
  });
  EXPECT_EQ(names(t->root()), (std::vector<std::string>{"d", "x", "x~1", "x~2"}));
  EXPECT_EQ(t->lookup("x")->size, 1u);
  EXPECT_EQ(t->lookup("x~1")->size, 2u);
  EXPECT_EQ(t->lookup("x~2")->type, MemberNode::Type::kDirectory);
  EXPECT_EQ(names(*t->lookup("x~2")), (std::vector<std::string>{"inner", "other"}));
  EXPECT_EQ(names(*t->lookup("d")), (std::vector<std::string>{"f"}));
}

TEST(BrowseMemberTree, ImpliedDirectoriesAndModes) {
  TapeMember f = member("file", "p/q/r.txt", 10, 512);
  f.mode = 0751;
  TapeMember d = member("directory", "p/");
  d.mode = 0700;
  d.mtime = 77;
  auto t = tree_of({f, d});
  const MemberNode* p = t->lookup("p");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->mtime, 77);
  EXPECT_EQ(p->mode, 0500u);
  EXPECT_EQ(t->lookup("p/q")->mtime, 5);  // implied: the tape file's time
  EXPECT_EQ(t->lookup("p/q")->mode, 0555u);
  EXPECT_EQ(t->lookup("p/q/r.txt")->mode, 0440u);
  EXPECT_EQ(t->lookup("p/q/r.txt")->mtime, 1000);
  EXPECT_EQ(t->root().subdirectories, 1u);
}

TEST(BrowseMemberTree, LinksFollowThePolicy) {
  auto t = tree_of({
      member("file", "dir/target.txt", 7, 512),
      member("symlink", "dir/rel", 0, 0, "target.txt"),
      member("symlink", "dir/up", 0, 0, "../dir/target.txt"),
      member("symlink", "abs", 0, 0, "/etc/passwd"),
      member("symlink", "out", 0, 0, "../outside"),
      member("hardlink", "hard", 0, 0, "dir/target.txt"),
      member("hardlink", "dangling", 0, 0, "nowhere"),
      member("hardlink", "dir/hardsym", 0, 0, "dir/rel"),
  });
  EXPECT_EQ(t->lookup("dir/rel")->type, MemberNode::Type::kSymlink);
  EXPECT_EQ(t->lookup("dir/rel")->inline_data, "target.txt");
  EXPECT_EQ(t->lookup("dir/up")->type, MemberNode::Type::kSymlink);
  const MemberNode* abs = t->lookup("abs");
  EXPECT_EQ(abs->type, MemberNode::Type::kFile);
  EXPECT_EQ(abs->source, MemberNode::Source::kInline);
  EXPECT_EQ(abs->inline_data, "/etc/passwd");
  EXPECT_EQ(abs->size, 11u);
  EXPECT_EQ(t->lookup("out")->type, MemberNode::Type::kFile);
  const MemberNode* hard = t->lookup("hard");
  EXPECT_EQ(hard->type, MemberNode::Type::kFile);
  EXPECT_EQ(hard->data_offset, 512u);
  EXPECT_EQ(hard->size, 7u);
  EXPECT_EQ(t->lookup("dangling")->size, 0u);
  EXPECT_EQ(t->lookup("dir/hardsym")->type, MemberNode::Type::kSymlink);
}

TEST(BrowseMemberTree, CpioSymlinkTargetsComeFromTheData) {
  MemberTree::Options o;
  o.stream_bytes = 4096;
  o.read_data = [](uint64_t offset, uint64_t size) -> std::optional<std::string> {
    if (offset == 100) return std::string("small.txt").substr(0, size);
    return std::nullopt;
  };
  auto t = MemberTree::build({member("symlink", "link", 9, 100), member("symlink", "broken", 9, 200),
                              member("file", "cut", 1000, 4000)},
                             o);
  EXPECT_EQ(t->lookup("link")->type, MemberNode::Type::kSymlink);
  EXPECT_EQ(t->lookup("link")->inline_data, "small.txt");
  EXPECT_EQ(t->lookup("broken")->type, MemberNode::Type::kFile);
  EXPECT_EQ(t->lookup("broken")->source, MemberNode::Source::kStream);
  EXPECT_EQ(t->lookup("cut")->size, 96u);  // cut off by the end of the tape file
}

}  // namespace
}  // namespace vtape
