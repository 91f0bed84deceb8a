#include "index/find_statement.h"

#include <utility>

#include "index/catalog_schema.h"

namespace vtape {
namespace {

// Conditions joined with AND, and the values of their parameters in order.
class Conditions {
 public:
  void add(const char* sql) { conditions_.emplace_back(sql); }
  void add(std::string sql) { conditions_.push_back(std::move(sql)); }
  void text(const std::string& v) { value(SqlParameter::Type::kText, v, 0); }
  void integer(int64_t v) { value(SqlParameter::Type::kInteger, "", v); }

  std::string joined() const {
    if (conditions_.empty()) return sql::kFindEverything;
    std::string out;
    for (const auto& c : conditions_) {
      if (!out.empty()) out += " AND ";
      out += c;
    }
    return out;
  }
  std::vector<SqlParameter> parameters;

 private:
  void value(SqlParameter::Type type, const std::string& bytes, int64_t integer) {
    SqlParameter p;
    p.type = type;
    p.bytes = bytes;
    p.integer = integer;
    parameters.push_back(std::move(p));
  }
  std::vector<std::string> conditions_;
};

// The path matches one of the GLOBs: "((range AND GLOB) OR (range AND
// GLOB))", each alternative with its own range of members_by_file_path
// when there is one per GLOB, so that SQLite reads each range on its own.
void add_path_match(const FindPattern& plan, Conditions* where) {
  bool ranged = plan.index == FindPattern::Index::kPath;
  std::vector<std::string> alternatives;
  for (size_t i = 0; i < plan.globs.size(); ++i) {
    Conditions one;
    if (ranged) {
      one.add(sql::kFindPathLow);
      one.text(plan.ranges[i].low);
      if (plan.ranges[i].high) {
        one.add(sql::kFindPathHigh);
        one.text(*plan.ranges[i].high);
      }
    }
    if (!ranged || !plan.ranges[i].exact) {
      one.add(sql::kFindPathGlob);
      one.text(plan.globs[i]);
    }
    alternatives.push_back("(");
    alternatives.back() += one.joined();
    alternatives.back() += ")";
    for (auto& p : one.parameters) where->parameters.push_back(std::move(p));
  }
  std::string any = "(";
  for (size_t i = 0; i < alternatives.size(); ++i) {
    if (i > 0) any += " OR ";
    any += alternatives[i];
  }
  any += ")";
  where->add(std::move(any));
}

}  // namespace

FindStatement find_statement(const FindPattern& plan, const FindRequest& request) {
  Conditions where;
  // The candidates by name as the outer loop (catalog_schema.h): unless
  // --volser, which SQLite may rather answer from the volume's members.
  bool names_outer = !request.volser;
  if (plan.index == FindPattern::Index::kNameTrigram) {
    if (!names_outer) where.add(sql::kFindNameTrigram);
    where.text(plan.name_glob);  // the index, up to its mark
    where.text(plan.name_glob);  // the names above it
  } else if (plan.index == FindPattern::Index::kNameScan) {
    where.add(names_outer ? sql::kFindNameScanJoined : sql::kFindNameScan);
    where.text(plan.name_glob);
  }
  // What the candidates' names matched need not be matched again.
  bool candidates_are_the_match = plan.index == FindPattern::Index::kNameScan && plan.name_glob_exact;
  if (plan.target == FindPattern::Target::kName) {
    if (!candidates_are_the_match) {
      where.add(sql::kFindNameGlob);
      where.text(plan.globs[0]);
    }
  } else {
    add_path_match(plan, &where);
  }
  bool by_path = plan.index == FindPattern::Index::kPath;
  if (request.volser) {
    where.add(by_path ? sql::kFindOnVolumeByPath : sql::kFindOnVolume);
    where.text(*request.volser);
  }
  if (request.since) {
    where.add(sql::kFindSince);
    where.integer(*request.since);
  }
  FindStatement out;
  const char* select = sql::kFindSelect;
  if (by_path) {
    select = sql::kFindSelectByPath;
  } else if (names_outer && plan.index == FindPattern::Index::kNameScan) {
    select = sql::kFindSelectByNameScan;
  } else if (names_outer && plan.index == FindPattern::Index::kNameTrigram) {
    select = sql::kFindSelectByNameTrigram;
  }
  out.sql = std::string(select) + where.joined();
  out.parameters = std::move(where.parameters);
  if (request.limit != 0) {
    out.sql += sql::kFindOrderAndLimit;
    SqlParameter limit;
    limit.type = SqlParameter::Type::kInteger;
    limit.integer = request.limit > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(request.limit);
    out.parameters.push_back(std::move(limit));
  }
  return out;
}

}  // namespace vtape
