// How the catalog answers `vtape find PATTERN` (man/vtape.1): what the
// PATTERN is matched against, and which index range holds every member
// that can match, so that a search reads that range instead of the whole
// members table.
//
// A PATTERN without '/' is matched against the member's name (the last
// component of its path, index/member_name.h).  One with '/' is matched
// against the whole path; unless it begins with '/', "./" or '*', also
// against the path with "./" before it (tar often records "./src/x").
//
// The range is only ever a superset: every candidate is still matched
// with GLOB, so results are exactly those of matching every member.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtape {

struct FindRange {
  std::string low;                  // low <= key
  std::optional<std::string> high;  // key < high, when there is an upper bound
  // Every key in the range matches its GLOB ("*.c", "src/*"), which need
  // not be evaluated then.
  bool exact = false;
};

struct FindPattern {
  enum class Target { kName, kPath };
  enum class Index { kNone, kPath, kNameTrigram, kNameScan };

  Target target = Target::kName;
  // A member matches when its name (kName) or path (kPath) matches one of
  // these GLOB patterns.
  std::vector<std::string> globs;
  // Where the candidates are: members_by_file_path (one range per GLOB in
  // each tape file), the names that member_names_fts finds for name_glob
  // (it has a literal run of 3 or more characters: their trigrams), the
  // names of member_names that match name_glob (a scan of that compact
  // table: any other name pattern), or everywhere (a path pattern with
  // neither).
  Index index = Index::kNone;
  std::vector<FindRange> ranges;
  // kNameTrigram: the GLOB the trigram index is asked ("*RUN*"); kNameScan:
  // the GLOB the names are scanned with.  Either way every name that can
  // match is among its matches; name_glob_exact when exactly they match.
  std::string name_glob;
  bool name_glob_exact = false;
};

FindPattern plan_find(std::string_view pattern);

// The whole path matched with exactly this GLOB (Catalog::find).
FindPattern plan_path_glob(std::string_view glob);

// The parts of a GLOB pattern that every match must begin or end with,
// byte for byte: the characters before the first (after the last) '*',
// '?' or character class.  Only ASCII is taken: GLOB compares characters,
// and a byte sequence that is not UTF-8 may read as the same character as
// a different one.
std::string literal_prefix(std::string_view glob);
std::string literal_suffix(std::string_view glob);

// The longest run of ASCII characters of `glob` outside '*', '?' and
// character classes: text that every match holds as it is.  The trigram
// index looks up one of 3 or more characters.  (Only ASCII: SQLite 3.40's
// FTS5 crashes on some GLOB patterns with other characters, and a run it
// is given alone, as "*RUN*", is a pattern it handles well.)
std::string longest_literal_run(std::string_view glob);

// Every string that begins with `prefix` (not empty) lies in the range.
FindRange prefix_range(const std::string& prefix);

}  // namespace vtape
