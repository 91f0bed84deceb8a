// Showing member names (paths recorded on a tape, which may hold any byte)
// without letting them act on the terminal or break the output.
//
// Text (escape_member_name): every byte stands for itself except
//   - a backslash, shown as \\;
//   - control characters (bytes 0x00-0x1F and 0x7F), shown as \xNN;
//   - bytes that are not part of valid UTF-8, shown as \xNN;
//   - characters that steer a terminal although validly encoded: C1 controls
//     (U+0080-U+009F) and the bidirectional overrides and isolates
//     (U+202A-U+202E, U+2066-U+2069), each of their bytes shown as \xNN.
// So \xNN always means "the byte NN" and \\ a backslash: the escaping can be
// undone exactly, and a line holds exactly one name.
//
// JSON (json_member_name): valid UTF-8 is kept; a byte that is not part of
// valid UTF-8 becomes the character U+00NN (so the JSON string has the same
// value as one written with \u00NN), which keeps the document valid UTF-8.
// Control characters are then escaped by JsonWriter.
#pragma once

#include <string>
#include <string_view>

namespace vtape {

std::string escape_member_name(std::string_view name);
// escape_member_name(name) appended to *out (no string of its own: vtape
// find writes 100000 names).
void append_escaped_member_name(std::string* out, std::string_view name);
std::string json_member_name(std::string_view name);

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when the
// first byte does not begin one (ASCII counts as a sequence of length 1).
size_t utf8_sequence_length(std::string_view s);

}  // namespace vtape
