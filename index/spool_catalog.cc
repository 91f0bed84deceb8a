#include "index/spool_catalog.h"

#include <cctype>
#include <climits>
#include <cstdio>
#include <ctime>
#include <sstream>

#include <fmt/format.h>

#include "index/catalog_schema.h"
#include "index/sqlite_support.h"

namespace vtape {
namespace {

using sqlite::bind_int;
using sqlite::bind_text;
using sqlite::column_int;
using sqlite::column_text;
using sqlite::StatementScope;
using sqlite::Transaction;

bool glob_match(const char* p, const char* s) {
  // Iterative '*' matching with one backtrack point: linear enough for names.
  const char* star = nullptr;
  const char* resume = nullptr;
  while (*s != '\0') {
    if (*p == '*') {
      star = p++;
      resume = s;
    } else if (*p == '%' ||
               std::toupper(static_cast<unsigned char>(*p)) == std::toupper(static_cast<unsigned char>(*s))) {
      ++p;
      ++s;
    } else if (star != nullptr) {
      p = star + 1;
      s = ++resume;
    } else {
      return false;
    }
  }
  while (*p == '*') ++p;
  return *p == '\0';
}

// YYYY-MM-DD -> microseconds at 00:00 UTC.
std::optional<int64_t> parse_day(const std::string& text) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 ||
      d < 1 || d > 31) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  time_t t = timegm(&tm);
  std::tm back{};
  gmtime_r(&t, &back);
  if (back.tm_mday != d) return std::nullopt;  // 2026-02-30
  return static_cast<int64_t>(t) * 1000000;
}

std::vector<std::string> split_commas(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream in(v);
  std::string part;
  while (std::getline(in, part, ',')) out.push_back(part);
  if (out.empty()) out.push_back("");
  return out;
}

Status parse_spoolid(const std::string& text, uint32_t* out) {
  if (text.empty() || text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(text) < 1) {
    return Status::invalid_argument(fmt::format("'{}' is not a spoolid (1 to {})", text, kMaxSpoolid));
  }
  *out = static_cast<uint32_t>(std::stoul(text));
  return Status::ok();
}

void bind_row(sqlite3_stmt* s, const SpoolFileRow& r) {
  const SpoolMetadata& m = r.meta;
  bind_text(s, 1, m.owner);
  bind_int(s, 2, m.spoolid);
  bind_text(s, 3, m.unique_id_hex());
  bind_int(s, 4, m.opened_us);
  bind_int(s, 5, m.closed_us);
  bind_text(s, 6, spool_device_name(m.device));
  bind_text(s, 7, spool_queue_name(m.queue));
  bind_text(s, 8, m.origin);
  bind_text(s, 9, m.origin_system);
  bind_text(s, 10, m.filename);
  bind_text(s, 11, m.filetype);
  bind_text(s, 12, std::string(1, m.spool_class));
  bind_text(s, 13, m.form);
  bind_text(s, 14, m.dest);
  bind_text(s, 15, m.dist);
  bind_int(s, 16, m.copies);
  bind_text(s, 17, m.hold_text());
  bind_int(s, 18, m.keep ? 1 : 0);
  bind_int(s, 19, static_cast<int64_t>(m.records));
  bind_int(s, 20, m.lrecl);
  bind_int(s, 21, static_cast<int64_t>(m.data_bytes));
  bind_int(s, 22, static_cast<int64_t>(m.content_bytes));
  bind_int(s, 23, (m.unterminated ? 1 : 0) | (m.carriage_control ? 2 : 0));
  bind_text(s, 24, r.volser);
  bind_int(s, 25, static_cast<int64_t>(r.file_number));
  bind_int(s, 26, static_cast<int64_t>(r.image_offset));
  bind_text(s, 27, r.archived_at.empty() ? catalog_now() : r.archived_at);
}

SpoolFileRow read_row(sqlite3_stmt* s) {
  SpoolFileRow r;
  SpoolMetadata& m = r.meta;
  r.id = column_int(s, 0);
  m.owner = column_text(s, 1);
  m.spoolid = static_cast<uint32_t>(column_int(s, 2));
  m.unique_id = parse_unique_id(column_text(s, 3)).value_or(std::array<uint8_t, 16>{});
  m.opened_us = column_int(s, 4);
  m.closed_us = column_int(s, 5);
  m.device = parse_spool_device(column_text(s, 6)).value_or(SpoolDevice::kPrinter);
  m.queue = parse_spool_queue(column_text(s, 7)).value_or(SpoolQueue::kPrinter);
  m.origin = column_text(s, 8);
  m.origin_system = column_text(s, 9);
  m.filename = column_text(s, 10);
  m.filetype = column_text(s, 11);
  std::string cls = column_text(s, 12);
  m.spool_class = cls.empty() ? 'A' : cls[0];
  m.form = column_text(s, 13);
  m.dest = column_text(s, 14);
  m.dist = column_text(s, 15);
  m.copies = static_cast<uint8_t>(column_int(s, 16));
  std::string hold = column_text(s, 17);
  m.user_hold = hold == "user" || hold == "both";
  m.system_hold = hold == "system" || hold == "both";
  m.keep = column_int(s, 18) != 0;
  m.records = static_cast<uint64_t>(column_int(s, 19));
  m.lrecl = static_cast<uint32_t>(column_int(s, 20));
  m.data_bytes = static_cast<uint64_t>(column_int(s, 21));
  m.content_bytes = static_cast<uint64_t>(column_int(s, 22));
  int64_t flags = column_int(s, 23);
  m.unterminated = (flags & 1) != 0;
  m.carriage_control = (flags & 2) != 0;
  r.volser = column_text(s, 24);
  r.file_number = static_cast<uint64_t>(column_int(s, 25));
  r.image_offset = static_cast<uint64_t>(column_int(s, 26));
  r.archived_at = column_text(s, 27);
  r.purged_at = column_text(s, 28);
  return r;
}

}  // namespace

bool spool_name_matches(const std::string& pattern, const std::string& name) {
  return glob_match(pattern.c_str(), name.c_str());
}

bool SpoolCriteria::matches(const SpoolMetadata& m, bool purged) const {
  if (purged && !include_purged) return false;
  if (!queues.empty() && queues.count(m.queue) == 0) return false;
  if (!owners.empty() && owners.count(m.owner) == 0) return false;
  if (spoolid_from && m.spoolid < *spoolid_from) return false;
  if (spoolid_to && m.spoolid > *spoolid_to) return false;
  if (!classes.empty() && classes.count(m.spool_class) == 0) return false;
  if (!forms.empty() && forms.count(m.form) == 0) return false;
  if (!dests.empty() && dests.count(m.dest) == 0) return false;
  if (!name_patterns.empty()) {
    bool any = false;
    for (const auto& p : name_patterns) any = any || spool_name_matches(p, m.name_type());
    if (!any) return false;
  }
  if (opened_from_us && m.opened_us < *opened_from_us) return false;
  if (opened_before_us && m.opened_us >= *opened_before_us) return false;
  if (held && (m.user_hold || m.system_hold) != *held) return false;
  return true;
}

const std::vector<std::string>& SpoolCriteria::option_names() {
  static const std::vector<std::string> names = {"--queue", "--owner", "--spoolid", "--class", "--form",
                                                 "--dest",  "--name",  "--date",    "--hold"};
  return names;
}

Status SpoolCriteria::add(const std::string& option, const std::string& value) {
  for (const std::string& v : split_commas(value)) {
    if (option == "--queue") {
      if (v == "all" || v == "ALL") continue;
      auto q = parse_spool_queue(v);
      if (!q) return Status::invalid_argument(fmt::format("--queue takes prt, pun, rdr or all, not '{}'", v));
      queues.insert(*q);
    } else if (option == "--owner") {
      std::string user;
      VTAPE_RETURN_IF_ERROR(normalize_spool_user(v, &user));
      owners.insert(user);
    } else if (option == "--spoolid") {
      size_t dash = v.find('-');
      uint32_t from = 0, to = 0;
      VTAPE_RETURN_IF_ERROR(parse_spoolid(v.substr(0, dash), &from));
      to = from;
      if (dash != std::string::npos) VTAPE_RETURN_IF_ERROR(parse_spoolid(v.substr(dash + 1), &to));
      if (to < from) return Status::invalid_argument(fmt::format("--spoolid range '{}' ends before it starts", v));
      spoolid_from = from;
      spoolid_to = to;
    } else if (option == "--class") {
      char c = 0;
      VTAPE_RETURN_IF_ERROR(normalize_spool_class(v, &c));
      classes.insert(c);
    } else if (option == "--form") {
      std::string f;
      VTAPE_RETURN_IF_ERROR(normalize_spool_code("a form", v, &f));
      forms.insert(f);
    } else if (option == "--dest") {
      std::string d;
      VTAPE_RETURN_IF_ERROR(normalize_spool_code("a destination", v, &d));
      dests.insert(d);
    } else if (option == "--name") {
      if (v.empty()) return Status::invalid_argument("--name takes a pattern such as '*.LISTING' or 'REP%RT.*'");
      name_patterns.push_back(v);
    } else if (option == "--date") {
      size_t dots = v.find("..");
      std::string first = v.substr(0, dots);
      std::string last = dots == std::string::npos ? first : v.substr(dots + 2);
      auto from = first.empty() ? std::optional<int64_t>(INT64_MIN) : parse_day(first);
      auto to = last.empty() ? std::optional<int64_t>(INT64_MAX - 86400LL * 1000000) : parse_day(last);
      if (!from || !to || *to < *from) {
        return Status::invalid_argument(
            fmt::format("--date takes YYYY-MM-DD or a range FIRST..LAST (either may be left out), not '{}'", v));
      }
      if (!first.empty()) opened_from_us = *from;
      if (!last.empty()) opened_before_us = *to + 86400LL * 1000000;
    } else if (option == "--hold") {
      if (v == "yes" || v == "no") {
        held = v == "yes";
      } else {
        return Status::invalid_argument(fmt::format("--hold takes yes or no, not '{}'", v));
      }
    } else {
      return Status::not_found(fmt::format("{} is not a spool criterion", option));
    }
  }
  return Status::ok();
}

// ---- SpoolCatalog ------------------------------------------------------------

Status SpoolCatalog::next_spoolid(const std::string& owner, uint32_t wanted, uint32_t* out) {
  auto taken = [&](uint32_t id, bool* is_taken) -> Status {
    sqlite3_stmt* s = nullptr;
    VTAPE_RETURN_IF_ERROR(catalog_.prepare(sql::kSpoolidTaken, &s));
    StatementScope scope(s);
    bind_text(s, 1, owner);
    bind_int(s, 2, id);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return catalog_.error("looking up a spoolid");
    *is_taken = rc == SQLITE_ROW;
    return Status::ok();
  };
  bool is_taken = true;
  if (wanted >= 1 && wanted <= kMaxSpoolid) {
    VTAPE_RETURN_IF_ERROR(taken(wanted, &is_taken));
    if (!is_taken) {
      *out = wanted;
      return Status::ok();
    }
  }
  int64_t highest = 0;
  {
    sqlite3_stmt* s = nullptr;
    VTAPE_RETURN_IF_ERROR(catalog_.prepare(sql::kHighestSpoolid, &s));
    StatementScope scope(s);
    bind_text(s, 1, owner);
    if (sqlite3_step(s) != SQLITE_ROW) return catalog_.error("finding the highest spoolid");
    highest = column_int(s, 0);
  }
  for (uint32_t i = 0; i < kMaxSpoolid; ++i) {
    uint32_t candidate = static_cast<uint32_t>((highest + i) % kMaxSpoolid) + 1;
    VTAPE_RETURN_IF_ERROR(taken(candidate, &is_taken));
    if (!is_taken) {
      *out = candidate;
      return Status::ok();
    }
  }
  return Status::no_space(fmt::format("{} has all {} spoolids", owner, kMaxSpoolid));
}

Status SpoolCatalog::free_spoolid(const std::string& owner, uint32_t wanted, uint32_t* out) {
  std::lock_guard lock(catalog_.mu_);
  return next_spoolid(owner, wanted, out);
}

Status SpoolCatalog::insert(SpoolFileRow* row) {
  std::lock_guard lock(catalog_.mu_);
  Transaction tx(catalog_.db_);
  if (!tx.begun()) return catalog_.error("starting a transaction");
  if (row->archived_at.empty()) row->archived_at = catalog_now();
  {
    sqlite3_stmt* s = nullptr;
    VTAPE_RETURN_IF_ERROR(catalog_.prepare(sql::kInsertSpoolFile, &s));
    StatementScope scope(s);
    bind_row(s, *row);
    if (sqlite3_step(s) != SQLITE_DONE) return catalog_.error("recording a spool file");
  }
  row->id = sqlite3_last_insert_rowid(catalog_.db_);
  if (!tx.commit()) return catalog_.error("committing");
  return Status::ok();
}

Status SpoolCatalog::update(const SpoolFileRow& r) {
  std::lock_guard lock(catalog_.mu_);
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(catalog_.prepare(sql::kUpdateSpoolFile, &s));
  StatementScope scope(s);
  bind_row(s, r);
  bind_int(s, 28, r.id);
  if (sqlite3_step(s) != SQLITE_DONE) return catalog_.error("updating a spool file");
  return Status::ok();
}

Status SpoolCatalog::purge(int64_t id) {
  std::lock_guard lock(catalog_.mu_);
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(catalog_.prepare(sql::kPurgeSpoolFile, &s));
  StatementScope scope(s);
  bind_int(s, 1, id);
  bind_text(s, 2, catalog_now());
  if (sqlite3_step(s) != SQLITE_DONE) return catalog_.error("purging a spool file");
  return Status::ok();
}

Status SpoolCatalog::get(int64_t id, SpoolFileRow* out) {
  std::lock_guard lock(catalog_.mu_);
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(catalog_.prepare(sql::kSelectSpoolFile, &s));
  StatementScope scope(s);
  bind_int(s, 1, id);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return Status::not_found(fmt::format("no spool file {} in the catalog", id));
  if (rc != SQLITE_ROW) return catalog_.error("reading a spool file");
  *out = read_row(s);
  return Status::ok();
}

Status SpoolCatalog::select(const SpoolCriteria& criteria, std::vector<SpoolFileRow>* out) {
  std::lock_guard lock(catalog_.mu_);
  out->clear();
  sqlite3_stmt* s = nullptr;
  bool one_owner = criteria.owners.size() == 1;
  VTAPE_RETURN_IF_ERROR(catalog_.prepare(one_owner ? sql::kSelectOwnersSpoolFiles : sql::kSelectSpoolFiles, &s));
  StatementScope scope(s);
  if (one_owner) bind_text(s, 1, *criteria.owners.begin());
  int rc = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    SpoolFileRow r = read_row(s);
    if (criteria.matches(r)) out->push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return catalog_.error("listing spool files");
  return Status::ok();
}

Status SpoolCatalog::has_identity(const SpoolMetadata& m, bool* out) {
  std::lock_guard lock(catalog_.mu_);
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(catalog_.prepare(sql::kSpoolIdentityExists, &s));
  StatementScope scope(s);
  bind_text(s, 1, m.unique_id_hex());
  bind_int(s, 2, m.opened_us);
  int rc = sqlite3_step(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return catalog_.error("looking for a duplicate spool file");
  *out = rc == SQLITE_ROW;
  return Status::ok();
}

Status SpoolCatalog::users(std::vector<std::string>* out) {
  std::lock_guard lock(catalog_.mu_);
  out->clear();
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(catalog_.prepare(sql::kSelectSpoolUsers, &s));
  StatementScope scope(s);
  int rc = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) out->push_back(column_text(s, 0));
  if (rc != SQLITE_DONE) return catalog_.error("listing spool users");
  return Status::ok();
}

Status SpoolCatalog::add_user(const std::string& user) {
  std::lock_guard lock(catalog_.mu_);
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(catalog_.prepare(sql::kInsertSpoolUser, &s));
  StatementScope scope(s);
  bind_text(s, 1, user);
  bind_text(s, 2, catalog_now());
  if (sqlite3_step(s) != SQLITE_DONE) return catalog_.error("adding a spool user");
  return Status::ok();
}

}  // namespace vtape
