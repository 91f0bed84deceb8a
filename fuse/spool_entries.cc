#include "fuse/spool_entries.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "fuse/spool_devices.h"
#include "library/daemon_log.h"
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

void spool_owner(const std::string& user, const TapeLibrary& library, uid_t* uid, gid_t* gid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  auto is_user = [&](const std::string& login) {
    return getpwnam_r(login.c_str(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
           spool_user_of_uid(found->pw_uid) == user;
  };
  std::string lower = user;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (is_user(lower) || is_user(user)) {
    *uid = found->pw_uid;
    *gid = found->pw_gid;
    return;
  }
  // U1000: uid 1000, when that is what spool_user_of_uid calls it.
  if (user.size() > 1 && user[0] == 'U' && user.find_first_not_of("0123456789", 1) == std::string::npos) {
    auto n = static_cast<uid_t>(std::stoul(user.substr(1)));
    if (spool_user_of_uid(n) == user) {
      *uid = n;
      *gid = getpwuid_r(n, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr ? found->pw_gid
                                                                                          : library.group();
      return;
    }
  }
  *uid = library.owner();
  *gid = library.group();
}

void spool_dir_stat(struct stat* st, int64_t mtime, const TapeLibrary& library) {
  std::memset(st, 0, sizeof *st);
  st->st_mode = S_IFDIR | 0755;
  st->st_nlink = 2;
  st->st_uid = library.owner();
  st->st_gid = library.group();
  st->st_mtim.tv_sec = static_cast<time_t>(mtime);
  st->st_atim = st->st_mtim;
  st->st_ctim = st->st_mtim;
}

void spool_user_dir_stat(struct stat* st, int64_t mtime, const std::string& user, const TapeLibrary& library) {
  spool_dir_stat(st, mtime, library);
  st->st_mode = S_IFDIR | kSpoolUserDirMode;
  spool_owner(user, library, &st->st_uid, &st->st_gid);
}

void spool_file_stat(struct stat* st, const SpoolMetadata& m, const TapeLibrary& library) {
  std::memset(st, 0, sizeof *st);
  st->st_mode = S_IFREG | kSpoolFileMode;
  st->st_nlink = 1;
  spool_owner(m.owner, library, &st->st_uid, &st->st_gid);
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
    log_message(LogPriority::kError, LogFields{}.with_errno(spool_errno(s)), fmt::format("{}: {}", path, s.message()));
    return -spool_errno(s);
  }
  struct stat st {};
  spool_file_stat(&st, row.meta, store.library());
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
