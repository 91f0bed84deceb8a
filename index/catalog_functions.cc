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
  return sqlite3_create_function(db, "vtape_name_rev", 1, kFlags, nullptr, name_rev_function, nullptr, nullptr);
}

}  // namespace vtape
