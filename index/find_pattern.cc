#include "index/find_pattern.h"


namespace vtape {
namespace {

bool is_glob_special(char c) { return c == '*' || c == '?' || c == '[' || c == ']'; }
bool is_ascii(char c) { return static_cast<unsigned char>(c) < 0x80; }

// Candidates by name: the trigram index when every name that matches
// `name_pattern` holds a literal run of 3 or more characters ("main*",
// "*.tar.gz", "name.txt"), a scan of the names otherwise ("*.c", "*ma*n*").
void plan_name_candidates(std::string_view name_pattern, FindPattern* p) {
  if (std::string run = longest_literal_run(name_pattern); run.size() >= 3) {
    p->index = FindPattern::Index::kNameTrigram;
    p->name_glob = "*" + run + "*";
  } else {
    p->index = FindPattern::Index::kNameScan;
    p->name_glob = std::string(name_pattern);
    p->name_glob_exact = p->target == FindPattern::Target::kName;
  }
}

FindPattern plan_name(std::string_view pattern) {
  FindPattern p;
  p.target = FindPattern::Target::kName;
  p.globs = {std::string(pattern)};
  plan_name_candidates(pattern, &p);
  return p;
}

FindPattern plan_path(std::string_view pattern, bool as_given_only) {
  FindPattern p;
  p.target = FindPattern::Target::kPath;
  p.globs = {std::string(pattern)};
  if (!as_given_only) p.globs.push_back("./" + std::string(pattern));
  // A directory prefix ("src/lib/*"): a range of the path index per GLOB.
  std::vector<FindRange> ranges;
  for (const auto& g : p.globs) {
    std::string prefix = literal_prefix(g);
    if (prefix.empty()) break;
    ranges.push_back(prefix_range(prefix));
    ranges.back().exact = g.size() == prefix.size() + 1 && g.back() == '*';
  }
  if (ranges.size() == p.globs.size()) {
    p.index = FindPattern::Index::kPath;
    p.ranges = std::move(ranges);
    return p;
  }
  // Otherwise the end of the path ("*/lib/util.c", "*.c") ends the name:
  // the literal text after the last '/' of the suffix, or the whole suffix
  // when it has none, is how every matching name ends.
  std::string suffix = literal_suffix(pattern);
  auto slash = suffix.rfind('/');
  std::string name_end = slash == std::string::npos ? suffix : suffix.substr(slash + 1);
  if (!name_end.empty()) plan_name_candidates("*" + name_end, &p);
  return p;
}

}  // namespace

std::string literal_prefix(std::string_view glob) {
  size_t n = 0;
  while (n < glob.size() && !is_glob_special(glob[n]) && is_ascii(glob[n])) ++n;
  return std::string(glob.substr(0, n));
}

std::string literal_suffix(std::string_view glob) {
  size_t n = 0;
  while (n < glob.size() && !is_glob_special(glob[glob.size() - 1 - n]) && is_ascii(glob[glob.size() - 1 - n])) ++n;
  return std::string(glob.substr(glob.size() - n));
}

std::string longest_literal_run(std::string_view glob) {
  std::string_view longest;
  size_t run = 0;  // where the current run began
  for (size_t i = 0; i < glob.size(); ++i) {
    char c = glob[i];
    if (c == '*' || c == '?' || c == '[' || !is_ascii(c)) {
      run = i + 1;
      if (c == '[') {
        // A class: "[]x]" and "[^]x]" hold the ']' they begin with.
        size_t j = i + 1;
        if (j < glob.size() && glob[j] == '^') ++j;
        if (j < glob.size() && glob[j] == ']') ++j;
        while (j < glob.size() && glob[j] != ']') ++j;
        i = j;
        run = j + 1;
      }
      continue;
    }
    if (i + 1 - run > longest.size()) longest = glob.substr(run, i + 1 - run);
  }
  return std::string(longest);
}

FindRange prefix_range(const std::string& prefix) {
  FindRange r;
  r.low = prefix;
  // The first string after every string that begins with the prefix: its
  // last byte that can be, incremented.
  std::string high = prefix;
  while (!high.empty() && static_cast<unsigned char>(high.back()) == 0xff) high.pop_back();
  if (!high.empty()) {
    high.back() = static_cast<char>(static_cast<unsigned char>(high.back()) + 1);
    r.high = std::move(high);
  }
  return r;
}

FindPattern plan_find(std::string_view pattern) {
  if (pattern.find('/') == std::string_view::npos) return plan_name(pattern);
  bool as_given_only = pattern[0] == '/' || pattern[0] == '*' || pattern.substr(0, 2) == "./";
  return plan_path(pattern, as_given_only);
}

FindPattern plan_path_glob(std::string_view glob) { return plan_path(glob, /*as_given_only=*/true); }

}  // namespace vtape
