// vtape: the command line for tape images (and, later, the vtapefs library).
// Subcommands come from one table; each has --help.

#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "tools/commands.h"

namespace {

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(const vtape::Args&);
};

constexpr Command kCommands[] = {
    {"info", "detected format, size, tape files and labels of an image", vtape::run_info},
    {"dump", "list the structure of an image: files, records, sizes", vtape::run_dump},
    {"verify", "check the whole structure of an image; --salvage reads past damage", vtape::run_verify},
    {"convert", "copy an image into another format, record for record", vtape::run_convert},
    {"write", "write files (or standard input) to an image as tape files", vtape::run_write},
    {"new", "create a cartridge in the library", vtape::run_new},
    {"load", "load a cartridge into a drive", vtape::run_load},
    {"unload", "take the cartridge out of a drive", vtape::run_unload},
    {"protect", "write-protect a cartridge", vtape::run_protect},
    {"unprotect", "allow writing to a cartridge again", vtape::run_unprotect},
    {"status", "drives of the running vtapefs: cartridge, position, status", vtape::run_status},
    {"ls", "what the catalog knows: volumes, their tape files, members", vtape::run_ls},
    {"find", "find archived files in the catalog by name (glob)", vtape::run_find},
    {"index", "check the catalog against the images, or rebuild it", vtape::run_index},
    {"import", "make tape images from elsewhere cartridges of the library", vtape::run_import},
    {"restore", "replay images, tape files or members onto a drive, an image, a pipe or a directory",
     vtape::run_restore},
    {"spool", "spool files: list, dump, load, scan, adduser (SPXTAPE style)", vtape::run_spool},
};

void print_help() {
  fmt::print("usage: vtape COMMAND [ARGS...]\n\ncommands:\n");
  for (const auto& c : kCommands) fmt::print("  {:<9} {}\n", c.name, c.summary);
  fmt::print("\n'vtape COMMAND --help' describes one command; see also vtape(1), vtape-formats(5),\n"
             "vtape-catalog(5).\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    print_help();
    return argc < 2 ? vtape::kExitUsage : vtape::kExitOk;
  }
  if (std::strcmp(argv[1], "--version") == 0) {
    fmt::print("vtape {}\n", VTAPE_VERSION);
    return vtape::kExitOk;
  }
  vtape::Args args(argv + 2, argv + argc);
  for (const auto& c : kCommands) {
    if (c.name == argv[1]) return c.run(args);
  }
  fmt::print(stderr, "vtape: unknown command '{}'; 'vtape --help' lists them\n", argv[1]);
  return vtape::kExitUsage;
}
