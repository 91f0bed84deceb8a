// vtape index check | rebuild: the catalog against the images.
//
// check indexes every cartridge's image from its bytes alone (as
// reconciliation does) and compares the result with what the catalog holds;
// it changes nothing.  rebuild puts that index into the catalog for every
// cartridge and drops volumes whose cartridge is gone; when the catalog
// cannot be opened at all (damaged, or not a vtape catalog) and no vtapefs
// runs, the old file is moved aside to catalog.db.broken and a new one made.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "library/catalog_sync.h"
#include "library/library_lock.h"
#include "library/tape_library.h"
#include "index/catalog.h"
#include "index/volume_indexer.h"
#include "tools/catalog_support.h"
#include "tools/command_spec.h"
#include "tapeformat/base/json_writer.h"
#include "tools/member_names.h"
#include "tools/progress.h"
#include "tools/tool_support.h"

namespace vtape {
namespace {

constexpr const char* kHelp =
    "check:   indexes every cartridge's image and compares it with the catalog:\n"
    "         volumes, tape files, and per tape file its records, bytes, record\n"
    "         sizes, position, digest (of the algorithm its row names), content,\n"
    "         members and filemark.  Prints each\n"
    "         difference; exit status 1 if there is any.  Changes nothing.\n"
    "rebuild: remakes the catalog from the images alone (every cartridge is\n"
    "         indexed again; volumes whose cartridge is gone are dropped), each\n"
    "         tape file's digest of the library's setting (vtapefs --digest).\n"
    "--json (check only) prints one JSON document.\n";

struct Difference {
  std::string volser;
  std::optional<uint64_t> file;
  std::string field;
  std::string catalog;  // the catalog's value ("" when it has none)
  std::string image;    // the image's (or cartridge's) value
  std::string message;
};

class Checker {
 public:
  explicit Checker(std::vector<Difference>* out) : out_(out) {}

  void volume(const std::string& volser, const std::string& field, const std::string& catalog,
              const std::string& image, const std::string& message) {
    out_->push_back({volser, std::nullopt, field, catalog, image, fmt::format("{}: {}", volser, message)});
  }

  // "SCR001 file 2: catalog has 5 records, image has 7"
  void number(const std::string& volser, uint64_t file, const std::string& field, uint64_t catalog, uint64_t image,
              const std::string& unit) {
    if (catalog == image) return;
    out_->push_back({volser, file, field, std::to_string(catalog), std::to_string(image),
                     fmt::format("{} file {}: catalog has {} {}, image has {}", volser, file, catalog, unit, image)});
  }

  void text(const std::string& volser, uint64_t file, const std::string& field, const std::string& catalog,
            const std::string& image) {
    if (catalog == image) return;
    auto show = [](const std::string& s) { return s.empty() ? std::string("none") : escape_member_name(s); };
    out_->push_back({volser, file, field, catalog, image,
                     fmt::format("{} file {}: catalog has {} {}, image has {}", volser, file, field, show(catalog),
                                 show(image))});
  }

  void add(Difference d) { out_->push_back(std::move(d)); }

 private:
  std::vector<Difference>* out_;
};

void compare_files(Checker& check, const std::string& volser, const std::vector<TapeFileRow>& cataloged,
                   const std::vector<CatalogedFile>& indexed) {
  if (cataloged.size() != indexed.size()) {
    check.add({volser, std::nullopt, "tape_files", std::to_string(cataloged.size()), std::to_string(indexed.size()),
               fmt::format("{}: catalog has {} tape files, image has {}", volser, cataloged.size(), indexed.size())});
  }
  for (size_t i = 0; i < std::min(cataloged.size(), indexed.size()); ++i) {
    const TapeFileRow& c = cataloged[i];
    const TapeFileRow& m = indexed[i].row;
    uint64_t f = m.file_number;
    if (c.file_number != m.file_number) {
      check.add({volser, f, "file_number", std::to_string(c.file_number), std::to_string(m.file_number),
                 fmt::format("{}: the catalog's tape file {} is the image's file {}", volser, c.file_number,
                             m.file_number)});
    }
    check.number(volser, f, "records", c.records, m.records, "records");
    check.number(volser, f, "bytes", c.bytes, m.bytes, "bytes");
    check.number(volser, f, "smallest_record", c.smallest, m.smallest, "as its smallest record");
    check.number(volser, f, "largest_record", c.largest, m.largest, "as its largest record");
    check.number(volser, f, "first_block", c.first_block, m.first_block, "as its first block");
    check.number(volser, f, "image_offset", c.image_offset, m.image_offset, "as its image offset");
    if (c.digest_algorithm != m.digest_algorithm) {
      check.add({volser, f, "digest_algorithm", c.digest_algorithm, m.digest_algorithm,
                 fmt::format("{} file {}: catalog has a digest of the unknown algorithm '{}'", volser, f,
                             escape_member_name(c.digest_algorithm))});
    } else if (c.digest != m.digest) {
      check.add({volser, f, "digest", c.digest, m.digest,
                 fmt::format("{} file {}: catalog has {} {}, image has {}", volser, f, c.digest_algorithm,
                             c.digest.substr(0, 12), m.digest.substr(0, 12))});
    }
    check.text(volser, f, "content", c.content, m.content);
    check.text(volser, f, "compression", c.compression, m.compression);
    check.number(volser, f, "members", c.member_count, indexed[i].members.size(), "members");
    if (c.closed_cleanly != m.closed_cleanly) {
      auto say = [](bool b) { return b ? std::string("a filemark") : std::string("no filemark"); };
      check.add({volser, f, "closed_cleanly", c.closed_cleanly ? "true" : "false", m.closed_cleanly ? "true" : "false",
                 fmt::format("{} file {}: catalog has {} after it, image has {}", volser, f, say(c.closed_cleanly),
                             say(m.closed_cleanly))});
    }
    check.text(volser, f, "damage", c.damage, m.damage);
  }
}

// Indexes the image with the digest each catalog row names: a volume's rows
// may mix SHA-256 (cataloged before schema version 8) with XXH3-128, so the
// image is read once per algorithm its rows use (once, nearly always).
// A row of an algorithm this vtape does not know keeps the image's digest
// of the first, and compare_files names the algorithm.
Status index_as_cataloged(TapeImage& image, const std::vector<TapeFileRow>& rows, DigestAlgorithm otherwise,
                          VolumeIndex* out) {
  std::vector<DigestAlgorithm> algorithms;
  for (const auto& r : rows) {
    auto a = parse_digest_name(r.digest_algorithm);
    if (a && std::find(algorithms.begin(), algorithms.end(), *a) == algorithms.end()) algorithms.push_back(*a);
  }
  if (algorithms.empty()) algorithms.push_back(otherwise);
  VTAPE_RETURN_IF_ERROR(index_image(image, /*salvage=*/true, algorithms[0], out));
  for (size_t k = 1; k < algorithms.size(); ++k) {
    VolumeIndex again;
    VTAPE_RETURN_IF_ERROR(index_image(image, /*salvage=*/true, algorithms[k], &again));
    const std::string name(digest_name(algorithms[k]));
    for (size_t i = 0; i < std::min({rows.size(), out->files.size(), again.files.size()}); ++i) {
      if (rows[i].digest_algorithm != name) continue;
      out->files[i].row.digest = again.files[i].row.digest;
      out->files[i].row.digest_algorithm = name;
    }
  }
  return Status::ok();
}

// The crash repair a mount does (DriveService::reconcile_catalog) for the
// volumes a writer left write-pending when it died (a killed vtape receive,
// restore or vtapefs, a commit that met a full disk): done by check too, so
// that it does not report what any next opening of the library repairs
// anyway, from the image alone.  Only while nobody serves the library (its
// lock is free): the pending write of a living writer is its own to finish.
// A catalog that cannot be opened is left to the check to report.
void repair_interrupted_writes(const TapeLibrary& lib) {
  std::unique_ptr<LibraryLock> lock;
  bool held_by_other = false;
  if (!LibraryLock::try_acquire(lib, &lock, &held_by_other).is_ok() || held_by_other) return;
  std::unique_ptr<Catalog> catalog;
  std::vector<VolumeRow> volumes;
  if (!open_library_catalog(lib, &catalog).is_ok() || !catalog->volumes(&volumes).is_ok()) return;
  for (const auto& c : lib.list()) {
    auto v = std::find_if(volumes.begin(), volumes.end(), [&](const VolumeRow& r) { return r.volser == c.volser; });
    if (v == volumes.end() || !v->write_pending) continue;
    Status s = sync_volume_to_catalog(*catalog, c, /*force=*/true);
    if (s.is_ok()) {
      fmt::print(stderr, "vtape index: {}: its writer stopped before the catalog recorded its last write; "
                         "cataloged from the image (the repair a mount does)\n", c.volser);
    } else {
      fmt::print(stderr, "vtape index: {}: its writer stopped before the catalog recorded its last write, and "
                         "the repair failed: {}\n", c.volser, s.message());
    }
  }
}

int run_check(std::unique_ptr<TapeLibrary> lib, bool json) {
  repair_interrupted_writes(*lib);
  std::unique_ptr<Catalog> catalog;
  if (!open_existing_catalog("index", lib->dir(), &catalog)) return kExitFailure;
  std::vector<VolumeRow> volumes;
  if (Status s = catalog->volumes(&volumes); !s.is_ok()) return failure("index", s.message());
  std::map<std::string, const VolumeRow*> by_volser;
  for (const auto& v : volumes) by_volser[v.volser] = &v;

  std::vector<Difference> diffs;
  Checker check(&diffs);
  auto cartridges = lib->list();
  uint64_t total = 0, done = 0;
  for (const auto& c : cartridges) {
    struct stat st {};
    if (stat(c.image_path.c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_size);
  }
  Progress progress("checking", total);
  for (const auto& c : cartridges) {
    auto it = by_volser.find(c.volser);
    const VolumeRow* v = it == by_volser.end() ? nullptr : it->second;
    if (v != nullptr) by_volser.erase(it);
    std::vector<TapeFileRow> files;
    if (v != nullptr) {
      if (Status fs = catalog->files(c.volser, &files); !fs.is_ok()) return failure("index", fs.message());
    }
    OpenOptions options;
    options.format = c.format;
    std::unique_ptr<TapeImage> image;
    VolumeIndex index;
    Status s = TapeImage::open(c.image_path, options, &image);
    if (s.is_ok()) s = index_as_cataloged(*image, files, lib->digest(), &index);
    if (image) done += image->size();
    progress.update(done);
    if (!s.is_ok()) {
      check.volume(c.volser, "image", "", s.message(), "cannot index the image: " + s.message_for(c.image_path));
      continue;
    }
    if (v == nullptr) {
      check.volume(c.volser, "volume", "", c.volser,
                   fmt::format("cartridge in the library, not in the catalog ({} tape files)", index.files.size()));
      continue;
    }
    std::string format(format_name(c.format));
    if (v->format != format) {
      check.volume(c.volser, "format", v->format, format,
                   fmt::format("catalog has format {}, the cartridge is {}", v->format, format));
    }
    if (v->write_protected != c.write_protected) {
      auto say = [](bool b) { return std::string(b ? "write-protected" : "writable"); };
      check.volume(c.volser, "write_protected", v->write_protected ? "true" : "false",
                   c.write_protected ? "true" : "false",
                   fmt::format("catalog has it {}, the cartridge is {}", say(v->write_protected),
                               say(c.write_protected)));
    }
    if (v->label_volser != index.label_volser || v->label_owner != index.label_owner) {
      auto show = [](const std::string& vol, const std::string& owner) {
        return vol.empty() && owner.empty() ? std::string("no label")
                                            : fmt::format("label {} owner '{}'", escape_member_name(vol),
                                                          escape_member_name(owner));
      };
      check.volume(c.volser, "label", v->label_volser + "/" + v->label_owner,
                   index.label_volser + "/" + index.label_owner,
                   fmt::format("catalog has {}, image has {}", show(v->label_volser, v->label_owner),
                               show(index.label_volser, index.label_owner)));
    }
    compare_files(check, c.volser, files, index.files);
  }
  progress.finish();
  for (const auto& [volser, v] : by_volser) {
    check.volume(volser, "volume", volser, "",
                 fmt::format("in the catalog ({} tape files), but the library has no such cartridge", v->tape_files));
  }
  // The names vtape find searches are the catalog's own: checked against
  // its members, not against the images.
  std::vector<std::string> name_problems;
  if (Status s = catalog->check_name_index(&name_problems); !s.is_ok()) return failure("index", s.message());
  for (const auto& p : name_problems) check.add({"", std::nullopt, "name_index", "", "", "name index: " + p});

  if (json) {
    JsonWriter j;
    j.begin_object().field("library", lib->dir()).field("volumes", static_cast<uint64_t>(cartridges.size()))
        .field("matches", diffs.empty()).key("differences").begin_array();
    for (const auto& d : diffs) {
      j.begin_object().field("volser", d.volser);
      j.key("file");
      if (d.file) {
        j.value(*d.file);
      } else {
        j.null();
      }
      j.field("field", d.field).field("catalog", json_member_name(d.catalog)).field("image", json_member_name(d.image))
          .field("message", json_member_name(d.message)).end_object();
    }
    j.end_array().end_object();
    fmt::print("{}\n", j.str());
  } else {
    for (const auto& d : diffs) fmt::print("{}\n", d.message);
    if (diffs.empty()) {
      fmt::print("catalog matches {} volume{}\n", cartridges.size(), cartridges.size() == 1 ? "" : "s");
    } else {
      fmt::print(stderr, "vtape index: {} difference{} between the catalog and the images; 'vtape index rebuild' "
                         "remakes the catalog from the images\n",
                 diffs.size(), diffs.size() == 1 ? "" : "s");
    }
  }
  return diffs.empty() ? kExitOk : kExitFailure;
}

// Opens the catalog for a rebuild; one that cannot be opened is moved aside
// (never deleted) when no daemon holds it.
bool open_for_rebuild(const TapeLibrary& lib, std::unique_ptr<Catalog>* catalog) {
  Status s = open_library_catalog(lib, catalog);
  if (s.is_ok()) return true;
  if (s.code() == StatusCode::kNotSupported) {
    failure("index", s.message());  // made by a newer vtape: not ours to replace
    return false;
  }
  if (daemon_running(lib)) {
    failure("index", fmt::format("{}; stop vtapefs to let 'vtape index rebuild' replace it", s.message()));
    return false;
  }
  std::string aside = lib.catalog_path() + ".broken";
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::string from = lib.catalog_path() + suffix;
    if (access(from.c_str(), F_OK) == 0 && rename(from.c_str(), (aside + suffix).c_str()) != 0) {
      failure("index", Status::io_error(fmt::format("cannot move {} aside", from), errno).message());
      return false;
    }
  }
  fmt::print(stderr, "vtape index: {}\nvtape index: moved it to {}; making a new catalog\n", s.message(), aside);
  s = open_library_catalog(lib, catalog);
  if (!s.is_ok()) {
    failure("index", s.message());
    return false;
  }
  return true;
}

int run_rebuild(std::unique_ptr<TapeLibrary> lib) {
  std::unique_ptr<Catalog> catalog;
  if (!open_for_rebuild(*lib, &catalog)) return kExitFailure;
  auto cartridges = lib->list();
  uint64_t total = 0, done = 0;
  for (const auto& c : cartridges) {
    struct stat st {};
    if (stat(c.image_path.c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_size);
  }
  // The names behind vtape find are remade from the members first,
  // whatever became of them: replacing a member whose name was changed by
  // hand would tell the trigram index to forget a name it never had.
  if (Status s = catalog->rebuild_name_index(); !s.is_ok()) return failure("index", s.message());
  int failed = 0;
  {
    Progress progress("indexing", total);
    for (const auto& c : cartridges) {
      Status s = catalog_cartridge(*catalog, c);
      if (!s.is_ok()) {
        progress.finish();
        fmt::print(stderr, "vtape index: {}: {}\n", c.volser, s.message());
        ++failed;
      }
      struct stat st {};
      if (stat(c.image_path.c_str(), &st) == 0) done += static_cast<uint64_t>(st.st_size);
      progress.update(done);
    }
  }
  std::vector<VolumeRow> volumes;
  if (Status s = catalog->volumes(&volumes); !s.is_ok()) return failure("index", s.message());
  uint64_t dropped = 0, files = 0, members = 0, volume_count = 0;
  for (const auto& v : volumes) {
    bool present = std::any_of(cartridges.begin(), cartridges.end(), [&](const Cartridge& c) { return c.volser == v.volser; });
    if (!present) {
      if (Status s = catalog->delete_volume(v.volser); !s.is_ok()) return failure("index", s.message());
      (void)catalog->add_event(v.volser, -1, "reconcile", "dropped from the catalog: the cartridge is gone");
      ++dropped;
      continue;
    }
    ++volume_count;
    files += v.tape_files;
    std::vector<TapeFileRow> rows;
    if (Status s = catalog->files(v.volser, &rows); !s.is_ok()) return failure("index", s.message());
    for (const auto& r : rows) members += r.member_count;
  }
  fmt::print("catalog rebuilt: {} volume{}, {} tape file{}, {} member{}", volume_count, volume_count == 1 ? "" : "s",
             files, files == 1 ? "" : "s", members, members == 1 ? "" : "s");
  if (dropped > 0) fmt::print("; dropped {} volume{} whose cartridge is gone", dropped, dropped == 1 ? "" : "s");
  if (failed > 0) fmt::print("; {} cartridge{} could not be indexed", failed, failed == 1 ? "" : "s");
  fmt::print("\n");
  return failed == 0 ? kExitOk : kExitFailure;
}

std::string check_index(const CommandLine& cl) {
  const std::string& what = cl.positional()[0];
  if (what == "check") return "";
  if (what == "rebuild") return cl.has("--json") ? "--json is for 'index check'" : "";
  return fmt::format("unknown index command '{}' (check, rebuild)", what);
}

int run_index(CommandContext& ctx) {
  if (ctx.positional()[0] == "check") return run_check(std::move(ctx.library), ctx.json);
  return run_rebuild(std::move(ctx.library));
}

}  // namespace

const CommandSpec kIndexCommand{
    .name = "index",
    .summary = "check the catalog against the images, or rebuild it",
    .usage = "vtape index check|rebuild [--json] [--library DIR]",
    .help = kHelp,
    .flags = {"--json"},
    .options = {"--library"},
    .min_positional = 1,
    .max_positional = 1,
    .positional_error = "check or rebuild is needed",
    .opens = Opens::kLibrary,
    .check = check_index,
    .run = run_index,
};

}  // namespace vtape
