// vtape: the command line for tape images and the vtapefs library.
// Every subcommand is a CommandSpec (tools/command_spec.h), run by one
// preamble; each has --help.

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "library/daemon_log.h"
#include "tapeformat/format_table.h"
#include "tools/catalog_support.h"
#include "tools/command_spec.h"
#include "tools/did_you_mean.h"

namespace {

void print_help() {
  fmt::print("usage: vtape [-C MOUNTPOINT] COMMAND [ARGS...]\n\ncommands:\n");
  for (const auto* c : vtape::all_commands()) fmt::print("  {:<9} {}\n", c->name, c->summary);
  fmt::print("\nformats (FMT): {} (written: {})\n", vtape::format_names(", "), vtape::format_names(", ", true));
  fmt::print("\n'vtape COMMAND --help' describes one command; see also vtape(1), vtape-formats(5),\n"
             "vtape-catalog(5).\n");
}

}  // namespace

int main(int argc, char** argv) {
  // What the core logs while a command drives it (restore --to-cartridge).
  vtape::set_log_sink(vtape::LogSink::kStderr, "vtape");
  // -C MNT: the library of the vtapefs mounted at MNT (or a path inside it).
  if (argc >= 2 && std::strcmp(argv[1], "-C") == 0) {
    if (argc < 3) {
      fmt::print(stderr, "vtape: -C needs a vtapefs mount point\n");
      return vtape::kExitUsage;
    }
    std::string error;
    auto library = vtape::library_of_mount(argv[2], &error);
    if (!library) {
      fmt::print(stderr, "vtape: -C {}\n", error);
      return vtape::kExitUsage;
    }
    ::setenv("VTAPE_LIBRARY", library->c_str(), 1);
    argv += 2;
    argc -= 2;
    argv[0] = argv[-2];
  }
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
  for (const auto* c : vtape::all_commands()) {
    if (c->name == argv[1]) return vtape::run_command(*c, args);
  }
  std::vector<std::string> names;
  for (const auto* c : vtape::all_commands()) names.emplace_back(c->name);
  std::string hint = vtape::did_you_mean(argv[1], names);
  fmt::print(stderr, "vtape: unknown command '{}'{}\n", argv[1],
             hint.empty() ? "; 'vtape --help' lists them" : hint);
  return vtape::kExitUsage;
}
