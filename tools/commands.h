// The exit statuses of every vtape command (0 success, 1 failure, 2 usage
// error) and its arguments; the commands themselves are CommandSpecs
// (tools/command_spec.h).
#pragma once

#include <string>
#include <vector>

namespace vtape {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

using Args = std::vector<std::string>;


}  // namespace vtape
