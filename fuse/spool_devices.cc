#include "fuse/spool_devices.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "fuse/path_parts.h"
#include "library/daemon_log.h"

namespace vtape {
namespace {

constexpr SpoolQueue kQueues[] = {SpoolQueue::kPrinter, SpoolQueue::kPunch, SpoolQueue::kReader};

std::optional<SpoolQueue> queue_dir(const std::string& name) {
  for (SpoolQueue q : kQueues) {
    if (name == spool_queue_name(q)) return q;
  }
  return std::nullopt;
}

}  // namespace

std::string spool_user_of_uid(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  std::string user;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
      normalize_spool_user(found->pw_name, &user).is_ok()) {
    return user;
  }
  return fmt::format("U{}", uid).substr(0, 8);
}

std::string spool_system_name() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::string out;
  for (char* p = host; *p != '\0' && *p != '.' && out.size() < 8; ++p) {
    if (std::isalnum(static_cast<unsigned char>(*p))) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(*p))));
  }
  return out.empty() ? "VTAPEFS" : out;
}

SpoolDevices::SpoolDevices(SpoolStore& store, std::string system_name)
    : store_(store), system_(std::move(system_name)), mounted_at_(static_cast<int64_t>(std::time(nullptr))) {}

int SpoolDevices::user_exists(const std::string& user, const std::string& caller, bool* exists) {
  if (user == caller) {
    *exists = true;
    return 0;
  }
  std::vector<std::string> users;
  if (Status s = store_.catalog().users(&users); !s.is_ok()) return -EIO;
  *exists = std::find(users.begin(), users.end(), user) != users.end();
  return 0;
}

std::shared_ptr<SpoolWriter> SpoolDevices::open_writer(const std::string& path) {
  std::lock_guard lock(mu_);
  auto it = writers_.find(path);
  if (it == writers_.end() || it->second.empty()) return nullptr;
  return it->second.back();
}

int SpoolDevices::resolve(const std::string& path, const std::string& caller, Target* t) {
  std::vector<std::string> parts = split_path(path.substr(std::strlen(kRoot)));
  if (parts.empty()) {
    t->kind = Target::Kind::kRoot;
    return 0;
  }
  // Only the canonical (upper-case) user names exist.
  std::string user;
  if (!normalize_spool_user(parts[0], &user).is_ok() || user != parts[0]) return -ENOENT;
  bool exists = false;
  if (int e = user_exists(user, caller, &exists); e != 0) return e;
  if (!exists) return -ENOENT;
  t->user = user;
  if (parts.size() == 1) {
    t->kind = Target::Kind::kUser;
    return 0;
  }
  auto q = queue_dir(parts[1]);
  if (!q) return -ENOENT;
  t->queue = *q;
  if (parts.size() == 2) {
    t->kind = Target::Kind::kQueue;
    return 0;
  }
  if (parts.size() > 3) return -ENOTDIR;
  t->name = parts[2];
  if (auto w = open_writer(path)) {
    t->kind = Target::Kind::kWriter;
    t->writer = w;
    return 0;
  }
  SpoolCriteria c;
  c.owners.insert(user);
  c.queues.insert(*q);
  std::vector<SpoolFileRow> rows;
  if (!store_.catalog().select(c, &rows).is_ok()) return -EIO;
  const SpoolFileRow* newest = nullptr;
  for (const auto& r : rows) {
    if (spool_entry_name(r.meta) == t->name) {
      t->kind = Target::Kind::kFile;
      t->row = r;
      return 0;
    }
    if (r.meta.name_type() == t->name && (newest == nullptr || r.id > newest->id)) newest = &r;
  }
  if (newest == nullptr) return -ENOENT;
  t->kind = Target::Kind::kFile;
  t->row = *newest;
  return 0;
}

int SpoolDevices::getattr(const std::string& path, const std::string& caller, struct stat* st) {
  Target t;
  if (int e = resolve(path, caller, &t); e != 0) return e;
  switch (t.kind) {
    case Target::Kind::kRoot:
      spool_dir_stat(st, mounted_at_, store_.library());
      return 0;
    case Target::Kind::kUser:
    case Target::Kind::kQueue:
      // A user's queues are theirs alone: nobody else lists, reads,
      // purges, holds or writes spool files in them.
      spool_user_dir_stat(st, mounted_at_, t.user, store_.library());
      if (t.kind == Target::Kind::kUser) st->st_nlink = 5;
      return 0;
    case Target::Kind::kWriter:
      *st = t.writer->stat();
      return 0;
    case Target::Kind::kFile:
      spool_file_stat(st, t.row.meta, store_.library());
      return 0;
  }
  return -ENOENT;
}

int SpoolDevices::readdir(const std::string& path, const std::string& caller,
                          std::vector<std::pair<std::string, struct stat>>* entries) {
  Target t;
  if (int e = resolve(path, caller, &t); e != 0) return e;
  struct stat st {};
  switch (t.kind) {
    case Target::Kind::kRoot: {
      std::vector<std::string> users;
      if (!store_.catalog().users(&users).is_ok()) return -EIO;
      if (std::find(users.begin(), users.end(), caller) == users.end()) users.push_back(caller);
      std::sort(users.begin(), users.end());
      for (const auto& u : users) {
        spool_user_dir_stat(&st, mounted_at_, u, store_.library());
        entries->emplace_back(u, st);
      }
      return 0;
    }
    case Target::Kind::kUser:
      spool_user_dir_stat(&st, mounted_at_, t.user, store_.library());
      for (SpoolQueue q : kQueues) entries->emplace_back(spool_queue_name(q), st);
      return 0;
    case Target::Kind::kQueue: {
      SpoolCriteria c;
      c.owners.insert(t.user);
      c.queues.insert(t.queue);
      std::vector<SpoolFileRow> rows;
      if (!store_.catalog().select(c, &rows).is_ok()) return -EIO;
      for (const auto& r : rows) {
        spool_file_stat(&st, r.meta, store_.library());
        entries->emplace_back(spool_entry_name(r.meta), st);
      }
      std::string prefix = path + "/";
      std::lock_guard lock(mu_);
      for (const auto& [p, list] : writers_) {
        if (list.empty() || p.rfind(prefix, 0) != 0) continue;
        entries->emplace_back(p.substr(prefix.size()), list.back()->stat());
      }
      return 0;
    }
    case Target::Kind::kWriter:
    case Target::Kind::kFile:
      return -ENOTDIR;
  }
  return -ENOENT;
}

bool SpoolDevices::is_new_file_path(const std::string& path, const std::string& caller) {
  std::vector<std::string> parts = split_path(path.substr(std::strlen(kRoot)));
  if (parts.size() != 3 || (parts[1] != "prt" && parts[1] != "pun")) return false;
  Target t;
  // A listed spool file (SPOOLID.NAME.TYPE) is not written over.
  return resolve(path, caller, &t) != 0 || t.kind == Target::Kind::kWriter || spool_entry_name(t.row.meta) != parts[2];
}

int SpoolDevices::create(const std::string& path, const std::string& caller, std::shared_ptr<SpoolWriter>* out) {
  std::vector<std::string> parts = split_path(path.substr(std::strlen(kRoot)));
  if (parts.size() != 3) return parts.size() < 3 ? -EEXIST : -ENOENT;
  Target dir;
  if (int e = resolve(std::string(kRoot) + "/" + parts[0] + "/" + parts[1], caller, &dir); e != 0) return e;
  if (dir.queue == SpoolQueue::kReader) {
    log_message(LogPriority::kWarning, fmt::format("{}: a reader gets files sent to it; write to prt/ or pun/", path));
    return -EACCES;
  }
  SpoolMetadata m;
  if (Status s = split_spool_file_name(parts[2], &m.filename, &m.filetype); !s.is_ok()) {
    log_message(LogPriority::kWarning, fmt::format("{}: {}", path, s.message()));
    store_.log_event("spool-error", fmt::format("{}: {}", path, s.message()));
    return -EINVAL;
  }
  m.device = dir.queue == SpoolQueue::kPunch ? SpoolDevice::kPunch : SpoolDevice::kPrinter;
  m.queue = dir.queue;
  m.owner = dir.user;
  m.origin = caller;
  m.origin_system = system_;
  m.unique_id = new_unique_id();
  m.opened_us = now_microseconds();
  if (int e = SpoolWriter::create(store_, m, out); e != 0) return e;
  std::lock_guard lock(mu_);
  writers_[path].push_back(*out);
  return 0;
}

void SpoolDevices::released(const std::shared_ptr<SpoolWriter>& writer) {
  std::lock_guard lock(mu_);
  for (auto it = writers_.begin(); it != writers_.end(); ++it) {
    auto& list = it->second;
    list.erase(std::remove(list.begin(), list.end(), writer), list.end());
    if (list.empty()) {
      writers_.erase(it);
      break;
    }
  }
}

int SpoolDevices::open_read(const std::string& path, const std::string& caller, std::unique_ptr<SpoolContentFile>* out) {
  Target t;
  if (int e = resolve(path, caller, &t); e != 0) return e;
  if (t.kind == Target::Kind::kWriter) return -EBUSY;  // being written: read it when it is archived
  if (t.kind != Target::Kind::kFile) return -EISDIR;
  return SpoolContentFile::open(store_, t.row, path, out);
}

int SpoolDevices::unlink(const std::string& path, const std::string& caller) {
  Target t;
  if (int e = resolve(path, caller, &t); e != 0) return e;
  if (t.kind == Target::Kind::kWriter) return -EBUSY;
  if (t.kind != Target::Kind::kFile) return -EISDIR;
  Status s = store_.purge(t.row);
  return s.is_ok() ? 0 : -spool_errno(s);
}

int SpoolDevices::getxattr(const std::string& path, const std::string& caller, const std::string& name,
                           std::string* value) {
  Target t;
  if (int e = resolve(path, caller, &t); e != 0) return e;
  if (t.kind == Target::Kind::kWriter) return t.writer->getxattr(name, value);
  if (t.kind == Target::Kind::kFile) return spool_getxattr(t.row.meta, name, value);
  return -ENODATA;
}

int SpoolDevices::setxattr(const std::string& path, const std::string& caller, const std::string& name,
                           const std::string& value) {
  Target t;
  if (int e = resolve(path, caller, &t); e != 0) return e;
  if (t.kind == Target::Kind::kWriter) return t.writer->setxattr(name, value);
  if (t.kind != Target::Kind::kFile) return -ENOTSUP;
  std::string why;
  if (int e = spool_setxattr(t.row.meta, name, value, &why); e != 0) {
    log_message(LogPriority::kWarning, fmt::format("{}: {}", path, why));
    store_.log_event("spool-error", fmt::format("{}: {}", path, why));
    return e;
  }
  Status s = store_.update(t.row);
  return s.is_ok() ? 0 : -spool_errno(s);
}

int SpoolDevices::listxattr(const std::string& path, const std::string& caller, std::string* names) {
  Target t;
  if (int e = resolve(path, caller, &t); e != 0) return e;
  names->clear();
  if (t.kind == Target::Kind::kWriter || t.kind == Target::Kind::kFile) *names = spool_listxattr();
  return 0;
}

}  // namespace vtape
