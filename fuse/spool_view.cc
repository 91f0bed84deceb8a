#include "fuse/spool_view.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>

#include <fmt/format.h>

#include "fuse/path_parts.h"
#include "tapeformat/base/time_format.h"

namespace vtape {
namespace {

std::string day_of(int64_t us) { return utc_date(static_cast<std::time_t>(us / 1000000)); }

const std::vector<std::string> kGroupings = {"by-id", "by-owner", "by-class", "by-date"};

// The key a row is grouped by in a by-KEY directory.
std::string group_key(const std::string& grouping, const SpoolFileRow& r) {
  if (grouping == "by-owner") return r.meta.owner;
  if (grouping == "by-class") return std::string(1, r.meta.spool_class);
  return day_of(r.meta.opened_us);
}

}  // namespace

SpoolView::SpoolView(SpoolStore& store) : store_(store), mounted_at_(static_cast<int64_t>(std::time(nullptr))) {}

int SpoolView::resolve(const std::string& path, Target* t) {
  std::vector<std::string> parts = split_path(path.substr(std::strlen(kRoot)));
  if (parts.empty()) {
    t->subdirectories = kGroupings;
    return 0;
  }
  const std::string& grouping = parts[0];
  if (std::find(kGroupings.begin(), kGroupings.end(), grouping) == kGroupings.end()) return -ENOENT;
  SpoolCriteria all;
  all.include_purged = true;
  std::vector<SpoolFileRow> rows;
  if (!store_.catalog().select(all, &rows).is_ok()) return -EIO;
  size_t files_at = 1;  // the depth at which the files are
  if (grouping != "by-id") {
    if (parts.size() == 1) {
      std::set<std::string> keys;
      for (const auto& r : rows) keys.insert(group_key(grouping, r));
      t->subdirectories.assign(keys.begin(), keys.end());
      return 0;
    }
    std::vector<SpoolFileRow> in_group;
    for (auto& r : rows) {
      if (group_key(grouping, r) == parts[1]) in_group.push_back(std::move(r));
    }
    if (in_group.empty()) return -ENOENT;
    rows = std::move(in_group);
    files_at = 2;
  }
  if (parts.size() == files_at) {
    t->rows = std::move(rows);
    return 0;
  }
  if (parts.size() > files_at + 1) return -ENOTDIR;
  for (const auto& [name, row] : spool_directory_entries(rows)) {
    if (name == parts[files_at]) {
      t->is_file = true;
      t->row = *row;
      return 0;
    }
  }
  return -ENOENT;
}

int SpoolView::getattr(const std::string& path, struct stat* st) {
  Target t;
  if (int e = resolve(path, &t); e != 0) return e;
  if (t.is_file) {
    spool_file_stat(st, t.row.meta, store_.library());
  } else {
    spool_dir_stat(st, mounted_at_, store_.library());
    st->st_mode = S_IFDIR | 0555;
    st->st_nlink = 2 + t.subdirectories.size();
  }
  return 0;
}

int SpoolView::readdir(const std::string& path, std::vector<std::pair<std::string, struct stat>>* entries) {
  Target t;
  if (int e = resolve(path, &t); e != 0) return e;
  if (t.is_file) return -ENOTDIR;
  struct stat st {};
  for (const auto& d : t.subdirectories) {
    spool_dir_stat(&st, mounted_at_, store_.library());
    st.st_mode = S_IFDIR | 0555;
    entries->emplace_back(d, st);
  }
  for (const auto& [name, row] : spool_directory_entries(t.rows)) {
    spool_file_stat(&st, row->meta, store_.library());
    entries->emplace_back(name, st);
  }
  return 0;
}

int SpoolView::open(const std::string& path, std::unique_ptr<SpoolContentFile>* out) {
  Target t;
  if (int e = resolve(path, &t); e != 0) return e;
  if (!t.is_file) return -EISDIR;
  return SpoolContentFile::open(store_, t.row, path, out);
}

int SpoolView::getxattr(const std::string& path, const std::string& name, std::string* value) {
  Target t;
  if (int e = resolve(path, &t); e != 0) return e;
  if (!t.is_file) return -ENODATA;
  return spool_getxattr(t.row.meta, name, value);
}

int SpoolView::listxattr(const std::string& path, std::string* names) {
  Target t;
  if (int e = resolve(path, &t); e != 0) return e;
  names->clear();
  if (t.is_file) *names = spool_listxattr();
  return 0;
}

}  // namespace vtape
