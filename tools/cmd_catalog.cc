// Reading the catalog: vtape ls and vtape find.  Both only read
// DIR/catalog.db (SQLite in WAL mode), so they work while vtapefs runs and
// writes to it, and while it does not run at all.  Member names are shown
// escaped (tools/member_names.h).

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "library/tape_library.h"
#include "index/catalog.h"
#include "tools/catalog_support.h"
#include "tools/command_spec.h"
#include "tapeformat/base/json_writer.h"
#include "tools/member_names.h"
#include "tools/tool_support.h"

namespace vtape {
namespace {

// A plain text table: columns padded to their widest cell, numbers aligned
// right, the last column never padded (it holds names, which may be long).
class Table {
 public:
  Table(std::vector<std::string> headers, std::vector<bool> right)
      : right_(std::move(right)) {
    rows_.push_back(std::move(headers));
  }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print() const {
    std::vector<size_t> width(rows_[0].size(), 0);
    for (const auto& r : rows_) {
      for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
    }
    for (const auto& r : rows_) {
      std::string line;
      for (size_t i = 0; i < r.size(); ++i) {
        bool last = i + 1 == r.size();
        if (i > 0) line += "  ";
        if (right_[i]) {
          line += std::string(width[i] - r[i].size(), ' ') + r[i];
        } else {
          line += r[i];
          if (!last) line += std::string(width[i] - r[i].size(), ' ');
        }
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
  }

 private:
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }
std::string mtime_text(int64_t t) { return t == 0 ? "-" : iso_utc(t); }
std::string yes_no(bool b) { return b ? "yes" : "no"; }

// ---- vtape ls ----------------------------------------------------------------

constexpr const char* kLsHelp =
    "Lists what the library's catalog knows.  Without an argument: the volumes.\n"
    "With VOLSER: its tape files (numbered from 0).  With VOLSER/FILE: the members\n"
    "(files of a tar or cpio archive, labels, savesets) of that tape file.\n"
    "Names are shown escaped: \\xNN for control characters and bytes that are not\n"
    "UTF-8, \\\\ for a backslash.  --json prints one JSON document instead.\n";

int ls_volumes(Catalog& catalog, const std::string& dir, bool json) {
  std::vector<VolumeRow> volumes;
  if (Status s = catalog.volumes(&volumes); !s.is_ok()) return failure("ls", s.message());
  if (json) {
    JsonWriter j;
    j.begin_object().field("library", dir).key("volumes").begin_array();
    for (const auto& v : volumes) {
      j.begin_object().field("volser", v.volser).field("format", v.format).field("tape_files", v.tape_files)
          .field("bytes", v.bytes).field("image_size", v.image_size).field("capacity", v.capacity)
          .field("created", v.created);
      j.key("last_written");
      if (v.last_written.empty()) {
        j.null();
      } else {
        j.value(v.last_written);
      }
      j.field("write_protected", v.write_protected);
      j.key("label_volser");
      if (v.label_volser.empty()) {
        j.null();
      } else {
        j.value(json_member_name(v.label_volser));
      }
      j.key("label_owner");
      if (v.label_volser.empty() && v.label_owner.empty()) {
        j.null();
      } else {
        j.value(json_member_name(v.label_owner));
      }
      j.field("image", v.image_path).end_object();
    }
    j.end_array().end_object();
    fmt::print("{}\n", j.str());
    return kExitOk;
  }
  Table t({"VOLSER", "FORMAT", "FILES", "BYTES", "LAST-WRITTEN", "PROTECTED", "LABEL", "OWNER"},
          {false, false, true, true, false, false, false, false});
  for (const auto& v : volumes) {
    t.add({v.volser, v.format, std::to_string(v.tape_files), std::to_string(v.bytes), or_dash(v.last_written),
           yes_no(v.write_protected), or_dash(escape_member_name(v.label_volser)),
           or_dash(escape_member_name(v.label_owner))});
  }
  t.print();
  // Cartridges vtapefs has not catalogued yet (made while it did not run).
  std::unique_ptr<TapeLibrary> lib;
  if (TapeLibrary::open(dir, false, &lib).is_ok()) {
    std::vector<std::string> missing;
    for (const auto& c : lib->list()) {
      bool known = std::any_of(volumes.begin(), volumes.end(), [&](const VolumeRow& v) { return v.volser == c.volser; });
      if (!known) missing.push_back(c.volser);
    }
    if (!missing.empty()) {
      fmt::print(stderr, "vtape ls: not in the catalog yet: {}; 'vtape index rebuild' adds them\n",
                 fmt::join(missing, " "));
    }
  }
  return kExitOk;
}

bool find_volume(Catalog& catalog, const std::string& volser, VolumeRow* out, int* rc) {
  std::vector<VolumeRow> volumes;
  if (Status s = catalog.volumes(&volumes); !s.is_ok()) {
    *rc = failure("ls", s.message());
    return false;
  }
  for (const auto& v : volumes) {
    if (v.volser == volser) {
      *out = v;
      return true;
    }
  }
  *rc = failure("ls", fmt::format("no volume {} in the catalog ('vtape ls' lists them)", volser));
  return false;
}

int ls_files(Catalog& catalog, const VolumeRow& v, bool json) {
  std::vector<TapeFileRow> files;
  if (Status s = catalog.files(v.volser, &files); !s.is_ok()) return failure("ls", s.message());
  if (json) {
    JsonWriter j;
    j.begin_object().field("volser", v.volser).field("format", v.format).key("files").begin_array();
    for (const auto& f : files) {
      j.begin_object().field("file", f.file_number).field("first_block", f.first_block)
          .field("records", f.records).field("bytes", f.bytes).field("smallest_record", f.smallest)
          .field("largest_record", f.largest).field("image_offset", f.image_offset).field("digest", f.digest)
          .field("digest_algorithm", f.digest_algorithm);
      // The key of rows from before the digest had an algorithm of its
      // own (schema version 8), kept for readers of those rows.
      if (f.digest_algorithm == "sha256") j.field("sha256", f.digest);
      j.field("written_at", f.written_at).field("closed_cleanly", f.closed_cleanly)
          .field("content", f.content).field("members", f.member_count);
      j.key("compression");
      if (f.compression.empty()) {
        j.null();
      } else {
        j.value(f.compression);
      }
      j.key("damage");
      if (f.damage.empty()) {
        j.null();
      } else {
        j.value(json_member_name(f.damage));
      }
      j.field("writing", f.writing);
      j.end_object();
    }
    j.end_array().end_object();
    fmt::print("{}\n", j.str());
    return kExitOk;
  }
  if (files.empty()) {
    fmt::print("{}: no tape files (the tape is empty)\n", v.volser);
    return kExitOk;
  }
  Table t({"FILE", "RECORDS", "BYTES", "SMALLEST", "LARGEST", "CONTENT", "CLOSED", "DIGEST", "MEMBERS", "DAMAGE"},
          {true, true, true, true, true, false, false, false, true, false});
  for (const auto& f : files) {
    t.add({std::to_string(f.file_number), std::to_string(f.records), std::to_string(f.bytes),
           std::to_string(f.smallest), std::to_string(f.largest),
           f.writing               ? std::string("(being written)")
           : f.compression.empty() ? f.content
                                   : f.content + "+" + f.compression,
           yes_no(f.closed_cleanly), f.digest_algorithm + ":" + f.digest.substr(0, 12),
           std::to_string(f.member_count), or_dash(escape_member_name(f.damage))});
  }
  t.print();
  return kExitOk;
}

int ls_members(Catalog& catalog, const VolumeRow& v, uint64_t file, bool json) {
  std::vector<TapeFileRow> files;
  if (Status s = catalog.files(v.volser, &files); !s.is_ok()) return failure("ls", s.message());
  const TapeFileRow* row = nullptr;
  for (const auto& f : files) {
    if (f.file_number == file) row = &f;
  }
  if (row == nullptr) {
    return failure("ls", files.empty() ? fmt::format("{} has no tape files", v.volser)
                                       : fmt::format("{} has no tape file {} (files 0 to {})", v.volser, file,
                                                     files.back().file_number));
  }
  std::vector<TapeMember> members;
  if (Status s = catalog.members(v.volser, file, &members); !s.is_ok()) return failure("ls", s.message());
  if (json) {
    JsonWriter j;
    j.begin_object().field("volser", v.volser).field("file", file).field("content", row->content);
    j.key("compression");
    if (row->compression.empty()) {
      j.null();
    } else {
      j.value(row->compression);
    }
    j.key("members").begin_array();
    size_t n = 0;
    for (const auto& m : members) {
      j.begin_object().field("kind", m.kind).field("path", json_member_name(m.path)).field("size", m.size)
          .field("mode", m.mode).field("mtime", m.mtime).field("data_offset", m.data_offset);
      if (!m.link_target.empty()) j.field("link_target", json_member_name(m.link_target));
      j.end_object();
      if (++n % 1024 == 0) j.flush_to(stdout);
    }
    j.end_array().end_object();
    j.flush_to(stdout);
    fmt::print("\n");
    return kExitOk;
  }
  if (members.empty()) {
    fmt::print(stderr, "{} file {}: no members known (content {})\n", v.volser, file, row->content);
    return kExitOk;
  }
  Table t({"KIND", "SIZE", "MODE", "MTIME", "PATH"}, {false, true, false, false, false});
  for (const auto& m : members) {
    std::string path = escape_member_name(m.path);
    if (!m.link_target.empty()) path += " -> " + escape_member_name(m.link_target);
    t.add({m.kind, std::to_string(m.size), fmt::format("{:04o}", m.mode & 07777), mtime_text(m.mtime), path});
  }
  t.print();
  return kExitOk;
}

// ---- vtape find --------------------------------------------------------------

constexpr const char* kFindHelp =
    "Finds members (archived files) in the catalog by name.  PATTERN is a glob: *\n"
    "any characters, ? one character, [abc] [a-z] [^abc] one of a set; case counts.\n"
    "A PATTERN without '/' is matched against the last component of each path\n"
    "(like find -name): 'main.c' finds src/main.c, '*.c' every C file.  A PATTERN\n"
    "with '/' is matched against the whole path, where * also matches '/', and a\n"
    "leading ./ of the recorded path may be left out ('src/*' finds everything\n"
    "under src/ and ./src/).\n"
    "--volser V looks on one volume only; --since DATE keeps members modified at\n"
    "or after DATE (YYYY-MM-DD, UTC midnight, or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]);\n"
    "--limit N stops after N matches.  Prints VOLSER/FILE, size, modification\n"
    "time and path (escaped as in 'vtape ls').  Exit status 1 when nothing matched.\n";

// VOLSER[/FILE], the argument of vtape ls; a message when it is neither.
std::string ls_target(const CommandLine& cl, std::optional<std::string>* volser, std::optional<uint64_t>* file) {
  if (cl.positional().empty()) return "";
  const std::string& arg = cl.positional()[0];
  auto slash = arg.find('/');
  *volser = normalize_volser(arg.substr(0, slash));
  if (!*volser) {
    return fmt::format("'{}' is not a volume serial (1 to 6 letters or digits)", arg.substr(0, slash));
  }
  if (slash != std::string::npos) {
    std::string n = arg.substr(slash + 1);
    if (n.empty() || n.size() > 18 || n.find_first_not_of("0123456789") != std::string::npos) {
      return fmt::format("'{}' is not a tape file number", n);
    }
    *file = std::stoull(n);
  }
  return "";
}

std::string check_ls(const CommandLine& cl) {
  std::optional<std::string> volser;
  std::optional<uint64_t> file;
  return ls_target(cl, &volser, &file);
}

int run_ls(CommandContext& ctx) {
  std::optional<std::string> volser;
  std::optional<uint64_t> file;
  (void)ls_target(ctx.cl, &volser, &file);  // checked by check_ls
  Catalog& catalog = *ctx.catalog;
  if (!volser) return ls_volumes(catalog, ctx.library_dir(), ctx.json);
  VolumeRow v;
  int rc = kExitFailure;
  if (!find_volume(catalog, *volser, &v, &rc)) return rc;
  if (!file) return ls_files(catalog, v, ctx.json);
  return ls_members(catalog, v, *file, ctx.json);
}

// The options of vtape find; a message when one is wrong.
std::string find_request(const CommandLine& cl, FindRequest* request, uint64_t* limit) {
  const std::string& pattern = cl.positional()[0];
  if (pattern.empty()) return "the PATTERN is empty";
  request->pattern = pattern;
  if (auto v = cl.value("--volser")) {
    request->volser = normalize_volser(*v);
    if (!request->volser) return fmt::format("'{}' is not a volume serial", *v);
  }
  if (auto v = cl.value("--since")) {
    request->since = parse_iso_time(*v);
    if (!request->since) return fmt::format("--since takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[Z], not '{}'", *v);
  }
  *limit = 0;  // none
  if (auto v = cl.value("--limit")) {
    if (v->empty() || v->size() > 18 || v->find_first_not_of("0123456789") != std::string::npos ||
        std::stoull(*v) == 0) {
      return fmt::format("--limit takes a number of at least 1, not '{}'", *v);
    }
    *limit = std::stoull(*v);
  }
  return "";
}

std::string check_find(const CommandLine& cl) {
  FindRequest request;
  uint64_t limit = 0;
  return find_request(cl, &request, &limit);
}

int run_find(CommandContext& ctx) {
  FindRequest request;
  uint64_t limit = 0;
  (void)find_request(ctx.cl, &request, &limit);  // checked by check_find
  Catalog* catalog = ctx.catalog.get();
  const std::string& pattern = request.pattern;
  // One search reads each page it needs once: a small page cache recycles
  // its buffers, where the catalog's usual 64 MiB (for inserts) allocated
  // and faulted in a new one for every page read (`*.c` on a million
  // members read 25000 pages: twice the CPU time of the search).
  (void)catalog->exec("PRAGMA cache_size = -8192");

  // One more than the limit, to tell whether it cut the list short.
  request.limit = limit == 0 ? 0 : limit + 1;
  // Each match is written as it comes (into a buffer flushed now and then),
  // never kept: a search may find 100000 members.
  bool json = ctx.json;
  uint64_t matches = 0;
  bool truncated = false;
  JsonWriter j;
  std::string out;
  if (json) j.begin_object().field("pattern", json_member_name(pattern)).key("members").begin_array();
  auto show = [&](const FoundMemberView& m) {
    if (limit != 0 && matches == limit) {
      truncated = true;
      return;
    }
    ++matches;
    if (json) {
      j.begin_object().field("volser", std::string(m.volser)).field("file", m.file_number)
          .field("kind", std::string(m.kind)).field("path", json_member_name(m.path)).field("size", m.size)
          .field("mtime", m.mtime).end_object();
      if (matches % 1024 == 0) j.flush_to(stdout);
      return;
    }
    // "VOLSER/FILE  SIZE  MTIME  PATH", put together by hand: a format
    // string parsed 100000 times costs more than the rest of the line.
    fmt::format_int file(m.file_number), size(m.size);
    out += m.volser;
    out += '/';
    out.append(file.data(), file.size());
    out += "  ";
    out.append(size.data(), size.size());
    out += "  ";
    if (m.mtime == 0) {
      out += '-';
    } else {
      append_iso_utc(&out, m.mtime);
    }
    out += "  ";
    append_escaped_member_name(&out, m.path);
    out += '\n';
    if (out.size() > 65536) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  };
  // (The catalog hands out matches only once the search has succeeded.)
  if (Status s = catalog->find_pattern(request, show); !s.is_ok()) return failure("find", s.message());
  if (json) {
    j.end_array().field("truncated", truncated).end_object();
    j.flush_to(stdout);
    fmt::print("\n");
  } else {
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (truncated) fmt::print(stderr, "vtape find: stopped after {} matches (--limit)\n", limit);
  }
  return matches == 0 ? kExitFailure : kExitOk;
}

}  // namespace

const CommandSpec kLsCommand{
    .name = "ls",
    .summary = "what the catalog knows: volumes, their tape files, members",
    .usage = "vtape ls [VOLSER[/FILE]] [--json] [--library DIR]",
    .help = kLsHelp,
    .flags = {"--json"},
    .options = {"--library"},
    .max_positional = 1,
    .positional_error = "one VOLSER or VOLSER/FILE at most",
    .opens = Opens::kCatalog,
    .check = check_ls,
    .run = run_ls,
};

const CommandSpec kFindCommand{
    .name = "find",
    .summary = "find archived files in the catalog by name (glob)",
    .usage = "vtape find PATTERN [--volser V] [--since DATE] [--limit N] [--json] [--library DIR]",
    .help = kFindHelp,
    .flags = {"--json"},
    .options = {"--library", "--volser", "--since", "--limit"},
    .min_positional = 1,
    .max_positional = 1,
    .positional_error = "one PATTERN is needed",
    .opens = Opens::kCatalog,
    .check = check_find,
    .run = run_find,
};

}  // namespace vtape
