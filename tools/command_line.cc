#include "tools/command_line.h"

#include <cctype>

#include "library/copy_pace.h"
#include "tools/did_you_mean.h"

namespace vtape {

CommandLine& CommandLine::flag(const std::string& name) {
  flags_.insert(name);
  return *this;
}

CommandLine& CommandLine::option(const std::string& name) {
  options_.insert(name);
  return *this;
}

bool CommandLine::parse(const std::vector<std::string>& args) {
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_positional || a.size() < 2 || a[0] != '-' || a == "-") {
      positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    std::string name = a;
    std::optional<std::string> inline_value;
    if (auto eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
    }
    if (flags_.count(name) != 0) {
      if (inline_value) {
        error_ = name + " takes no value";
        return false;
      }
      seen_flags_.insert(name);
    } else if (options_.count(name) != 0) {
      if (inline_value) {
        values_[name] = *inline_value;
      } else if (i + 1 < args.size()) {
        values_[name] = args[++i];
      } else {
        error_ = name + " needs a value";
        return false;
      }
      all_values_[name].push_back(values_[name]);
    } else {
      std::vector<std::string> known(flags_.begin(), flags_.end());
      known.insert(known.end(), options_.begin(), options_.end());
      error_ = "unknown option " + a + did_you_mean(name, known);
      return false;
    }
  }
  return true;
}

bool CommandLine::has(const std::string& name) const {
  return seen_flags_.count(name) != 0 || values_.count(name) != 0;
}

std::optional<std::string> CommandLine::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> CommandLine::values(const std::string& name) const {
  auto it = all_values_.find(name);
  return it == all_values_.end() ? std::vector<std::string>() : it->second;
}

std::optional<uint64_t> parse_size(const std::string& text) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return std::nullopt;
  size_t used = 0;
  uint64_t n = 0;
  try {
    n = std::stoull(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  std::string suffix = text.substr(used);
  uint64_t mult = 1;
  if (suffix.empty() || suffix == "b" || suffix == "B") {
    mult = 1;
  } else if (suffix == "k" || suffix == "K" || suffix == "KiB") {
    mult = 1024;
  } else if (suffix == "m" || suffix == "M" || suffix == "MiB") {
    mult = 1024 * 1024;
  } else if (suffix == "g" || suffix == "G" || suffix == "GiB") {
    mult = 1024ull * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  return n * mult;
}

std::string max_rate_error(const CommandLine& cl) {
  auto text = cl.value("--max-rate");
  if (!text) return "";
  auto rate = parse_size(*text);
  if (!rate) return "--max-rate takes bytes a second, such as 50M, not '" + *text + "'";
  if (*rate < kMinCopyRate) return "--max-rate is at least 1M (1 MiB a second), not '" + *text + "'";
  return "";
}

uint64_t max_rate_of(const CommandLine& cl) {
  auto text = cl.value("--max-rate");
  return text ? parse_size(*text).value_or(0) : 0;
}

}  // namespace vtape
