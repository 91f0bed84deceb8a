// vtape import: brings tape images made elsewhere (SIMH, E11, MTD,
// Hercules AWS and HET, TPC) into a library as cartridges.
//
// For each IMAGE: the format is detected from its content (--format
// overrides); the volume serial is --volser (one IMAGE only), else the
// VOL1 label's, else the file name's stem when that is a volume serial;
// an existing cartridge of that serial is never replaced.  The image is
// copied (--move: moved) to DIR/cartridges/VOLSER.EXT, then its description
// DIR/cartridges/VOLSER.cartridge is written in the library's "key value"
// form (format, capacity, protected, created; the same lines TapeLibrary
// writes, replaced atomically), last, so the cartridge appears whole or not
// at all.  TPC images, a read-only format, are write-protected.  Then the
// image is indexed into the catalog.  A running vtapefs sees the new
// cartridge at once (vtape load).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "library/tape_library.h"
#include "index/catalog.h"
#include "index/tape_labels.h"
#include "tapeformat/base/json_writer.h"
#include "library/catalog_sync.h"
#include "tools/catalog_support.h"
#include "tools/command_spec.h"
#include "tools/member_names.h"
#include "tools/progress.h"
#include "tools/tool_support.h"

namespace vtape {
namespace {

constexpr const char* kHelp =
    "Makes each IMAGE (SIMH, E11, MTD, AWS, HET or TPC) a cartridge of the library\n"
    "and adds it to the catalog.  The volume serial is --volser (for one IMAGE),\n"
    "else the one in the image's VOL1 label, else the file name without its\n"
    "extension if that is 1 to 6 letters or digits.  The image is copied (--move:\n"
    "moved) into the library; an existing cartridge is never replaced.  SIZE\n"
    "(K, M, G) is the capacity (default 10G, or the image's size if larger).\n"
    "TPC images are write-protected: that format can only be read.  The catalog\n"
    "keeps a digest of each tape file: --digest xxh3-128|sha256, else the\n"
    "library's setting (vtapefs --digest; xxh3-128 when none).\n";

// Copies `from` to a new file `to` (which must not exist), syncs it and
// gives it the source's modification time.
Status copy_file(const std::string& from, const std::string& to, uint64_t size) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Status::io_error(fmt::format("cannot open {}", from), errno);
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);  // the library widens it
  if (out < 0) {
    int e = errno;
    ::close(in);
    return Status::io_error(fmt::format("cannot create {}", to), e);
  }
  Status s;
  Progress progress("copying", size);
  std::vector<char> buf(1 << 20);
  uint64_t done = 0;
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      s = Status::io_error(fmt::format("cannot read {}", from), errno);
      break;
    }
    if (n == 0) break;
    size_t put = 0;
    while (put < static_cast<size_t>(n)) {
      ssize_t w = ::write(out, buf.data() + put, static_cast<size_t>(n) - put);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        s = errno == ENOSPC ? Status::no_space(fmt::format("{}: the file system is full", to))
                            : Status::io_error(fmt::format("cannot write {}", to), errno);
        break;
      }
      put += static_cast<size_t>(w);
    }
    if (!s.is_ok()) break;
    done += static_cast<uint64_t>(n);
    progress.update(done);
  }
  progress.finish();
  struct stat st {};
  if (s.is_ok() && fstat(in, &st) == 0) {
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    (void)futimens(out, times);
  }
  if (s.is_ok() && fsync(out) != 0) s = Status::io_error(fmt::format("cannot sync {}", to), errno);
  if (::close(out) != 0 && s.is_ok()) s = Status::io_error(fmt::format("cannot write {}", to), errno);
  ::close(in);
  if (!s.is_ok()) ::unlink(to.c_str());
  return s;
}

// Puts the image at `target` (which must not exist): moved by a hard link
// when asked and on the same file system, else copied.
Status place_image(const std::string& source, const std::string& target, bool move, uint64_t size) {
  if (move) {
    if (::link(source.c_str(), target.c_str()) == 0) {
      if (::unlink(source.c_str()) != 0) {
        int e = errno;
        ::unlink(target.c_str());
        return Status::io_error(fmt::format("cannot remove {}", source), e);
      }
      return Status::ok();
    }
    if (errno == EEXIST) return Status::invalid_argument(fmt::format("{} exists already", target));
    // Another file system (EXDEV), or no hard links there: copy, then remove.
  }
  std::string tmp = target + ".importing";
  ::unlink(tmp.c_str());  // left over from an import that was interrupted
  VTAPE_RETURN_IF_ERROR(copy_file(source, tmp, size));
  if (::link(tmp.c_str(), target.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    if (e == EEXIST) return Status::invalid_argument(fmt::format("{} exists already", target));
    return Status::io_error(fmt::format("cannot create {}", target), e);
  }
  ::unlink(tmp.c_str());
  if (move && ::unlink(source.c_str()) != 0) {
    return Status::io_error(fmt::format("copied to {}, but cannot remove {}", target, source), errno);
  }
  return Status::ok();
}

struct Options {
  std::optional<std::string> volser;
  std::optional<Format> format;
  std::optional<uint64_t> capacity;
  bool move = false;
};

// Imports one image; prints what it did (or, given `json`, adds it there as
// an object) or why not.  True on success.
bool import_one(TapeLibrary& lib, Catalog* catalog, const std::string& path, const Options& o, JsonWriter* json) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    failure("import", Status::io_error(fmt::format("cannot open {}", path), errno).message());
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    failure("import", fmt::format("{} is not a regular file", path));
    return false;
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  std::unique_ptr<TapeImage> image;
  if (!open_for_reading("import", path, o.format, &image)) return false;
  Format format = image->format();
  // A VOL1 label is the tape's first record.
  std::string label_volser, label_owner;
  {
    TapeObject obj;
    std::vector<uint8_t> data;
    if (image->read(&obj, &data).is_ok() && obj.kind == ObjectKind::kRecord) {
      if (auto label = parse_tape_label(data); label && label->id == "VOL1") {
        label_volser = label->volser;
        label_owner = label->owner;
      }
    }
  }
  image.reset();

  std::optional<std::string> volser;
  std::string source_of_volser;
  if (o.volser) {
    volser = o.volser;
    source_of_volser = "--volser";
  } else if (auto v = normalize_volser(label_volser)) {
    volser = v;
    source_of_volser = "the VOL1 label";
  } else {
    std::string stem = std::filesystem::path(path).stem().string();
    if (auto s = normalize_volser(stem)) {
      volser = s;
      source_of_volser = "the file name";
    } else {
      failure("import", fmt::format("{}: cannot tell its volume serial: {}, and '{}' is not one (1 to 6 letters or "
                                    "digits); give one with --volser",
                                    path,
                                    label_volser.empty()
                                        ? std::string("it has no VOL1 label")
                                        : fmt::format("its VOL1 label's '{}' is not a volume serial",
                                                      escape_member_name(label_volser)),
                                    escape_member_name(stem)));
      return false;
    }
  }
  Cartridge existing;
  if (lib.find(*volser, &existing).is_ok()) {
    failure("import", fmt::format("{}: cartridge {} (from {}) already exists in {}; --volser gives another", path,
                                  *volser, source_of_volser, lib.dir()));
    return false;
  }
  uint64_t capacity = std::max(kDefaultCapacity, size);
  if (o.capacity) {
    if (*o.capacity < size) {
      failure("import", fmt::format("{}: --capacity {} is smaller than the image ({} bytes)", path,
                                    human_bytes(*o.capacity), size));
      return false;
    }
    capacity = *o.capacity;
  }
  bool is_protected = !format_is_writable(format);
  std::string target = lib.cartridges_dir() + "/" + *volser + library_extension(format);
  if (Status s = place_image(path, target, o.move, size); !s.is_ok()) {
    failure("import", fmt::format("{}: {}", path, s.message()));
    return false;
  }
  // A moved image keeps the mode it had outside: it gets the library's.
  if (Status s = lib.adopt_file(target); !s.is_ok()) {
    failure("import", fmt::format("{}: {}", path, s.message()));
    return false;
  }
  std::string description = fmt::format("format {}\ncapacity {}\nprotected {}\ncreated {}\n", format_name(format),
                                        capacity, is_protected ? 1 : 0, catalog_now());
  if (Status s = write_file_atomically(lib.cartridges_dir() + "/" + *volser + ".cartridge", description,
                                      lib.file_mode());
      !s.is_ok()) {
    if (!o.move) ::unlink(target.c_str());
    failure("import", fmt::format("{}: {}", path, s.message()));
    return false;
  }
  Cartridge c;
  if (Status s = lib.find(*volser, &c); !s.is_ok()) {
    failure("import", s.message());
    return false;
  }
  std::string summary = fmt::format("{}: imported {} ({}{})", c.volser, path, format_name(format),
                                    is_protected ? ", write-protected" : "");
  if (catalog == nullptr) {
    if (json == nullptr) fmt::print("{}\n", summary);
    return false;  // the catalog could not be opened: said already
  }
  std::vector<DamagedRegion> damage;
  Status s = catalog_cartridge(*catalog, c, &damage);
  if (!s.is_ok()) {
    if (json == nullptr) fmt::print("{}\n", summary);
    failure("import", fmt::format("{}: the cartridge is in the library, but not in the catalog: {}; "
                                  "'vtape index rebuild' adds it",
                                  c.volser, s.message()));
    return false;
  }
  std::vector<VolumeRow> volumes;
  uint64_t files = 0, bytes = 0;
  if (catalog->volumes(&volumes).is_ok()) {
    for (const auto& v : volumes) {
      if (v.volser == c.volser) {
        files = v.tape_files;
        bytes = v.bytes;
      }
    }
  }
  if (json != nullptr) {
    json->begin_object().field("volser", c.volser).field("source", path).field("image", c.image_path);
    json->field("format", format_name(format)).field("write_protected", is_protected || !damage.empty());
    json->field("tape_files", files).field("bytes", bytes).field("label", label_volser).field("owner", label_owner);
    json->field("damaged", !damage.empty()).end_object();
  }
  std::string label = label_volser.empty() ? std::string("no label")
                                            : fmt::format("label {} owner '{}'", escape_member_name(label_volser),
                                                          escape_member_name(label_owner));
  if (json == nullptr) {
    fmt::print("{}, {} tape file{}, {} bytes, {}; image {}\n", summary, files, files == 1 ? "" : "s", bytes, label,
               c.image_path);
  }
  if (damage.empty()) return true;
  // The image is kept whole (what lies past the damage can still be
  // salvaged), but nothing may be written to it: writing at its end of
  // data would cut off everything after the damage.
  Status protect = lib.set_protected(c.volser, true);
  failure("import", fmt::format("{}: {} is damaged: {}{}; the catalog holds what was read around it, and "
                                "'vtape verify --salvage {}' lists every damaged region{}",
                                c.volser, path, damage.front().error.message(),
                                damage.size() > 1 ? fmt::format(" (and {} more damaged regions)", damage.size() - 1) : "",
                                c.image_path,
                                protect.is_ok() ? "; the cartridge is write-protected"
                                                : "; it could not be write-protected: " + protect.message()));
  return false;
}

// --volser and --capacity into `o`; a message when one is wrong.
std::string import_options(const CommandLine& cl, Options* o) {
  o->move = cl.has("--move");
  if (auto v = cl.value("--volser")) {
    if (cl.positional().size() != 1) return "--volser names one IMAGE only";
    o->volser = normalize_volser(*v);
    if (!o->volser) return fmt::format("'{}' is not a volume serial (1 to 6 letters or digits)", *v);
  }
  if (auto v = cl.value("--capacity")) {
    auto n = parse_size(*v);
    if (!n || *n < 64 * 1024) return fmt::format("--capacity takes a size of at least 64K, not '{}'", *v);
    o->capacity = n;
  }
  return "";
}

std::string check_import(const CommandLine& cl) {
  Options o;
  return import_options(cl, &o);
}

int run_import(CommandContext& ctx) {
  const CommandLine& cl = ctx.cl;
  Options o;
  (void)import_options(cl, &o);  // checked by check_import
  o.format = ctx.format;
  TapeLibrary* lib = ctx.library.get();
  // No catalog is a warning: the cartridges are made, and cataloged when
  // vtapefs mounts the library.
  std::unique_ptr<Catalog> catalog;
  if (Status s = open_library_catalog(*lib, &catalog); !s.is_ok()) {
    failure("import", s.message());
    catalog.reset();
  }
  int failed = 0;
  JsonWriter json;
  json.begin_object().key("imported").begin_array();
  for (const auto& path : cl.positional()) {
    if (!import_one(*lib, catalog.get(), path, o, ctx.json ? &json : nullptr)) ++failed;
  }
  json.end_array().field("failed", failed).end_object();
  if (ctx.json) fmt::print("{}\n", json.str());
  if (catalog) {
    if (Status s = catalog_unseen_cartridges(*catalog, *lib); !s.is_ok()) {
      fmt::print(stderr, "vtape import: warning: {}\n", s.message());
    }
  }
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace

const CommandSpec kImportCommand{
    .name = "import",
    .summary = "make tape images from elsewhere cartridges of the library",
    .usage = "vtape import IMAGE... [--volser V] [--move] [--capacity SIZE] [--format FMT] [--digest ALG] [--json]\n"
             "       [--library DIR]",
    .help = kHelp,
    .flags = {"--move", "--json"},
    .options = {"--library", "--volser", "--capacity", "--format", "--digest"},
    .min_positional = 1,
    .positional_error = "IMAGE is needed",
    .opens = Opens::kNewLibrary,
    .check = check_import,
    .run = run_import,
};

}  // namespace vtape
