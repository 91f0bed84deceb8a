// Cartridges and drives: vtape new, load, unload, protect, unprotect, status.
// load/unload/status talk to the running vtapefs through its control socket;
// with no daemon running, load and unload record the change in the library
// so the next mount starts with it.

#include <fmt/format.h>

#include "library/catalog_sync.h"
#include "library/control_protocol.h"
#include "library/drive_status_json.h"
#include "library/tape_library.h"
#include "tapeformat/format_table.h"
#include "tools/catalog_support.h"
#include "tools/commands.h"
#include "tools/progress.h"
#include "tools/tool_support.h"

namespace vtape {
namespace {

bool open_library(const std::string& command, const CommandLine& cl, bool create,
                  std::unique_ptr<TapeLibrary>* lib) {
  std::string dir = cl.value("--library").value_or(TapeLibrary::default_dir());
  Status s = TapeLibrary::open(dir, create, lib, cl.value("--group").value_or(""));  // only vtape new has --group
  if (!s.is_ok()) {
    failure(command, s.message());
    return false;
  }
  return true;
}

// Parses the arguments common to these commands; returns -1 to go on, else
// the exit status to return.
int parse(const std::string& command, const Args& args, const char* usage, const char* help,
          size_t positionals, CommandLine& cl) {
  cl.flag("--help").option("--library");
  if (!cl.parse(args)) return usage_error(command, cl.error(), usage);
  if (cl.has("--help")) {
    fmt::print("usage: {}\n{}", usage, help);
    return kExitOk;
  }
  if (cl.positional().size() != positionals) return usage_error(command, "wrong number of arguments", usage);
  return -1;
}

std::optional<int> drive_number(const std::string& text) {
  if (text.empty() || text.size() > 3 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoi(text);
}

}  // namespace

int run_new(const Args& args) {
  const std::string usage = fmt::format(
      "vtape new VOLSER [--format {}] [--capacity SIZE] [--library DIR] [--group G]", format_names("|", true));
  const char* kUsage = usage.c_str();
  CommandLine cl;
  cl.option("--format").option("--capacity").option("--group");
  if (int rc = parse("new", args, kUsage,
                     "Creates an empty cartridge (a tape image) in the library. SIZE takes K, M, G.\n"
                     "A library made here is only its owner's (0700), or shared with group G (02770).\n",
                     1, cl);
      rc >= 0) {
    return rc;
  }
  std::optional<Format> format;
  std::string err;
  if (!format_option(cl, "--format", &format, &err)) return usage_error("new", err, kUsage);
  uint64_t capacity = kDefaultCapacity;
  if (auto v = cl.value("--capacity")) {
    auto n = parse_size(*v);
    if (!n || *n < 64 * 1024) return usage_error("new", fmt::format("--capacity takes a size of at least 64K, not '{}'", *v), kUsage);
    capacity = *n;
  }
  std::unique_ptr<TapeLibrary> lib;
  if (!open_library("new", cl, true, &lib)) return kExitFailure;
  Cartridge c;
  Status s = lib->create_cartridge(cl.positional()[0], format.value_or(Format::kSimh), capacity, &c);
  if (!s.is_ok()) return failure("new", s.message());
  fmt::print("{}: new {} cartridge, capacity {}, image {}\n", c.volser, format_name(c.format),
             human_bytes(c.capacity), c.image_path);
  catalog_new_cartridge(*lib, c);
  return kExitOk;
}

int run_load(const Args& args) {
  constexpr const char* kUsage = "vtape load DRIVE VOLSER [--library DIR]";
  CommandLine cl;
  if (int rc = parse("load", args, kUsage, "Loads a cartridge into a drive of the running vtapefs.\n", 2, cl); rc >= 0) {
    return rc;
  }
  auto drive = drive_number(cl.positional()[0]);
  if (!drive) return usage_error("load", fmt::format("'{}' is not a drive number", cl.positional()[0]), kUsage);
  std::unique_ptr<TapeLibrary> lib;
  if (!open_library("load", cl, false, &lib)) return kExitFailure;
  Cartridge c;
  if (Status s = lib->find(cl.positional()[1], &c); !s.is_ok()) return failure("load", s.message());
  std::string payload;
  Status s = control_request(lib->socket_path(), fmt::format("load {} {}", *drive, c.volser), &payload);
  if (s.code() == StatusCode::kNotFound) {
    auto loaded = lib->loaded();
    if (loaded.count(*drive) != 0) {
      return failure("load", fmt::format("drive {} already holds {}; unload it first", *drive, loaded[*drive]));
    }
    for (const auto& [d, v] : loaded) {
      if (v == c.volser) return failure("load", fmt::format("{} is already in drive {}", c.volser, d));
    }
    s = lib->set_loaded(*drive, c.volser);
    if (s.is_ok()) fmt::print("{} will be in drive {} when vtapefs mounts this library\n", c.volser, *drive);
  } else if (s.is_ok()) {
    fmt::print("{} loaded in drive {}\n", c.volser, *drive);
  }
  return s.is_ok() ? kExitOk : failure("load", s.message());
}

int run_unload(const Args& args) {
  constexpr const char* kUsage = "vtape unload DRIVE [--library DIR]";
  CommandLine cl;
  if (int rc = parse("unload", args, kUsage, "Takes the cartridge out of a drive.\n", 1, cl); rc >= 0) return rc;
  auto drive = drive_number(cl.positional()[0]);
  if (!drive) return usage_error("unload", fmt::format("'{}' is not a drive number", cl.positional()[0]), kUsage);
  std::unique_ptr<TapeLibrary> lib;
  if (!open_library("unload", cl, false, &lib)) return kExitFailure;
  std::string payload;
  Status s = control_request(lib->socket_path(), fmt::format("unload {}", *drive), &payload);
  if (s.code() == StatusCode::kNotFound) {
    if (lib->loaded().count(*drive) == 0) return failure("unload", fmt::format("drive {} is empty", *drive));
    s = lib->set_loaded(*drive, std::nullopt);
  }
  if (!s.is_ok()) return failure("unload", s.message());
  fmt::print("drive {} unloaded\n", *drive);
  return kExitOk;
}

static int set_protection(const std::string& command, const Args& args, bool on) {
  std::string usage = fmt::format("vtape {} VOLSER [--library DIR]", command);
  CommandLine cl;
  if (int rc = parse(command, args, usage.c_str(),
                     on ? "Write-protects a cartridge.\n" : "Allows writing to a cartridge again.\n", 1, cl);
      rc >= 0) {
    return rc;
  }
  std::unique_ptr<TapeLibrary> lib;
  if (!open_library(command, cl, false, &lib)) return kExitFailure;
  Cartridge c;
  if (Status s = lib->find(cl.positional()[0], &c); !s.is_ok()) return failure(command, s.message());
  std::string payload;
  Status s = control_request(lib->socket_path(), fmt::format("protect {} {}", c.volser, on ? 1 : 0), &payload);
  if (s.code() == StatusCode::kNotFound) {
    // No daemon: the library file and the catalog are updated here.
    s = lib->set_protected(c.volser, on);
    std::unique_ptr<Catalog> catalog;
    if (s.is_ok() && lib->find(c.volser, &c).is_ok() && Catalog::open(lib->catalog_path(), &catalog).is_ok()) {
      s = catalog->upsert_volume(volume_row(c));
    }
  }
  if (!s.is_ok()) return failure(command, s.message());
  fmt::print("{} is {}\n", c.volser, on ? "write-protected" : "writable");
  return kExitOk;
}

int run_protect(const Args& args) { return set_protection("protect", args, true); }
int run_unprotect(const Args& args) { return set_protection("unprotect", args, false); }

int run_status(const Args& args) {
  constexpr const char* kUsage = "vtape status [DRIVE] [--json] [--library DIR]";
  CommandLine cl;
  cl.flag("--json").flag("--help").option("--library");
  if (!cl.parse(args)) return usage_error("status", cl.error(), kUsage);
  if (cl.has("--help")) {
    fmt::print("usage: {}\nShows each drive of the running vtapefs: cartridge, position, status bits.\n", kUsage);
    return kExitOk;
  }
  if (cl.positional().size() > 1) return usage_error("status", "one DRIVE at most", kUsage);
  std::optional<int> only;
  if (cl.positional().size() == 1) {
    only = drive_number(cl.positional()[0]);
    if (!only) return usage_error("status", fmt::format("'{}' is not a drive number", cl.positional()[0]), kUsage);
  }
  std::unique_ptr<TapeLibrary> lib;
  if (!open_library("status", cl, false, &lib)) return kExitFailure;
  std::string payload;
  std::string request = fmt::format("status {}{}", cl.has("--json") ? "json" : "text",
                                    only ? fmt::format(" {}", *only) : "");
  Status s = control_request(lib->socket_path(), request, &payload);
  if (!s.is_ok()) return failure("status", s.message());
  fmt::print("{}", payload);
  return kExitOk;
}

}  // namespace vtape
