// Parses one subcommand's arguments: options declared up front (flags, and
// options that take a value, as --name VALUE or --name=VALUE), the rest
// positional.  Anything undeclared is a usage error, reported by message.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace vtape {

class CommandLine {
 public:
  CommandLine& flag(const std::string& name);
  CommandLine& option(const std::string& name);

  // False on a usage error; error() says what.
  bool parse(const std::vector<std::string>& args);

  bool has(const std::string& name) const;
  std::optional<std::string> value(const std::string& name) const;
  // Every value an option was given, in order (value() is the last).
  std::vector<std::string> values(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  const std::string& error() const { return error_; }

 private:
  std::set<std::string> flags_;
  std::set<std::string> options_;
  std::set<std::string> seen_flags_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
  std::vector<std::string> positional_;
  std::string error_;
};

// "64K", "1M", "10240": a size in bytes with an optional K/M/G (binary) suffix.
std::optional<uint64_t> parse_size(const std::string& text);

// --max-rate RATE (vtape snapshot, vtape migrate): bytes a second, written
// as parse_size reads a size ("50M"); 0 when not given.  The usage error
// when RATE is not one or is under the floor of 1M (kMinCopyRate), else
// empty.
std::string max_rate_error(const CommandLine& cl);
uint64_t max_rate_of(const CommandLine& cl);

}  // namespace vtape
