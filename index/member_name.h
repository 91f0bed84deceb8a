// The name of a member: the last component of its path, as `vtape find`
// matches a PATTERN without '/' (like find -name), and that name with its
// bytes reversed, the key of the members_by_name_rev index of catalog
// schemas 4 to 9 (their migrations still compute it).
#pragma once

#include <string>
#include <string_view>

namespace vtape {

// The last component of a path, ignoring trailing '/' (tar records
// directories as "dir/"): "src/lib/util.c" -> "util.c", "sub/" -> "sub",
// "/" -> "".
std::string_view member_name(std::string_view path);

// member_name(path) with its bytes in reverse order: "src/util.c" -> "c.litu".
std::string reversed_member_name(std::string_view path);

}  // namespace vtape
