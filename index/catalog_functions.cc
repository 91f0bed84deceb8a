#include "index/catalog_functions.h"

#include <string>
#include <string_view>

#include "index/member_name.h"

namespace vtape {
namespace {

// The argument's bytes (text as stored: paths may hold bytes that are not
// UTF-8, which SQLite keeps as they are); nullopt-like null for NULL.
bool argument_bytes(sqlite3_value* v, std::string_view* out) {
  if (sqlite3_value_type(v) == SQLITE_NULL) return false;
  const unsigned char* p = sqlite3_value_text(v);
  *out = std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_value_bytes(v)));
  return true;
}

void member_name_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  std::string_view path;
  if (!argument_bytes(argv[0], &path)) return sqlite3_result_null(ctx);
  std::string_view name = member_name(path);
  sqlite3_result_text(ctx, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
}

// vtape_name_glob(PATTERN, PATH): whether the name matches, by SQLite's GLOB
// rules (sqlite3_strglob).  Unlike vtape_member_name(PATH) GLOB PATTERN it
// makes no copy of the name when it ends the path (it almost always does):
// a search that has no index range calls it for every member.
void name_glob_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  std::string_view pattern, path;
  if (!argument_bytes(argv[0], &pattern) || !argument_bytes(argv[1], &path)) return sqlite3_result_null(ctx);
  std::string_view name = member_name(path);
  bool ends_path = name.data() + name.size() == path.data() + path.size();
  // sqlite3_value_text's text ends with a NUL; a name cut from before a
  // trailing '/' needs its own.
  std::string copy;
  const char* text = name.data();
  if (!ends_path) {
    copy = std::string(name);
    text = copy.c_str();
  }
  sqlite3_result_int(ctx, sqlite3_strglob(pattern.data(), text) == 0 ? 1 : 0);
}

void name_rev_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  std::string_view path;
  if (!argument_bytes(argv[0], &path)) return sqlite3_result_null(ctx);
  std::string reversed = reversed_member_name(path);
  sqlite3_result_blob(ctx, reversed.data(), static_cast<int>(reversed.size()), SQLITE_TRANSIENT);
}

}  // namespace

int register_catalog_functions(sqlite3* db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  int rc = sqlite3_create_function(db, "vtape_member_name", 1, kFlags, nullptr, member_name_function, nullptr, nullptr);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_create_function(db, "vtape_name_glob", 2, kFlags, nullptr, name_glob_function, nullptr, nullptr);
  if (rc != SQLITE_OK) return rc;
  return sqlite3_create_function(db, "vtape_name_rev", 1, kFlags, nullptr, name_rev_function, nullptr, nullptr);
}

}  // namespace vtape
