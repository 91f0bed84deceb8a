#include "index/find_statement.h"

#include "index/catalog_schema.h"

namespace vtape {
namespace {

class Builder {
 public:
  void text(const std::string& v) { add(SqlParameter::Type::kText, v); }
  void blob(const std::string& v) { add(SqlParameter::Type::kBlob, v); }
  void integer(int64_t v) {
    SqlParameter p;
    p.type = SqlParameter::Type::kInteger;
    p.integer = v;
    out.parameters.push_back(std::move(p));
  }
  FindStatement out;

 private:
  void add(SqlParameter::Type type, const std::string& v) {
    SqlParameter p;
    p.type = type;
    p.bytes = v;
    out.parameters.push_back(std::move(p));
  }
};

// "(A OR B)" over the GLOBs, each with its own range when there is one per GLOB.
void path_match(const FindPattern& plan, Builder* b) {
  bool ranged = plan.index == FindPattern::Index::kPath;
  std::string& sql = b->out.sql;
  sql += "(";
  for (size_t i = 0; i < plan.globs.size(); ++i) {
    if (i > 0) sql += " OR ";
    sql += "(";
    if (ranged) {
      sql += sql::kFindPathLow;
      b->text(plan.ranges[i].low);
      if (plan.ranges[i].high) {
        sql += sql::kFindPathHigh;
        b->text(*plan.ranges[i].high);
      }
    }
    sql += sql::kFindPathGlob;
    b->text(plan.globs[i]);
    sql += ")";
  }
  sql += ")";
}

}  // namespace

FindStatement find_statement(const FindPattern& plan, const FindRequest& request) {
  Builder b;
  std::string& sql = b.out.sql;
  sql = sql::kFindSelect;
  if (plan.index == FindPattern::Index::kNameRev) {
    sql += sql::kFindNameRevLow;
    b.blob(plan.ranges[0].low);
    if (plan.ranges[0].high) {
      sql += sql::kFindNameRevHigh;
      b.blob(*plan.ranges[0].high);
    }
  }
  if (plan.target == FindPattern::Target::kName) {
    sql += sql::kFindNameGlob;
    b.text(plan.globs[0]);
  } else {
    path_match(plan, &b);
  }
  if (request.volser) {
    sql += sql::kFindOnVolume;
    b.text(*request.volser);
  }
  if (request.since) {
    sql += sql::kFindSince;
    b.integer(*request.since);
  }
  if (request.limit != 0) {
    sql += sql::kFindOrderAndLimit;
    b.integer(request.limit > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(request.limit));
    b.out.ordered = true;
  }
  return std::move(b.out);
}

}  // namespace vtape
