#include "library/drive_service.h"

#include "library/cartridge_snapshot.h"

#include <sys/socket.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "library/cartridge_removal.h"
#include "library/catalog_observer.h"
#include "library/catalog_sync.h"
#include "library/client_hangup_watch.h"
#include "library/daemon_log.h"
#include "library/drive_feed.h"
#include "library/control_protocol.h"
#include "library/control_request.h"
#include "library/drive_status_json.h"
#include "library/image_retirer.h"
#include "library/mount_table.h"
#include "tapeformat/tape_format.h"

namespace vtape {

DriveLease& DriveLease::operator=(DriveLease&& other) noexcept {
  if (this != &other) {
    release();
    service_ = other.service_;
    drive_ = other.drive_;
    handle_ = other.handle_;
    other.service_ = nullptr;
    other.drive_ = -1;
    other.handle_ = 0;
  }
  return *this;
}

TapeDrive& DriveLease::drive() const { return service_->drive(drive_); }

DriveError DriveLease::flush() {
  if (!held()) return DriveError::kNone;
  return drive().flush(handle_);
}

void DriveLease::release() {
  if (!held()) return;
  drive().release(handle_);
  service_->released(drive_, handle_);
  service_ = nullptr;
  drive_ = -1;
  handle_ = 0;
}

DriveError DriveLease::close() {
  DriveError e = flush();
  release();
  return e;
}

DriveService::DriveService(std::unique_ptr<TapeLibrary> library, int drives)
    : library_(std::move(library)), holders_(static_cast<size_t>(drives)) {
  for (int i = 0; i < drives; ++i) {
    drives_.push_back(std::make_unique<TapeDrive>(i));
    drives_.back()->set_listener([this](int drive, const std::optional<std::string>& volser) {
      Status s = library_->set_loaded(drive, volser);
      if (!s.is_ok()) {
        log_message(LogPriority::kError, LogFields::of_drive(drive, volser.value_or("")),
                    "cannot record what the drive holds in the library: " + s.message());
      }
    });
  }
  migrations_ = std::make_unique<MigrationService>(*library_, [this](const std::string& volser) -> TapeDrive* {
    for (auto& d : drives_) {
      if (d->loaded_volser() == volser) return d.get();
    }
    return nullptr;
  });
}

Status DriveService::preflight() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kLockWaitMilliseconds);
  for (;;) {
    std::string ignored;
    bool answers = control_request(library_->socket_path(), "status json", &ignored).is_ok();
    // A vtapefs that answers and is mounted serves the library.  One that
    // answers with its mount gone is stopping (unmounted a moment ago): its
    // lock is free soon.
    if (answers) {
      for (const auto& m : vtapefs_mounts()) {
        if (m.library == library_->dir()) {
          return Status::invalid_argument(fmt::format("another vtapefs is already serving the library {} (on {})",
                                                      library_->dir(), m.mount_point));
        }
      }
    }
    bool busy = false;
    VTAPE_RETURN_IF_ERROR(LibraryLock::try_acquire(*library_, &lock_, &busy));
    if (lock_) break;
    // Another vtapefs that is starting (it answers soon) or stopping, or a
    // command changing the library's state for a moment.
    if (std::chrono::steady_clock::now() >= deadline) {
      if (answers) {
        return Status::invalid_argument(fmt::format("another vtapefs is already serving the library {} (process {})",
                                                    library_->dir(), LibraryLock::holder_pid(*library_)));
      }
      return Status::invalid_argument(fmt::format("the library {} is locked by process {} (another vtapefs?)",
                                                  library_->dir(), LibraryLock::holder_pid(*library_)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Opened (created, migrated) and closed again: an SQLite connection must
  // not cross the fork into the daemon.
  std::unique_ptr<Catalog> catalog;
  return Catalog::open(library_->catalog_path(), &catalog);
}

Status DriveService::start() {
  VTAPE_RETURN_IF_ERROR(open_library_catalog(*library_, &catalog_));
  spool_store_ = std::make_unique<SpoolStore>(*library_, *catalog_);
  // A spool file whose writing a crash cut short is not kept.
  if (Status s = spool_store_->recover(); !s.is_ok()) log_message(LogPriority::kError, "spool: " + s.message());
  // VTAPEFS_NO_CATALOG=1 (bench/catalog.sh only): drives keep no catalog,
  // to measure what the upkeep costs.
  const char* no_catalog = std::getenv("VTAPEFS_NO_CATALOG");
  bool upkeep = no_catalog == nullptr || std::string(no_catalog) != "1";
  if (upkeep) {
    for (auto& d : drives_) d->add_observer(std::make_shared<CatalogObserver>(*catalog_, d->number()));
  }
  if (mirror_) {
    for (auto& d : drives_) {
      MirrorOptions o = *mirror_;
      o.library_dir = library_->dir();
      mirrors_.push_back(std::make_unique<DriveMirror>(d->number(), o));
      d->add_observer(mirrors_.back()->observer());
    }
  }
  for (const auto& [n, volser] : library_->loaded()) {
    if (n < 0 || n >= drive_count()) {
      log_message(LogPriority::kWarning, LogFields::of_volume(volser),
                  fmt::format("stays in drive {}, which this mount does not have (--drives)", n));
      continue;
    }
    Cartridge c;
    Status s = library_->find(volser, &c);
    if (s.is_ok()) s = drives_[static_cast<size_t>(n)]->load(c);
    if (!s.is_ok()) {
      log_message(LogPriority::kError, LogFields::of_drive(n, volser).with_errno(s.sys_errno()),
                  "cannot load: " + s.message());
    }
  }
  reconcile_catalog();
  remove_retired_images();
  return control_.start(
      library_->socket_path(), [this](const std::string& r) { return handle_control(r); }, library_->file_mode(),
      [this](const std::string& r) -> std::optional<ControlServer::Session> {
        if (auto snapshot = snapshot_session(r)) return snapshot;
        if (auto wait = migration_wait_session(r)) return wait;
        if (auto unload = mirrored_unload(r)) return unload;
        return feed_session(*this, r);
      });
}

// A daemon that ended right after a migration may have left the old image
// under its hidden name (ImageRetirer), beside the library's images or
// where a cartridge's image was moved to.  The old image's name is no
// longer in the library after the switch; it was the current image's name
// (a move to another folder) or VOLSER plus the extension vtape gives a
// format (a change of format: vtape names every image it makes so).  An
// imported image with a name of its own that a killed daemon was retiring
// stays: better a leftover than a user's file deleted.
void DriveService::remove_retired_images() {
  std::vector<std::string> dirs{library_->cartridges_dir()};
  std::set<std::string> image_names;
  for (const auto& c : library_->list()) {
    std::filesystem::path image(c.image_path);
    dirs.push_back(image.parent_path().string());
    image_names.insert(image.filename().string());
    for (Format f : all_formats()) image_names.insert(c.volser + std::string(format_extension(f)));
  }
  ImageRetirer::remove_leftovers(dirs, image_names);
}

void DriveService::reconcile_catalog() {
  for (const auto& c : library_->list()) {
    Status s = sync_volume_to_catalog(*catalog_, c, /*force=*/false);
    if (!s.is_ok()) log_message(LogPriority::kError, LogFields::of_volume(c.volser), "catalog: " + s.message());
  }
}

void DriveService::stop() {
  control_.stop();
  migrations_->stop();
  // Unmounting closes every open file first; what is left is the image.
  for (auto& d : drives_) d->release();
  // The remote copies get a bounded time to catch up (the filemarks of
  // those closes included).
  for (auto& m : mirrors_) m->stop();
  for (auto& d : drives_) d->clear_observers();
  {
    std::lock_guard lock(holders_mu_);
    for (auto& h : holders_) h = Holder{};
  }
  lock_.reset();  // the library is free for the next vtapefs
}

DriveError DriveService::acquire(int n, const DriveOpenMode& mode, const std::string& door, DriveLease* lease) {
  if (n < 0 || n >= drive_count()) return DriveError::kInvalidArgument;
  uint64_t handle = 0;
  // The drive decides (it may wait for the release of a closed open);
  // then the service remembers who has it.
  if (DriveError e = drive(n).open(mode, &handle); e != DriveError::kNone) return e;
  {
    std::lock_guard lock(holders_mu_);
    holders_[static_cast<size_t>(n)] = Holder{door, handle};
  }
  DriveLease held;
  held.service_ = this;
  held.drive_ = n;
  held.handle_ = handle;
  *lease = std::move(held);
  return DriveError::kNone;
}

void DriveService::released(int n, uint64_t handle) {
  std::lock_guard lock(holders_mu_);
  // The next door may have the drive already: only its own open is forgotten.
  Holder& h = holders_[static_cast<size_t>(n)];
  if (h.handle == handle) h = Holder{};
}

std::vector<DriveStatus> DriveService::status(int only) const {
  std::vector<DriveStatus> list;
  for (const auto& d : drives_) {
    if (only >= 0 && d->number() != only) continue;
    DriveStatus st = d->status();
    if (st.open) {
      std::lock_guard lock(holders_mu_);
      st.held_by = holders_[static_cast<size_t>(d->number())].door;
    }
    if (static_cast<size_t>(d->number()) < mirrors_.size()) {
      st.mirror = mirrors_[static_cast<size_t>(d->number())]->status();
    }
    list.push_back(std::move(st));
  }
  return list;
}

// `unload N` of a mirrored drive: the drive unloads under the control
// server's lock as for any request, then the answer waits for the mirror
// (up to --mirror-unload-wait) outside it, holding no lock of the drive or
// the server: status and every other request are answered meanwhile.
std::optional<ControlServer::Session> DriveService::mirrored_unload(const std::string& line) {
  ControlRequest request;
  if (!parse_control_request(line, drive_count(), &request).is_ok()) return std::nullopt;
  if (request.verb != ControlVerb::kUnload || static_cast<size_t>(request.drive) >= mirrors_.size()) {
    return std::nullopt;
  }
  Status s = drives_[static_cast<size_t>(request.drive)]->unload();
  if (!s.is_ok()) return ControlServer::Session{"error " + s.message() + "\n", nullptr};
  std::shared_ptr<MirrorObserver> observer = mirrors_[static_cast<size_t>(request.drive)]->observer();
  return ControlServer::Session{"", [observer](int fd, std::string) {
                                  observer->wait_after_unload();
                                  static constexpr char kOk[] = "ok\n";
                                  (void)::send(fd, kOk, sizeof kOk - 1, MSG_NOSIGNAL);
                                }};
}

std::string DriveService::handle_control(const std::string& line) {
  auto error = [](const std::string& m) { return "error " + m + "\n"; };
  ControlRequest request;
  if (Status s = parse_control_request(line, drive_count(), &request); !s.is_ok()) return error(s.message());
  switch (request.verb) {
    case ControlVerb::kMigration: return migrations_->handle(request.words).value_or(error("unknown request"));
    case ControlVerb::kStatus: return control_status(request);
    case ControlVerb::kLoad: return control_load(request.drive, request.volser);
    case ControlVerb::kUnload: {
      Status s = drives_[static_cast<size_t>(request.drive)]->unload();
      return s.is_ok() ? "ok\n" : error(s.message());
    }
    case ControlVerb::kProtect: {
      Status s = set_protected(request.volser, request.protect);
      return s.is_ok() ? "ok\n" : error(s.message());
    }
    case ControlVerb::kSnapshot:
      return control_snapshot(request.volser, request.new_volser, request.max_rate, nullptr);
    case ControlVerb::kRemove: {
      std::map<int, std::string> loaded;
      for (const auto& d : drives_) {
        if (auto v = d->loaded_volser()) loaded[d->number()] = *v;
      }
      Status s = remove_cartridge(*library_, catalog_.get(), request.volser, loaded,
                                  spool_store_ ? spool_store_->volser() : SpoolStore::default_volser());
      return s.is_ok() ? "ok\n" : error(s.message());
    }
  }
  return error("unknown request");
}

std::string DriveService::control_status(const ControlRequest& request) const {
  std::vector<DriveStatus> list = status(request.drive);
  if (request.status_form == "json") {
    JsonWriter j;
    j.begin_object().field("library", library_->dir()).key("drives").begin_array();
    for (const auto& st : list) write_drive_status(j, st);
    j.end_array().end_object();
    return "ok\n" + j.str() + "\n";
  }
  std::string text;
  for (const auto& st : list) text += format_drive_status(st);
  return "ok\n" + text;
}

std::string DriveService::control_load(int drive, const std::string& volser) {
  auto error = [](const std::string& m) { return "error " + m + "\n"; };
  Cartridge c;
  Status s = library_->find(volser, &c);
  if (!s.is_ok()) return error(s.message());
  for (const auto& d : drives_) {
    if (d->loaded_volser() == c.volser) return error(fmt::format("{} is already in drive {}", c.volser, d->number()));
  }
  if (migrations_->migrating(c.volser)) {
    return error(fmt::format("{} is being migrated (vtape migrate --abort {} stops it)", c.volser, c.volser));
  }
  s = drives_[static_cast<size_t>(drive)]->load(c);
  return s.is_ok() ? "ok\n" : error(s.message());
}

Status DriveService::set_protected(const std::string& volser, bool on) {
  VTAPE_RETURN_IF_ERROR(library_->set_protected(volser, on));
  Cartridge c;
  (void)library_->find(volser, &c);
  for (const auto& d : drives_) {
    if (d->loaded_volser() == c.volser) d->set_write_protected(on);
  }
  if (catalog_) VTAPE_RETURN_IF_ERROR(catalog_->upsert_volume(volume_row(c)));
  return Status::ok();
}

// The snapshot's answer; snapshot_session runs it on its connection's
// thread, so the copy of the image holds up no other control request.
std::string DriveService::control_snapshot(const std::string& volser, const std::string& new_volser,
                                           uint64_t max_rate, const std::atomic<bool>* client_gone) {
  auto error = [](const std::string& m) { return "error " + m + "\n"; };
  Cartridge c;
  if (Status s = library_->find(volser, &c); !s.is_ok()) return error(s.message());
  TapeDrive* in = nullptr;
  for (auto& d : drives_) {
    if (d->loaded_volser() == c.volser) in = d.get();
  }
  SnapshotReport r;
  if (Status s = snapshot_cartridge(*library_, *catalog_, c.volser, new_volser, max_rate, in, &r, client_gone);
      !s.is_ok()) {
    // Nobody reads the answer of a client that hung up: the log says it.
    if (client_gone != nullptr && client_gone->load()) {
      log_message(LogPriority::kNotice, LogFields::of_volume(c.volser), s.message());
    }
    return error(s.message());
  }
  return "ok\n" + snapshot_report_text(r);
}

namespace {

// The answer to a request that kept its connection, all of it (a client
// that went away gets nothing).
void send_all(int fd, const std::string& answer) {
  size_t done = 0;
  while (done < answer.size()) {
    ssize_t n = ::send(fd, answer.data() + done, answer.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

// A snapshot copies a whole image: it runs on its connection's thread,
// outside the one-request-at-a-time lock, so that other control requests
// (vtape status, another drive's load) are answered while it copies.  Its
// answer comes when it is done.  A client that hangs up before then stops
// the copy (its place on the control socket and the half-made cartridge
// are not kept for nobody); so does stop(), which shuts the socket.
std::optional<ControlServer::Session> DriveService::snapshot_session(const std::string& line) {
  ControlRequest request;
  if (!parse_control_request(line, drive_count(), &request).is_ok() || request.verb != ControlVerb::kSnapshot) {
    return std::nullopt;  // handle_control answers it (a malformed request: its error)
  }
  // The drives outlive the session: stop() ends the control server first,
  // which waits for it.
  return ControlServer::Session{"", [this, request](int fd, std::string) {
                                  ClientHangupWatch client(fd);
                                  send_all(fd, control_snapshot(request.volser, request.new_volser, request.max_rate,
                                                                client.hung_up()));
                                }};
}

// "migrate-status VOLSER wait=MS" waits (for the migration's end, at most
// MS) on its connection's thread, outside the one-request-at-a-time lock:
// `vtape migrate` hears of the end at once instead of polling for it.
std::optional<ControlServer::Session> DriveService::migration_wait_session(const std::string& line) {
  ControlRequest request;
  if (!parse_control_request(line, drive_count(), &request).is_ok() || request.verb != ControlVerb::kMigration) {
    return std::nullopt;
  }
  auto answer = migrations_->status_waiter(request.words);
  if (!answer) return std::nullopt;
  return ControlServer::Session{"", [answer = std::move(*answer)](int fd, std::string) { send_all(fd, answer()); }};
}

}  // namespace vtape
