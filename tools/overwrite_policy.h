// --overwrite=never|always|ask: what a restore does with a file that is
// already where it would write.  "ask" prompts only when standard input and
// standard error are terminals; anywhere else it answers no, so a restore
// in a script never blocks on a question nobody sees.
#pragma once

#include <optional>
#include <string>

namespace vtape {

enum class OverwritePolicy { kNever, kAlways, kAsk };

std::optional<OverwritePolicy> parse_overwrite_policy(const std::string& text);
// Whether `path`, which exists, may be replaced.
bool may_overwrite(OverwritePolicy policy, const std::string& path);

}  // namespace vtape
