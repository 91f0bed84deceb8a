// vtape spool: the library's spool, SPXTAPE style.
//   list     spool files in the catalog, by criteria
//   dump     spool files (content and metadata) to an image or cartridge
//   load     spool files from such an image into the spool, renumbering
//   scan     the spool files of an image, without loading
//   adduser  spool users (their spool/USER/ directories in the mount)
// The spool cartridge and the catalog are shared with a running vtapefs
// (SpoolStore locks the cartridge across processes; SQLite the catalog).

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "library/catalog_sync.h"
#include "library/spool_store.h"
#include "library/tape_library.h"
#include "index/spool_catalog.h"
#include "index/spool_tape_file.h"
#include "tools/catalog_support.h"
#include "tools/command_spec.h"
#include "tapeformat/base/json_writer.h"
#include "tools/progress.h"
#include "tools/tool_support.h"

namespace vtape {
namespace {

constexpr const char* kUsage =
    "vtape spool list [CRITERIA] [--include-purged] [--json] [--library DIR]\n"
    "       vtape spool dump --to IMAGE|VOLSER [--append|--force] [CRITERIA] [--include-purged] [--library DIR]\n"
    "       vtape spool load --from IMAGE|VOLSER [CRITERIA] [--nodup] [--queue rdr] [--library DIR]\n"
    "       vtape spool scan IMAGE|VOLSER [CRITERIA] [--json] [--library DIR]\n"
    "       vtape spool adduser USER... [--library DIR]";
constexpr const char* kHelp =
    "The library's spool files (see vtape-spool(1)).\n"
    "CRITERIA, all AND-ed, a comma-separated value giving alternatives:\n"
    "  --queue prt|pun|rdr|all  --owner USER  --spoolid N or N-M  --class C\n"
    "  --form F  --dest D  --name PATTERN (NAME.TYPE; * any characters, % one)\n"
    "  --date YYYY-MM-DD or FIRST..LAST (open date, UTC)  --hold yes|no\n"
    "list, dump and scan leave purged files out unless --include-purged.\n"
    "load: --nodup skips a file already in the spool (same unique id and open\n"
    "time); a spoolid the owner already has is renumbered (old -> new printed);\n"
    "--queue rdr puts every file loaded into its owner's reader.\n";

struct RunStats {
  uint64_t files = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t skipped = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  void add(const SpoolMetadata& m) {
    ++files;
    records += m.records;
    bytes += m.data_bytes;
  }
  std::string text(const char* verb) const {
    std::string t = fmt::format("{} {} spool files, {} records, {} bytes in {:.3f} s", verb, files, records, bytes,
                                elapsed());
    if (skipped > 0) t += fmt::format("; {} skipped as duplicates", skipped);
    return t;
  }
};

// Every subcommand declares every option; one that does not take it says so.
const std::vector<std::string> kFlags = {"--json", "--include-purged", "--nodup", "--append", "--force"};
std::vector<std::string> all_options() {
  return concat({{"--library", "--to", "--from"}, SpoolCriteria::option_names()});
}

bool parse_criteria(const CommandLine& cl, bool queue_is_target, SpoolCriteria* c, std::string* error) {
  for (const auto& name : SpoolCriteria::option_names()) {
    if (name == "--queue" && queue_is_target) continue;
    if (auto v = cl.value(name)) {
      Status s = c->add(name, *v);
      if (!s.is_ok()) {
        *error = s.message();
        return false;
      }
    }
  }
  c->include_purged = cl.has("--include-purged");
  return true;
}

// The library and catalog the preamble opened, and the spool store on them.
struct Library {
  explicit Library(CommandContext& ctx)
      : library(ctx.library.get()), catalog(ctx.catalog.get()), store(std::make_unique<SpoolStore>(*library, *catalog)) {}
  TapeLibrary* library;
  Catalog* catalog;
  std::unique_ptr<SpoolStore> store;
};

void write_json_file(JsonWriter& j, const SpoolMetadata& m) {
  j.field("owner", m.owner).field("spoolid", m.spoolid).field("queue", spool_queue_name(m.queue))
      .field("device", spool_device_name(m.device)).field("name", m.filename).field("type", m.filetype)
      .field("class", std::string(1, m.spool_class)).field("form", m.form).field("dest", m.dest)
      .field("dist", m.dist).field("copies", static_cast<unsigned>(m.copies)).field("hold", m.hold_text())
      .field("keep", m.keep).field("records", m.records).field("lrecl", m.lrecl)
      .field("data_bytes", m.data_bytes).field("content_bytes", m.content_bytes).field("origin", m.origin)
      .field("origin_system", m.origin_system).field("unique_id", m.unique_id_hex())
      .field("opened", spool_time_text(m.opened_us)).field("closed", spool_time_text(m.closed_us));
}

void print_table_header() {
  fmt::print("{:<8} {:>4} {:<3} {:<3} {:<24} {:<1} {:>8} {:>5} {:<8} {:<8} {:<6} {}\n", "OWNER", "ID", "QUE", "DEV",
             "NAME.TYPE", "C", "RECORDS", "LRECL", "FORM", "DEST", "HOLD", "OPENED");
}

void print_table_row(const SpoolMetadata& m, const std::string& note) {
  fmt::print("{:<8} {:04} {:<3} {:<3} {:<24} {:<1} {:>8} {:>5} {:<8} {:<8} {:<6} {}{}\n", m.owner, m.spoolid,
             spool_queue_name(m.queue), spool_device_name(m.device), m.name_type(), m.spool_class, m.records, m.lrecl,
             m.form, m.dest, m.hold_text(), spool_time_text(m.opened_us), note);
}

// An option the subcommand does not take, if any was given.
std::optional<std::string> stray_option(const CommandLine& cl, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (cl.has(n) || cl.value(n)) return std::string(n);
  }
  return std::nullopt;
}

std::string check_list(const CommandLine& cl) {
  if (auto o = stray_option(cl, {"--to", "--from", "--nodup", "--append", "--force"})) return "list does not take " + *o;
  SpoolCriteria criteria;
  std::string error;
  if (!parse_criteria(cl, false, &criteria, &error)) return error;
  if (!cl.positional().empty()) return "list takes no arguments but options";
  return "";
}

int run_list(CommandContext& ctx) {
  const CommandLine& cl = ctx.cl;
  SpoolCriteria criteria;
  std::string error;
  (void)parse_criteria(cl, false, &criteria, &error);  // checked by check_list
  SpoolCatalog spool(*ctx.catalog);
  std::vector<SpoolFileRow> rows;
  if (Status s = spool.select(criteria, &rows); !s.is_ok()) return failure("spool", s.message());
  if (cl.has("--json")) {
    JsonWriter j;
    j.begin_object().key("spool_files").begin_array();
    for (const auto& r : rows) {
      j.begin_object();
      write_json_file(j, r.meta);
      j.field("volser", r.volser).field("file", r.file_number).field("archived", r.archived_at);
      j.key("purged");
      if (r.purged()) {
        j.value(r.purged_at);
      } else {
        j.null();
      }
      j.end_object();
    }
    j.end_array().end_object();
    fmt::print("{}\n", j.str());
    return kExitOk;
  }
  print_table_header();
  for (const auto& r : rows) print_table_row(r.meta, r.purged() ? " (purged)" : "");
  return kExitOk;
}

// IMAGE or VOLSER: a name with '/' or '.' is a file; a volser of the library
// names its cartridge.
bool resolve_image(const std::string& text, const TapeLibrary& library, std::string* path, std::string* volser,
                   std::string* error) {
  bool looks_like_path = text.find('/') != std::string::npos || text.find('.') != std::string::npos;
  if (!looks_like_path) {
    Cartridge c;
    if (library.find(text, &c).is_ok()) {
      for (const auto& [drive, v] : library.loaded()) {
        if (v == c.volser) {
          *error = fmt::format("{} is in drive {}; unload it first", c.volser, drive);
          return false;
        }
      }
      *path = c.image_path;
      *volser = c.volser;
      return true;
    }
    if (normalize_volser(text)) {
      *error = fmt::format("no cartridge {} in {} ('vtape new {}' makes one; a file name needs a '.' or '/')", text,
                           library.dir(), text);
      return false;
    }
  }
  *path = text;
  return true;
}

std::string check_dump(const CommandLine& cl) {
  if (auto o = stray_option(cl, {"--from", "--nodup", "--json"})) return "dump does not take " + *o;
  SpoolCriteria criteria;
  std::string error;
  if (!parse_criteria(cl, false, &criteria, &error)) return error;
  if (!cl.value("--to") || !cl.positional().empty()) return "dump takes --to IMAGE|VOLSER and criteria";
  if (cl.has("--append") && cl.has("--force")) return "dump takes --append or --force, not both";
  return "";
}

int run_dump(CommandContext& ctx) {
  const CommandLine& cl = ctx.cl;
  SpoolCriteria criteria;
  std::string error;
  (void)parse_criteria(cl, false, &criteria, &error);  // checked by check_dump
  auto to = cl.value("--to");
  Library lib(ctx);
  std::string path, volser;
  if (!resolve_image(*to, *lib.library, &path, &volser, &error)) return failure("spool", error);
  if (volser == lib.store->volser()) return failure("spool", "cannot dump the spool cartridge onto itself");
  std::vector<SpoolFileRow> rows;
  if (Status s = lib.store->catalog().select(criteria, &rows); !s.is_ok()) return failure("spool", s.message());
  std::unique_ptr<TapeImage> image;
  Status s;
  // What an image holds is never overwritten or added to unasked (write and
  // convert refuse too): --append adds after it, --force replaces it.
  struct stat existing {};
  bool holds_data = ::stat(path.c_str(), &existing) == 0 && existing.st_size > 0;
  if (holds_data && !cl.has("--append") && !cl.has("--force")) {
    return failure("spool", fmt::format("{} holds {} bytes already; --append adds the spool files after what it "
                                        "holds, --force replaces it",
                                        *to, static_cast<uint64_t>(existing.st_size)));
  }
  if (holds_data && cl.has("--force")) {
    // A cartridge keeps its format; an image file becomes SIMH.
    Format format = Format::kSimh;
    Cartridge cartridge;
    if (!volser.empty() && lib.library->find(volser, &cartridge).is_ok()) format = cartridge.format;
    s = TapeImage::create(path, format, WriteOptions{}, true, &image);
  } else if (access(path.c_str(), F_OK) == 0) {
    // SPXTAPE-like APPEND: what the image holds stays.
    OpenOptions options;
    options.writable = true;
    s = TapeImage::open(path, options, &image);
    if (s.is_ok()) s = image->seek_end_of_data();
  } else {
    s = TapeImage::create(path, Format::kSimh, WriteOptions{}, false, &image);
  }
  if (!s.is_ok()) return failure("spool", s.message_for(path));
  RunStats stats;
  uint64_t total = 0;
  for (const auto& r : rows) total += r.meta.data_bytes;
  Progress progress("dump", total);
  for (const auto& r : rows) {
    SpoolFile f;
    s = lib.store->read(r, &f);
    if (s.is_ok()) s = write_spool_tape_file(*image, f);
    if (!s.is_ok()) {
      return failure("spool", fmt::format("{} {:04} {}: {}", r.meta.owner, r.meta.spoolid, r.meta.name_type(),
                                          s.message()));
    }
    stats.add(r.meta);
    progress.update(stats.bytes);
  }
  if (s = image->sync(); s.is_ok()) s = image->close();
  if (!s.is_ok()) return failure("spool", s.message_for(path));
  progress.finish();
  if (!volser.empty()) {
    Cartridge c;
    if (lib.library->find(volser, &c).is_ok()) {
      if (Status cs = sync_volume_to_catalog(*lib.catalog, c, false); !cs.is_ok()) {
        fmt::print(stderr, "vtape spool: catalog: {}\n", cs.message());
      }
    }
  }
  std::string summary = stats.text("dumped") + " to " + (volser.empty() ? path : volser);
  fmt::print("{}\n", summary);
  lib.store->log_event("spool-dump", summary);
  return kExitOk;
}

// Where the spool tape files of an image are, in order.
Status list_spool_tape_files(TapeImage& image, std::vector<ScannedSpoolFile>* out) {
  return scan_spool_image(
      image,
      [&](ScannedSpoolFile& f) {
        f.file.records.clear();  // read again when loaded: memory stays small
        out->push_back(std::move(f));
        return Status::ok();
      },
      [&](uint64_t file, uint64_t offset, const std::string& why) {
        fmt::print(stderr, "vtape spool: tape file {} (byte {}) is not a spool file, passed over: {}\n", file, offset,
                   why);
      });
}

bool open_source(const CommandLine& cl, const std::string& text, std::unique_ptr<TapeImage>* image) {
  std::string path = text, volser, error;
  std::unique_ptr<TapeLibrary> library;
  bool is_name = text.find('/') == std::string::npos && text.find('.') == std::string::npos;
  if (is_name && TapeLibrary::open(library_dir_option(cl), false, &library).is_ok()) {
    if (!resolve_image(text, *library, &path, &volser, &error)) {
      failure("spool", error);
      return false;
    }
  }
  return open_for_reading("spool", path, std::nullopt, image);
}

std::string check_scan(const CommandLine& cl) {
  if (auto o = stray_option(cl, {"--to", "--from", "--nodup", "--include-purged", "--append", "--force"})) return "scan does not take " + *o;
  SpoolCriteria criteria;
  std::string error;
  if (!parse_criteria(cl, false, &criteria, &error)) return error;
  if (cl.positional().size() != 1) return "scan takes one IMAGE or VOLSER";
  return "";
}

int run_scan(CommandContext& ctx) {
  const CommandLine& cl = ctx.cl;
  SpoolCriteria criteria;
  std::string error;
  (void)parse_criteria(cl, false, &criteria, &error);  // checked by check_scan
  criteria.include_purged = true;  // an image knows nothing of purging
  std::unique_ptr<TapeImage> image;
  if (!open_source(cl, cl.positional()[0], &image)) return kExitFailure;
  std::vector<ScannedSpoolFile> files;
  if (Status s = list_spool_tape_files(*image, &files); !s.is_ok()) {
    return failure("spool", s.message_for(image->path()));
  }
  bool json = cl.has("--json");
  JsonWriter j;
  if (json) {
    j.begin_object().field("image", image->path()).key("spool_files").begin_array();
  } else {
    print_table_header();
  }
  RunStats stats;
  for (const auto& f : files) {
    if (!criteria.matches(f.file.meta, false)) continue;
    stats.add(f.file.meta);
    if (json) {
      j.begin_object();
      write_json_file(j, f.file.meta);
      j.field("file", f.file_number).field("image_offset", f.image_offset).end_object();
    } else {
      print_table_row(f.file.meta, "");
    }
  }
  if (json) {
    j.end_array().end_object();
    fmt::print("{}\n", j.str());
  }
  fmt::print(stderr, "{}\n", stats.text("scanned"));
  return kExitOk;
}

std::string check_load(const CommandLine& cl) {
  if (auto o = stray_option(cl, {"--to", "--json", "--include-purged", "--append", "--force"})) return "load does not take " + *o;
  SpoolCriteria criteria;
  std::string error;
  if (!parse_criteria(cl, true, &criteria, &error)) return error;
  if (!cl.value("--from") || !cl.positional().empty()) return "load takes --from IMAGE|VOLSER and criteria";
  if (auto q = cl.value("--queue"); q && !parse_spool_queue(*q)) {
    return fmt::format("--queue takes prt, pun or rdr, not '{}'", *q);
  }
  return "";
}

int run_load(CommandContext& ctx) {
  const CommandLine& cl = ctx.cl;
  SpoolCriteria criteria;
  std::string error;
  (void)parse_criteria(cl, true, &criteria, &error);  // checked by check_load
  criteria.include_purged = true;
  auto from = cl.value("--from");
  std::optional<SpoolQueue> target;
  if (auto q = cl.value("--queue")) target = parse_spool_queue(*q);
  Library lib(ctx);
  std::unique_ptr<TapeImage> image;
  if (!open_source(cl, *from, &image)) return kExitFailure;
  std::vector<ScannedSpoolFile> files;
  if (Status s = list_spool_tape_files(*image, &files); !s.is_ok()) {
    return failure("spool", s.message_for(image->path()));
  }
  RunStats stats;
  uint64_t total = 0;
  for (const auto& f : files) total += f.file.meta.data_bytes;
  Progress progress("load", total);
  uint64_t seen = 0;
  for (const auto& f : files) {
    seen += f.file.meta.data_bytes;
    if (!criteria.matches(f.file.meta, false)) continue;
    bool duplicate = false;
    if (cl.has("--nodup")) {
      if (Status s = lib.store->catalog().has_identity(f.file.meta, &duplicate); !s.is_ok()) {
        return failure("spool", s.message());
      }
    }
    if (duplicate) {
      ++stats.skipped;
      continue;
    }
    image->seek_to_offset(f.image_offset);
    SpoolFile file;
    bool end = false;
    Status s = read_spool_tape_file(*image, &file, &end);
    if (!s.is_ok()) return failure("spool", s.message_for(image->path()));
    if (target) file.meta.queue = *target;
    SpoolFileRow row;
    s = lib.store->archive(file, &row);
    if (!s.is_ok()) {
      return failure("spool", fmt::format("{} {:04} {}: {}", file.meta.owner, file.meta.spoolid,
                                          file.meta.name_type(), s.message()));
    }
    if (row.meta.spoolid != f.file.meta.spoolid) {
      fmt::print("{} {:04} -> {:04} {} (renumbered: spoolid taken)\n", row.meta.owner, f.file.meta.spoolid,
                 row.meta.spoolid, row.meta.name_type());
      lib.store->log_event("spool-load", fmt::format("{} {:04} -> {:04} {} renumbered", row.meta.owner,
                                                     f.file.meta.spoolid, row.meta.spoolid, row.meta.name_type()));
    }
    stats.add(row.meta);
    progress.update(seen);
  }
  progress.finish();
  std::string summary = stats.text("loaded") + " from " + image->path();
  fmt::print("{}\n", summary);
  lib.store->log_event("spool-load", summary);
  return kExitOk;
}

std::string check_adduser(const CommandLine& cl) {
  for (const auto& name : SpoolCriteria::option_names()) {
    if (cl.value(name)) return "adduser does not take " + name;
  }
  if (cl.positional().empty()) return "adduser takes one or more user ids";
  for (const auto& u : cl.positional()) {
    std::string user;
    if (Status s = normalize_spool_user(u, &user); !s.is_ok()) return s.message();
  }
  return "";
}

int run_adduser(CommandContext& ctx) {
  std::vector<std::string> users;
  for (const auto& u : ctx.positional()) {
    std::string user;
    (void)normalize_spool_user(u, &user);  // checked by check_adduser
    users.push_back(user);
  }
  Library lib(ctx);
  for (const auto& u : users) {
    if (Status s = lib.store->catalog().add_user(u); !s.is_ok()) return failure("spool", s.message());
    fmt::print("{}: spool user (spool/{}/prt, pun, rdr)\n", u, u);
  }
  return kExitOk;
}

// Each subcommand: the same usage, help and options, and what it opens.
CommandSpec subcommand(std::string_view name, Opens opens, std::string (*check)(const CommandLine&),
                       int (*run)(CommandContext&)) {
  return CommandSpec{.name = name, .usage = kUsage, .help = kHelp, .flags = kFlags, .options = all_options(),
                     .opens = opens, .check = check, .run = run};
}

const CommandSpec kSubcommands[] = {
    subcommand("list", Opens::kCatalog, check_list, run_list),
    subcommand("dump", Opens::kLibraryCatalog, check_dump, run_dump),
    subcommand("load", Opens::kNewLibraryCatalog, check_load, run_load),
    subcommand("scan", Opens::kNothing, check_scan, run_scan),
    subcommand("adduser", Opens::kNewLibraryCatalog, check_adduser, run_adduser),
};

}  // namespace

const CommandSpec kSpoolCommand{
    .name = "spool",
    .summary = "spool files: list, dump, load, scan, adduser (SPXTAPE style)",
    .usage = kUsage,
    .help = kHelp,
    .subcommands = kSubcommands,
};

}  // namespace vtape
