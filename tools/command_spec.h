// One vtape subcommand described as data: its name, usage line, help text,
// options, how many positional arguments it takes, what it needs opened
// (the library, its catalog) and the function that does the work.  One
// preamble (run_command, tools/command_runner.cc) runs every command the
// same way:
//
//   parse the options            usage error (exit 2) naming the bad option
//   --help                       "usage: USAGE\nHELP", exit 0
//   positional count             usage error with positional_error
//   --format FMT (if declared)   usage error naming the unknown format
//   --digest ALG (if declared)   usage error naming the unknown algorithm
//   check(...)                   the command's own argument checks
//   open what `opens` says       failure (exit 1) saying why
//   run(context)
//
// So a usage error never waits for a library to be opened, and no command
// opens the library its own way.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "index/catalog.h"
#include "library/tape_library.h"
#include "tapeformat/tape_image.h"
#include "tools/command_line.h"
#include "tools/commands.h"

namespace vtape {

// What the preamble opens before run().  The library is --library DIR, else
// $VTAPE_LIBRARY, else the default; a library others can write is refused.
enum class Opens {
  kNothing,
  kLibrary,             // the library, which must exist
  kNewLibrary,          // the library, made when missing (--group G, if declared, for a new one)
  kCatalog,             // the library and its catalog, both of which must exist (ls and find never make one)
  kLibraryCatalog,      // the library, which must exist, and its catalog, made when missing
  kNewLibraryCatalog,   // the library and its catalog, either made when missing
};

// What run() gets: the parsed command line and what the preamble opened.
struct CommandContext {
  std::string_view name;  // for messages: "vtape NAME: ..."
  std::string_view usage;
  const CommandLine& cl;
  std::optional<Format> format = {};  // --format, when the command declares it and it was given
  // --digest, when declared and given: the library opened here digests
  // what this command catalogs with it (TapeLibrary::use_digest).
  std::optional<DigestAlgorithm> digest = {};
  bool json = false;             // --json
  std::unique_ptr<TapeLibrary> library = {};  // with Opens::kLibrary and the others
  std::unique_ptr<Catalog> catalog = {};      // with Opens::kCatalog, kLibraryCatalog, kNewLibraryCatalog

  const std::vector<std::string>& positional() const { return cl.positional(); }
  // The library directory the command names (--library DIR, else the default).
  std::string library_dir() const;
  // "vtape NAME: MESSAGE" and the usage line on stderr; kExitUsage.
  int usage_error(const std::string& message) const;
  // "vtape NAME: MESSAGE" on stderr; kExitFailure.
  int failure(const std::string& message) const;
};

struct CommandSpec {
  static constexpr size_t kAny = std::numeric_limits<size_t>::max();

  std::string_view name = {};
  std::string_view summary = {};   // one line for 'vtape --help'
  std::string_view usage = {};  // after "usage: "
  std::string_view help = {};   // after the usage line for --help; ends with a newline
  // A command of subcommands (vtape spool list|dump|...): the first argument
  // names one of these, each run by the same preamble and each naming the
  // command in its messages.  The rest of this spec is then unused.
  std::span<const CommandSpec> subcommands = {};
  std::vector<std::string> flags = {};    // --help is always declared
  std::vector<std::string> options = {};  // options that take a value
  size_t min_positional = 0;
  size_t max_positional = kAny;
  std::string_view positional_error = {};  // the usage error when their number is wrong
  Opens opens = Opens::kNothing;
  // The command's own argument checks, before anything is opened: a
  // message is a usage error.  May be empty.
  std::string (*check)(const CommandLine& cl) = nullptr;
  int (*run)(CommandContext& context) = nullptr;
};

// The preamble above, then spec.run.  Returns the exit status.
int run_command(const CommandSpec& spec, const Args& args);

// Every vtape command, in the order 'vtape --help' lists them.
std::span<const CommandSpec* const> all_commands();

// The specs, one per cmd_*.cc file.
extern const CommandSpec kInfoCommand, kDumpCommand, kVerifyCommand, kConvertCommand, kWriteCommand;
extern const CommandSpec kDfCommand, kMigrateCommand, kSnapshotCommand;
extern const CommandSpec kNewCommand, kLoadCommand, kUnloadCommand, kProtectCommand, kUnprotectCommand,
    kStatusCommand, kChangerCommand, kMtxCommand;
extern const CommandSpec kLsCommand, kFindCommand, kIndexCommand, kImportCommand, kRestoreCommand,
    kSpoolCommand, kEventsCommand, kRmCommand, kRmtCommand, kSendCommand, kReceiveCommand;

// Lists of option names put together, for a spec's flags and options.
std::vector<std::string> concat(std::initializer_list<std::vector<std::string>> lists);

}  // namespace vtape
