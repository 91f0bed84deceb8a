// The one preamble every vtape command runs through (tools/command_spec.h).

#include <algorithm>

#include <fmt/format.h>

#include "library/catalog_sync.h"
#include "tools/catalog_support.h"
#include "tools/command_spec.h"
#include "tools/tool_support.h"

namespace vtape {
namespace {

bool declares(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Opens what spec.opens names into the context; on failure prints why.
bool open_needed(const CommandSpec& spec, CommandContext& context) {
  const std::string name(context.name);
  if (spec.opens == Opens::kNothing) return true;
  if (spec.opens == Opens::kCatalog) {
    // open_existing_catalog opens (and so checks) the library first.
    if (!open_existing_catalog(name, context.library_dir(), &context.catalog)) return false;
    return true;
  }
  bool create = spec.opens == Opens::kNewLibrary || spec.opens == Opens::kNewLibraryCatalog;
  Status s = TapeLibrary::open(context.library_dir(), create, &context.library,
                               context.cl.value("--group").value_or(""));
  if (s.is_ok() && context.digest) context.library->use_digest(*context.digest);
  if (s.is_ok() && (spec.opens == Opens::kLibraryCatalog || spec.opens == Opens::kNewLibraryCatalog)) {
    s = open_library_catalog(*context.library, &context.catalog);
  }
  if (!s.is_ok()) {
    failure(name, s.message());
    return false;
  }
  return true;
}

int run_one(const CommandSpec& spec, const Args& args, std::string_view name);

int run_subcommand(const CommandSpec& spec, const Args& args) {
  const std::string name(spec.name);
  const std::string usage(spec.usage);
  std::vector<std::string> names;
  for (const auto& sub : spec.subcommands) names.emplace_back(sub.name);
  if (args.empty()) {
    std::string last = names.back();
    names.pop_back();
    return usage_error(name, fmt::format("a subcommand is missing: {} or {}", fmt::join(names, ", "), last), usage);
  }
  if (args[0] == "--help" || args[0] == "-h") {
    fmt::print("usage: {}\n{}", spec.usage, spec.help);
    return kExitOk;
  }
  for (const auto& sub : spec.subcommands) {
    // Messages name the command ("vtape spool: ..."), not the subcommand.
    if (sub.name == args[0]) return run_one(sub, Args(args.begin() + 1, args.end()), spec.name);
  }
  return usage_error(name, fmt::format("unknown subcommand '{}' ({})", args[0], fmt::join(names, ", ")), usage);
}

}  // namespace

std::string CommandContext::library_dir() const { return library_dir_option(cl); }

int CommandContext::usage_error(const std::string& message) const {
  return vtape::usage_error(std::string(name), message, std::string(usage));
}

int CommandContext::failure(const std::string& message) const { return vtape::failure(std::string(name), message); }

std::vector<std::string> concat(std::initializer_list<std::vector<std::string>> lists) {
  std::vector<std::string> all;
  for (const auto& l : lists) all.insert(all.end(), l.begin(), l.end());
  return all;
}

int run_command(const CommandSpec& spec, const Args& args) {
  if (!spec.subcommands.empty()) return run_subcommand(spec, args);
  return run_one(spec, args, spec.name);
}

namespace {

int run_one(const CommandSpec& spec, const Args& args, std::string_view name) {
  CommandLine cl;
  cl.flag("--help");
  for (const auto& f : spec.flags) cl.flag(f);
  for (const auto& o : spec.options) cl.option(o);
  CommandContext context{name, spec.usage, cl};
  if (!cl.parse(args)) return context.usage_error(cl.error());
  if (cl.has("--help")) {
    fmt::print("usage: {}\n{}", spec.usage, spec.help);
    return kExitOk;
  }
  size_t n = cl.positional().size();
  if (n < spec.min_positional || n > spec.max_positional) {
    return context.usage_error(std::string(spec.positional_error));
  }
  if (declares(spec.options, "--format")) {
    std::string err;
    if (!format_option(cl, "--format", &context.format, &err)) return context.usage_error(err);
  }
  if (auto text = declares(spec.options, "--digest") ? cl.value("--digest") : std::nullopt) {
    context.digest = parse_digest_name(*text);
    if (!context.digest) {
      return context.usage_error(fmt::format("--digest takes {}, not '{}'", kDigestNames, *text));
    }
  }
  if (spec.check != nullptr) {
    if (std::string message = spec.check(cl); !message.empty()) return context.usage_error(message);
  }
  context.json = cl.has("--json");
  if (!open_needed(spec, context)) return kExitFailure;
  return spec.run(context);
}

}  // namespace

std::span<const CommandSpec* const> all_commands() {
  static const CommandSpec* const kAll[] = {
      &kInfoCommand,  &kDumpCommand,   &kVerifyCommand,    &kConvertCommand, &kWriteCommand, &kNewCommand,
      &kDfCommand, &kMigrateCommand, &kSnapshotCommand,
      &kLoadCommand,  &kUnloadCommand, &kProtectCommand,   &kUnprotectCommand, &kStatusCommand, &kChangerCommand, &kMtxCommand, &kLsCommand,
      &kFindCommand,  &kIndexCommand,  &kImportCommand,    &kRestoreCommand, &kSpoolCommand,
      &kEventsCommand, &kRmCommand, &kRmtCommand, &kSendCommand, &kReceiveCommand,
  };
  return kAll;
}

}  // namespace vtape
