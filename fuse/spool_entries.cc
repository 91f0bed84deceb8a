#include "fuse/spool_entries.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "library/spool_store.h"

namespace vtape {

std::string spool_entry_name(const SpoolMetadata& m) { return fmt::format("{:04}.{}", m.spoolid, m.name_type()); }

std::vector<std::pair<std::string, const SpoolFileRow*>> spool_directory_entries(const std::vector<SpoolFileRow>& rows) {
  std::map<std::string, int> uses;
  for (const auto& r : rows) ++uses[spool_entry_name(r.meta)];
  std::vector<std::pair<std::string, const SpoolFileRow*>> out;
  for (const auto& r : rows) {
    std::string name = spool_entry_name(r.meta);
    if (uses[name] > 1) name += "~" + r.meta.owner;
    out.emplace_back(name, &r);
  }
  return out;
}

void spool_dir_stat(struct stat* st, int64_t mtime) {
  std::memset(st, 0, sizeof *st);
  st->st_mode = S_IFDIR | 0755;
  st->st_nlink = 2;
  st->st_uid = getuid();
  st->st_gid = getgid();
  st->st_mtim.tv_sec = static_cast<time_t>(mtime);
  st->st_atim = st->st_mtim;
  st->st_ctim = st->st_mtim;
}

void spool_file_stat(struct stat* st, const SpoolMetadata& m, mode_t mode) {
  std::memset(st, 0, sizeof *st);
  st->st_mode = S_IFREG | mode;
  st->st_nlink = 1;
  st->st_uid = getuid();
  st->st_gid = getgid();
  st->st_size = static_cast<off_t>(m.content_bytes);
  st->st_blocks = static_cast<blkcnt_t>((m.content_bytes + 511) / 512);
  st->st_blksize = 4096;
  int64_t us = m.closed_us != 0 ? m.closed_us : m.opened_us;
  st->st_mtim.tv_sec = static_cast<time_t>(us / 1000000);
  st->st_mtim.tv_nsec = static_cast<long>(us % 1000000) * 1000;
  st->st_atim = st->st_mtim;
  st->st_ctim = st->st_mtim;
}

int spool_getxattr(const SpoolMetadata& m, const std::string& name, std::string* value) {
  if (name.rfind(kSpoolXattrPrefix, 0) != 0) return -ENODATA;
  auto v = get_spool_attribute(m, name.substr(std::strlen(kSpoolXattrPrefix)));
  if (!v) return -ENODATA;
  *value = *v;
  return 0;
}

std::string spool_listxattr() {
  std::string out;
  for (const auto& n : spool_attributes()) {
    out += kSpoolXattrPrefix + n;
    out.push_back('\0');
  }
  return out;
}

int spool_setxattr(SpoolMetadata& m, const std::string& name, const std::string& value, std::string* why) {
  if (name.rfind(kSpoolXattrPrefix, 0) != 0) {
    *why = fmt::format("{}: only user.spool.* attributes can be set on spool files", name);
    return -ENOTSUP;
  }
  Status s = set_spool_attribute(m, name.substr(std::strlen(kSpoolXattrPrefix)), value);
  *why = s.message();
  if (s.is_ok()) return 0;
  if (s.code() == StatusCode::kNotSupported) return -EPERM;
  if (s.code() == StatusCode::kNotFound) return -ENOTSUP;
  return -EINVAL;
}

int SpoolContentFile::open(SpoolStore& store, const SpoolFileRow& row, const std::string& path,
                           std::unique_ptr<SpoolContentFile>* out) {
  std::string content;
  if (Status s = store.content(row, &content); !s.is_ok()) {
    fmt::print(stderr, "vtapefs: {}: {}\n", path, s.message());
    return -spool_errno(s);
  }
  struct stat st {};
  spool_file_stat(&st, row.meta, 0444);
  *out = std::make_unique<SpoolContentFile>(std::move(content), st);
  return 0;
}

int SpoolContentFile::read(char* buf, size_t size, uint64_t offset) const {
  if (offset >= content_.size()) return 0;
  size_t n = std::min<size_t>(size, content_.size() - offset);
  std::memcpy(buf, content_.data() + offset, n);
  return static_cast<int>(n);
}

int spool_errno(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk: return 0;
    case StatusCode::kNoSpace: return ENOSPC;
    case StatusCode::kInvalidArgument: return EINVAL;
    case StatusCode::kNotFound: return ENOENT;
    case StatusCode::kNotSupported: return ENOTSUP;
    case StatusCode::kIoError: return s.sys_errno() != 0 ? s.sys_errno() : EIO;
    case StatusCode::kCorrupt: return EIO;
  }
  return EIO;
}

}  // namespace vtape
