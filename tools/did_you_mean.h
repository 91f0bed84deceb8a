// "did you mean ...?" for a mistyped subcommand or option: the known name
// nearest to what was typed, when it is near enough to be the one meant.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtape {

// Edits (insertions, deletions, substitutions, swaps of neighbours) that
// turn `a` into `b`.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `typed`, if at most 2 edits (1 for names of up
// to 4 letters) away and nearer than any other; nothing otherwise.
std::optional<std::string> nearest_name(std::string_view typed, const std::vector<std::string>& candidates);

// "; did you mean 'X'?" for nearest_name, or "".
std::string did_you_mean(std::string_view typed, const std::vector<std::string>& candidates);

}  // namespace vtape
