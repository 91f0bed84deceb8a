#include "tools/overwrite_policy.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <fmt/format.h>

namespace vtape {

std::optional<OverwritePolicy> parse_overwrite_policy(const std::string& text) {
  if (text == "never") return OverwritePolicy::kNever;
  if (text == "always") return OverwritePolicy::kAlways;
  if (text == "ask") return OverwritePolicy::kAsk;
  return std::nullopt;
}

bool may_overwrite(OverwritePolicy policy, const std::string& path) {
  switch (policy) {
    case OverwritePolicy::kNever:
      return false;
    case OverwritePolicy::kAlways:
      return true;
    case OverwritePolicy::kAsk:
      break;
  }
  if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) return false;
  fmt::print(stderr, "vtape restore: replace {}? [y/N] ", path);
  std::fflush(stderr);
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return !answer.empty() && (answer[0] == 'y' || answer[0] == 'Y');
}

}  // namespace vtape
