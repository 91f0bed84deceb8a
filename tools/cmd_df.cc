// vtape df: how full the cartridges are and whether the file system under
// the library can hold them, for capacity planning.  A cartridge's use is
// its image's size, which is what its capacity and early warning count
// (library/tape_library.h); the file system's free space is what an
// unprivileged writer can still get (statvfs f_bavail).
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "tapeformat/base/json_writer.h"
#include "tapeformat/format_table.h"
#include "tools/command_spec.h"
#include "tools/progress.h"

namespace vtape {
namespace {

constexpr std::string_view kHelp =
    "Lists every cartridge of the library with its format, the bytes its image\n"
    "holds and its capacity, those past early warning, totals per format and in\n"
    "all, and the free space of the file system the library is on.  When the\n"
    "cartridges could together grow by more than that free space, says so: the\n"
    "file system would fill before the cartridges do.\n"
    "  --json  one JSON document (man/vtape.1, vtape df)\n";

struct CartridgeUse {
  const Cartridge* cartridge = nullptr;
  uint64_t used = 0;     // the image's size
  uint64_t on_disk = 0;  // blocks the image takes on the file system
  bool past_early_warning = false;
  uint64_t room() const { return cartridge->capacity > used ? cartridge->capacity - used : 0; }
};

struct Totals {
  uint64_t cartridges = 0, used = 0, on_disk = 0, capacity = 0, room = 0;
  void add(const CartridgeUse& u) {
    ++cartridges;
    used += u.used;
    on_disk += u.on_disk;
    capacity += u.cartridge->capacity;
    room += u.room();
  }
};

struct FileSystemSpace {
  uint64_t size = 0, free = 0;
};

Status measure(const Cartridge& c, CartridgeUse* out) {
  struct stat st {};
  out->cartridge = &c;
  if (::stat(c.image_path.c_str(), &st) != 0) {
    return Status::io_error(fmt::format("{}: cannot stat its image {}", c.volser, c.image_path), errno);
  }
  out->used = static_cast<uint64_t>(st.st_size);
  out->on_disk = static_cast<uint64_t>(st.st_blocks) * 512;
  out->past_early_warning = out->used >= early_warning_offset(c.capacity);
  return Status::ok();
}

void totals_json(JsonWriter& j, const Totals& t) {
  j.field("cartridges", t.cartridges).field("used", t.used).field("on_disk", t.on_disk);
  j.field("capacity", t.capacity).field("room", t.room);
}

void print_json(const std::string& dir, const std::vector<CartridgeUse>& uses, const std::map<Format, Totals>& by_format,
                const Totals& all, const FileSystemSpace& fs) {
  JsonWriter j;
  j.begin_object().field("library", dir).key("cartridges").begin_array();
  for (const CartridgeUse& u : uses) {
    j.begin_object().field("volser", u.cartridge->volser).field("format", format_name(u.cartridge->format));
    j.field("used", u.used).field("on_disk", u.on_disk).field("capacity", u.cartridge->capacity);
    j.field("early_warning_at", early_warning_offset(u.cartridge->capacity));
    j.field("past_early_warning", u.past_early_warning).field("write_protected", u.cartridge->write_protected);
    j.end_object();
  }
  j.end_array().key("formats").begin_array();
  for (const auto& [format, t] : by_format) {
    j.begin_object().field("format", format_name(format));
    totals_json(j, t);
    j.end_object();
  }
  j.end_array().key("total").begin_object();
  totals_json(j, all);
  j.end_object();
  j.key("file_system").begin_object().field("size", fs.size).field("free", fs.free).end_object();
  j.field("overcommitted", all.room > fs.free).end_object();
  fmt::print("{}\n", j.str());
}

std::string percent(uint64_t used, uint64_t capacity) {
  if (capacity == 0) return "-";
  return fmt::format("{}%", std::min<uint64_t>(999, used * 100 / capacity));
}

std::string count(uint64_t n) { return fmt::format("{} cartridge{}", n, n == 1 ? "" : "s"); }

void print_text(const std::string& dir, const std::vector<CartridgeUse>& uses,
                const std::map<Format, Totals>& by_format, const Totals& all, const FileSystemSpace& fs) {
  fmt::print("{:<8} {:<6} {:>10} {:>10} {:>5}\n", "VOLSER", "FORMAT", "USED", "CAPACITY", "USE");
  for (const CartridgeUse& u : uses) {
    fmt::print("{:<8} {:<6} {:>10} {:>10} {:>5}{}\n", u.cartridge->volser, format_name(u.cartridge->format),
               human_bytes(u.used), human_bytes(u.cartridge->capacity), percent(u.used, u.cartridge->capacity),
               u.past_early_warning ? "  past early warning" : "");
  }
  for (const auto& [format, t] : by_format) {
    fmt::print("{:<6} {:<14} {} used of {}\n", format_name(format), count(t.cartridges), human_bytes(t.used),
               human_bytes(t.capacity));
  }
  fmt::print("total  {:<14} {} used of {}; {} on disk\n", count(all.cartridges), human_bytes(all.used),
             human_bytes(all.capacity), human_bytes(all.on_disk));
  fmt::print("file system of {}: {} free of {}\n", dir, human_bytes(fs.free), human_bytes(fs.size));
  if (all.room > fs.free) {
    fmt::print("the cartridges can grow by {}, more than the {} free: the file system fills before they do\n",
               human_bytes(all.room), human_bytes(fs.free));
  }
}

int run_df(CommandContext& ctx) {
  const std::string& dir = ctx.library->dir();
  std::vector<Cartridge> cartridges = ctx.library->list();
  std::vector<CartridgeUse> uses(cartridges.size());
  std::map<Format, Totals> by_format;
  Totals all;
  for (size_t i = 0; i < cartridges.size(); ++i) {
    if (Status s = measure(cartridges[i], &uses[i]); !s.is_ok()) return ctx.failure(s.message());
    by_format[cartridges[i].format].add(uses[i]);
    all.add(uses[i]);
  }
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) {
    return ctx.failure(fmt::format("cannot read the free space of {}: {}", dir, std::strerror(errno)));
  }
  FileSystemSpace fs{static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize, static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize};
  if (ctx.json) {
    print_json(dir, uses, by_format, all, fs);
  } else {
    print_text(dir, uses, by_format, all, fs);
  }
  return kExitOk;
}

}  // namespace

const CommandSpec kDfCommand{
    .name = "df",
    .summary = "cartridges' use and capacity, and the free space under the library",
    .usage = "vtape df [--json] [--library DIR]",
    .help = kHelp,
    .flags = {"--json"},
    .options = {"--library"},
    .max_positional = 0,
    .positional_error = "no arguments are taken",
    .opens = Opens::kLibrary,
    .run = run_df,
};

}  // namespace vtape
