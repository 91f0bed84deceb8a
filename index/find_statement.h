// The SQL of one `vtape find` search (Catalog::find_pattern): the
// candidates from the index range of a FindPattern, each matched with
// GLOB, the volume and time filters as plain conditions (so that SQLite
// can still use an index for them), and with a limit the order and the
// LIMIT in SQL.  Without a limit the rows come in index order and the
// caller sorts them (cheaper than SQLite's sorter for many rows).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "index/find_pattern.h"

namespace vtape {

struct FindRequest {
  std::string pattern;                // as vtape find takes it
  std::optional<std::string> volser;  // on this volume only
  std::optional<int64_t> since;       // members with mtime >= since
  uint64_t limit = 0;                 // 0: every match
};

// One value to bind, in the order of the statement's parameters.
struct SqlParameter {
  enum class Type { kText, kBlob, kInteger };
  Type type = Type::kText;
  std::string bytes;
  int64_t integer = 0;
};

struct FindStatement {
  // Selects volser, file_number, kind, path, size, mtime, id.
  std::string sql;
  std::vector<SqlParameter> parameters;
};

FindStatement find_statement(const FindPattern& plan, const FindRequest& request);

}  // namespace vtape
