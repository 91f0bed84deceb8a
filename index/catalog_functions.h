// SQL functions every catalog connection has, so that statements (and the
// schema migrations that fill members.name_rev, 3 -> 4, and member_names,
// 8 -> 9, for existing rows) compute
// member names exactly as the C++ code does (index/member_name.h):
//
//   vtape_member_name(PATH)         the last component of PATH (TEXT)
//   vtape_name_glob(PATTERN, PATH)  1 when that name matches the GLOB PATTERN
//   vtape_name_rev(PATH)            that name's bytes reversed (BLOB)
//
// Other programs (sqlite3) do not have them; the catalog's tables and
// indexes never depend on them, only vtape's own statements do.
#pragma once

#include <sqlite3.h>

namespace vtape {

// Registers the functions on `db`; returns an SQLite result code.
int register_catalog_functions(sqlite3* db);

}  // namespace vtape
