#include "library/cartridge_migration.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "index/catalog.h"
#include "index/digest.h"
#include "library/catalog_sync.h"
#include "library/daemon_log.h"
#include "library/dirty_marker.h"
#include "library/resume_checkpoints.h"
#include "tapeformat/format_table.h"

namespace vtape {
namespace {

// The rest of the copy that the synchronous phase starts from: small
// enough to copy while the writer waits.
constexpr uint64_t kSmallGap = 4u << 20;
// Catch-up passes before the synchronous phase even if each shrinks the gap.
constexpr int kMaxPasses = 8;
// Rounds of copying what came during the last copy and its sync, before
// the synchronous phase takes the rest with the writer held.
constexpr int kSettlingRounds = 6;
// Rounds of copying, without a sync, what came during the last round, just
// before the synchronous phase: a sync lets a fast writer add a hundred
// MiB, which the phase's start then copied with the writer held (135 ms);
// a copy from the page cache outruns the writer, so each round is shorter.
constexpr int kClosingRounds = 4;
// The copy goes in steps of so many bytes (a stop or a cut is seen between
// two), and is synced and the state file written after a step at most
// this often: a sync waits for the disk, and one every 64 MiB took 0.7 s
// of an idle gibibyte's 1.8 s; a resume copies again at most this much.
constexpr uint64_t kStateEvery = 64u << 20;
constexpr std::chrono::milliseconds kCheckpointEvery{1000};

std::string position_text(const TapePosition& p) {
  return fmt::format("{} {} {} {}", p.file, p.block, p.object_index, p.offset);
}

bool parse_position(const std::string& text, TapePosition* out) {
  std::istringstream in(text);
  return static_cast<bool>(in >> out->file >> out->block >> out->object_index >> out->offset);
}

std::map<std::string, std::string> read_state(const std::string& path) {
  std::map<std::string, std::string> state;
  std::ifstream in(path);
  std::string key;
  while (in >> key) {
    std::string value;
    std::getline(in >> std::ws, value);
    state[key] = value;
  }
  return state;
}

// A directory the migration may write its copy into: made (0700, or
// 02770 for a library shared with a group, owned as the library) when it
// is missing, and proven writable by making an unnamed file in it.
Status prepare_target_dir(const TapeLibrary& library, const std::string& dir) {
  if (dir.empty() || dir[0] != '/') return Status::invalid_argument(fmt::format("'{}' is not an absolute path", dir));
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return Status::io_error(fmt::format("target {}", dir), errno);
    mode_t mode = library.file_mode() == 0600 ? 0700 : 02770;
    if (::mkdir(dir.c_str(), mode) != 0) return Status::io_error(fmt::format("cannot make the target {}", dir), errno);
    if (::chmod(dir.c_str(), mode) != 0 || ::chown(dir.c_str(), library.owner(), library.group()) != 0) {
      int e = errno;
      ::rmdir(dir.c_str());
      return Status::io_error(fmt::format("cannot give the target {} the library's owner and mode", dir), e);
    }
  } else if (!S_ISDIR(st.st_mode)) {
    return Status::invalid_argument(fmt::format("the target {} is not a directory", dir));
  }
  int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
    fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0 && ::access(dir.c_str(), W_OK) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  if (fd < 0) return Status::io_error(fmt::format("the target {} is not writable", dir), errno);
  ::close(fd);
  return Status::ok();
}

}  // namespace

const char* describe(MigrationPhase phase) {
  switch (phase) {
    case MigrationPhase::kCopying: return "copying";
    case MigrationPhase::kSynchronous: return "synchronous";
    case MigrationPhase::kVerifying: return "verifying";
    case MigrationPhase::kDone: return "done";
    case MigrationPhase::kSimulated: return "simulated";
    case MigrationPhase::kFailed: return "failed";
    case MigrationPhase::kAborted: return "aborted";
  }
  return "?";
}

CartridgeMigration::CartridgeMigration(TapeLibrary& library, MigrationRequest request, TapeDrive* drive)
    : library_(library), request_(std::move(request)), drive_(drive) {
  report_.volser = request_.volser;
  report_.drive = drive != nullptr ? drive->number() : -1;
}

CartridgeMigration::~CartridgeMigration() {
  if (drive_ != nullptr && observer_) drive_->remove_observer(observer_.get());
}

std::string CartridgeMigration::state_path(const TapeLibrary& library, const std::string& volser) {
  return library.cartridges_dir() + "/" + volser + ".migration";
}

Status CartridgeMigration::discard_interrupted(const TapeLibrary& library, const std::string& volser) {
  std::string path = state_path(library, volser);
  auto state = read_state(path);
  if (state.empty()) return Status::not_found(fmt::format("no migration of {} is running or was cut short", volser));
  // Cut short after the switch: the copy is the cartridge's image now.
  Cartridge c;
  bool switched = library.find(volser, &c).is_ok() && c.image_path == state["target"];
  if (!state["target"].empty() && !switched) {
    remove_dirty_marker(state["target"]);
    ::unlink(state["target"].c_str());
  }
  ::unlink(path.c_str());
  return Status::ok();
}

Status CartridgeMigration::prepare() {
  VTAPE_RETURN_IF_ERROR(library_.find(request_.volser, &cartridge_));
  request_.volser = report_.volser = cartridge_.volser;
  report_.from = cartridge_.image_path;
  report_.from_format = format_name(cartridge_.format);
  std::string state_file = state_path(library_, cartridge_.volser);
  auto state = read_state(state_file);
  if (request_.resume) {
    if (state.empty()) return Status::not_found(fmt::format("no migration of {} was cut short", cartridge_.volser));
    auto format = parse_format(state["format"]);
    ImageCopier::Checkpoint at;
    if (!format || !parse_position(state["source"], &at.source) || !parse_position(state["target_at"], &at.target)) {
      return Status::invalid_argument(fmt::format("{}: not a migration state file", state_file));
    }
    at.records = std::strtoull(state["records"].c_str(), nullptr, 10);
    target_format_ = *format;
    target_path_ = state["target"];
    if (target_path_ == cartridge_.image_path) {
      // Cut short between the switch and the removal of the state file.
      ::unlink(state_file.c_str());
      return Status::invalid_argument(
          fmt::format("the migration of {} had switched to {} already: nothing is left to do", cartridge_.volser,
                      target_path_));
    }
    request_.keep_old = state["keep_old"] == "1";
    request_.target_dir = target_path_.substr(0, target_path_.rfind('/'));
    struct stat st {};
    if (::stat(cartridge_.image_path.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) < at.source.offset) {
      return Status::invalid_argument(fmt::format("{} is shorter than the part the interrupted migration copied; "
                                                  "vtape migrate --abort {} and start again",
                                                  cartridge_.image_path, cartridge_.volser));
    }
    // Where the tape files the copy holds already begin in both images
    // (the catalog's offsets move to the new image's at the switch).
    std::vector<ImageCopier::Checkpoint> earlier;
    if (Status s = find_resume_checkpoints(cartridge_.image_path, cartridge_.format, target_path_, target_format_, at,
                                           &earlier);
        !s.is_ok()) {
      return Status::invalid_argument(
          fmt::format("{}; vtape migrate --abort {} and start again", s.message(), cartridge_.volser));
    }
    OpenOptions options;
    options.writable = true;
    options.format = target_format_;
    std::unique_ptr<TapeImage> target;
    VTAPE_RETURN_IF_ERROR(TapeImage::open(target_path_, options, &target));
    copier_ = std::make_unique<ImageCopier>(cartridge_.image_path, cartridge_.format, std::move(target));
    copier_->resume_at(at, earlier);
    // What was written after the checkpoint may be torn: it is copied again.
    VTAPE_RETURN_IF_ERROR(copier_->target().erase_to_end());
  } else {
    if (!state.empty()) {
      return Status::invalid_argument(fmt::format("a migration of {} was cut short: vtape migrate --resume {} or "
                                                  "vtape migrate --abort {}",
                                                  cartridge_.volser, cartridge_.volser, cartridge_.volser));
    }
    target_format_ = request_.format.value_or(cartridge_.format);
    if (!format_is_writable(target_format_)) {
      return Status::invalid_argument(fmt::format("a cartridge cannot be in the read-only {} format",
                                                  format_name(target_format_)));
    }
    VTAPE_RETURN_IF_ERROR(prepare_target_dir(library_, request_.target_dir));
    std::string dir = request_.target_dir;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    target_path_ = dir + "/" + cartridge_.volser + std::string(format_spec(target_format_).extensions[0]);
    if (target_path_ == cartridge_.image_path) {
      return Status::invalid_argument(fmt::format("{} is there already ({})", cartridge_.volser, target_path_));
    }
    std::unique_ptr<TapeImage> target;
    VTAPE_RETURN_IF_ERROR(TapeImage::create(target_path_, target_format_, WriteOptions{}, /*overwrite=*/false, &target));
    if (Status s = library_.adopt_file(target_path_); !s.is_ok()) {
      ::unlink(target_path_.c_str());
      return s;
    }
    copier_ = std::make_unique<ImageCopier>(cartridge_.image_path, cartridge_.format, std::move(target));
    if (!request_.simulate) {
      if (Status s = save_state(); !s.is_ok()) {
        ::unlink(target_path_.c_str());
        return s;
      }
    }
  }
  report_.to = target_path_;
  report_.to_format = format_name(target_format_);
  if (drive_ != nullptr) {
    observer_ = std::make_shared<MigrationObserver>();
    drive_->add_observer(observer_);
  }
  // Read after the observer is on the drive: a tape file rewritten from now
  // on is one the observer reports, and the copy forgets its digest.
  expect_catalog_digests();
  return Status::ok();
}

// The copy checks each tape file the catalog recorded whole as it copies
// it (a tape file still being written has no digest yet).
void CartridgeMigration::expect_catalog_digests() {
  std::unique_ptr<Catalog> catalog;
  std::vector<TapeFileRow> rows;
  if (!Catalog::open_read_only(library_.catalog_path(), &catalog).is_ok() ||
      !catalog->files(cartridge_.volser, &rows).is_ok()) {
    return;
  }
  std::map<uint64_t, ImageCopier::ExpectedDigest> digests;
  for (const auto& r : rows) {
    auto algorithm = parse_digest_name(r.digest_algorithm);
    if (!r.digest.empty() && !r.writing && algorithm) digests[r.file_number] = {*algorithm, r.digest};
  }
  copier_->expect_digests(std::move(digests));
}

Status CartridgeMigration::save_state() {
  const ImageCopier::Checkpoint& at = copier_->position();
  std::string text = fmt::format("target {}\nformat {}\nkeep_old {}\nsource {}\ntarget_at {}\nrecords {}\n",
                                 target_path_, format_name(target_format_), request_.keep_old ? 1 : 0,
                                 position_text(at.source), position_text(at.target), at.records);
  return write_file_atomically(state_path(library_, cartridge_.volser), text, library_.file_mode());
}

void CartridgeMigration::set_phase(MigrationPhase phase) {
  std::lock_guard lock(mu_);
  report_.phase = phase;
}

void CartridgeMigration::fail(MigrationPhase phase, const std::string& message) {
  std::lock_guard lock(mu_);
  end_report_locked(phase);
  report_.message = message;
}

// The report's last figures go in with the phase that ends it: once a
// client sees a finished phase, report() no longer adds the running ones
// (a `vtape migrate` that asked just then got zero counts and 0 s).
void CartridgeMigration::end_report_locked(MigrationPhase phase) {
  if (copier_) report_.counts = copier_->counts();
  if (observer_) report_.longest_hold_ms = std::max(report_.longest_hold_ms, observer_->longest_hold_ms());
  report_.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  report_.phase = phase;
}

void CartridgeMigration::note_hold(std::chrono::steady_clock::duration held) {
  std::chrono::duration<double, std::milli> ms = held;
  std::lock_guard lock(mu_);
  report_.longest_hold_ms = std::max(report_.longest_hold_ms, ms.count());
}

MigrationReport CartridgeMigration::report() {
  std::lock_guard lock(mu_);
  return report_locked();
}

MigrationReport CartridgeMigration::wait_report(std::chrono::milliseconds most) {
  std::unique_lock lock(mu_);
  ended_.wait_for(lock, most, [this] { return report_.finished(); });
  return report_locked();
}

MigrationReport CartridgeMigration::report_locked() {
  MigrationReport r = report_;
  if (copier_ && !r.finished()) r.counts = copier_->counts();
  if (observer_) r.longest_hold_ms = std::max(r.longest_hold_ms, observer_->longest_hold_ms());
  if (!r.finished()) {
    r.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }
  return r;
}

void CartridgeMigration::remove_partial() {
  close_copier();
  ::unlink(target_path_.c_str());
  ::unlink(state_path(library_, cartridge_.volser).c_str());
}

void CartridgeMigration::close_copier() {
  if (!copier_) return;
  std::lock_guard lock(mu_);
  report_.counts = copier_->counts();
  moved_files_ = copier_->file_starts();
  verified_files_ = copier_->verified_files();
  copier_.reset();
}

void CartridgeMigration::run() {
  {
    // report() reads it on the control socket's thread.
    std::lock_guard lock(mu_);
    started_ = std::chrono::steady_clock::now();
  }
  Status s = copy_passes();
  if (s.is_ok()) s = drive_ != nullptr ? switch_drive() : finish_offline();
  if (drive_ != nullptr && observer_) drive_->remove_observer(observer_.get());
  end_run(s);
  // Whoever waits for the end (wait_report) hears of it now.
  ended_.notify_all();
}

void CartridgeMigration::end_run(const Status& s) {
  std::lock_guard lock(mu_);
  if (copier_) report_.counts = copier_->counts();
  if (observer_) report_.longest_hold_ms = std::max(report_.longest_hold_ms, observer_->longest_hold_ms());
  report_.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (!s.is_ok() && report_.phase < MigrationPhase::kVerifying) {
    // Before the switch: the original stays in use, the copy goes.
    bool aborted = abort_.load();
    report_.phase = aborted ? MigrationPhase::kAborted : MigrationPhase::kFailed;
    report_.message = aborted ? fmt::format("aborted; {} stays on {}", cartridge_.volser, cartridge_.image_path)
                              : fmt::format("{}; {} stays on {}", s.message(), cartridge_.volser, cartridge_.image_path);
    copier_.reset();  // its counts are in the report already
    if (made_marker_) remove_dirty_marker(target_path_);
    ::unlink(target_path_.c_str());
    ::unlink(state_path(library_, cartridge_.volser).c_str());
  } else if (!s.is_ok()) {
    report_.phase = MigrationPhase::kFailed;
    report_.message = s.message();
  }
}

Status CartridgeMigration::copy_passes() {
  copier_->set_max_rate(request_.max_rate);
  uint64_t last_gap = UINT64_MAX;
  int settling_rounds = 0;
  for (;;) {
    if (abort_) return Status::invalid_argument("aborted");
    if (observer_ && observer_->unloaded()) {
      return Status::invalid_argument(fmt::format("{} was unloaded during the migration", cartridge_.volser));
    }
    uint64_t size = 0;
    if (drive_ != nullptr) {
      VTAPE_RETURN_IF_ERROR(drive_->with_flushed_image(cartridge_.volser, [&](uint64_t image_size, auto*) {
        size = image_size;
        return Status::ok();
      }));
      uint64_t changed = observer_->take_changed_from();
      if (changed != MigrationObserver::kNoChange) VTAPE_RETURN_IF_ERROR(copier_->cut_at(changed));
    } else {
      struct stat st {};
      if (::stat(cartridge_.image_path.c_str(), &st) != 0) return Status::io_error(cartridge_.image_path, errno);
      size = static_cast<uint64_t>(st.st_size);
    }
    {
      std::lock_guard lock(mu_);
      report_.source_size = size;
    }
    uint64_t gap = size > copier_->source_offset() ? size - copier_->source_offset() : 0;
    if (drive_ == nullptr && gap == 0) return copier_->sync();
    if (drive_ != nullptr && (gap <= kSmallGap || gap >= last_gap || report_.passes >= kMaxPasses)) {
      // The rest is copied and synced here, while the writer goes on: the
      // synchronous phase begins with what came meanwhile only.
      Status s = copier_->copy_until(size, &abort_);
      if (!s.is_ok() && observer_->changed_below(UINT64_MAX)) continue;  // a cut: copied again
      if (s.is_ok()) s = copier_->sync();
      // A fast writer wrote much while this copy and its sync ran, and the
      // synchronous phase would copy all of it with the writer held (83 ms
      // under dd at 640 MB/s): another round first, while the writer goes
      // on, until the rest is a few MiB.
      if (s.is_ok() && gap > kSmallGap && ++settling_rounds < kSettlingRounds) {
        last_gap = gap;
        continue;
      }
      if (s.is_ok()) s = close_in();
      if (!s.is_ok() && observer_->changed_below(UINT64_MAX)) continue;  // a cut: copied again
      return s;
    }
    last_gap = gap;
    auto last_checkpoint = std::chrono::steady_clock::now();
    while (copier_->source_offset() < size) {
      uint64_t step = std::min(size, copier_->source_offset() + kStateEvery);
      Status s = copier_->copy_until(step, &abort_);
      if (!s.is_ok()) {
        // A cut while this pass read: the next pass copies again from it.
        if (observer_ && observer_->changed_below(UINT64_MAX)) break;
        return s;
      }
      // The end of the pass needs none: the last round syncs.
      auto now = std::chrono::steady_clock::now();
      if (now - last_checkpoint >= kCheckpointEvery && copier_->source_offset() < size) {
        VTAPE_RETURN_IF_ERROR(copier_->sync());
        if (!request_.simulate) VTAPE_RETURN_IF_ERROR(save_state());
        last_checkpoint = now;
      }
    }
    std::lock_guard lock(mu_);
    ++report_.passes;
  }
}

Status CartridgeMigration::close_in() {
  for (int round = 0; round < kClosingRounds; ++round) {
    uint64_t size = 0;
    VTAPE_RETURN_IF_ERROR(drive_->with_flushed_image(cartridge_.volser, [&](uint64_t image_size, auto*) {
      size = image_size;
      return Status::ok();
    }));
    if (observer_->changed_below(UINT64_MAX)) return Status::ok();  // the switch's first hold follows the cut
    uint64_t from = copier_->source_offset();
    if (size <= from) return Status::ok();
    VTAPE_RETURN_IF_ERROR(copier_->copy_until(size, &abort_));
    if (size - from <= kSmallGap) return Status::ok();
  }
  return Status::ok();
}

Status CartridgeMigration::catch_up_locked(uint64_t image_size) {
  uint64_t changed = observer_->take_changed_from();
  if (changed != MigrationObserver::kNoChange) VTAPE_RETURN_IF_ERROR(copier_->cut_at(changed));
  return copier_->copy_until(image_size);
}

Status CartridgeMigration::switch_drive() {
  // The synchronous phase: the copy catches up with the tape while the
  // writer waits, and from then on takes each record with it: at full
  // speed, whatever --max-rate said.
  copier_->set_max_rate(0);
  std::chrono::steady_clock::duration held{};
  Status s = drive_->with_flushed_image(
      cartridge_.volser,
      [&](uint64_t size, auto*) {
        VTAPE_RETURN_IF_ERROR(catch_up_locked(size));
        observer_->start_synchronous(copier_.get());
        return Status::ok();
      },
      &held);
  note_hold(held);
  if (!s.is_ok()) return s;
  set_phase(MigrationPhase::kSynchronous);
  if (in_synchronous_phase_) in_synchronous_phase_();
  if (abort_) return Status::invalid_argument("aborted");
  // What the copy holds goes to disk now, while the writer goes on: the
  // switch syncs only the records written since.  So does the copy's name
  // in its directory, and, when the drive is writing (its image has a
  // .dirty marker), the copy's marker, which the switch then only updates.
  // The writer goes on meanwhile, so each sync leaves what it wrote during
  // it for the next: a few rounds, until a round had little to do, leave
  // the switch (under the drive's lock) a few MiB at most, not the
  // hundreds a fast writer adds during the first sync.
  uint64_t synced = 0;
  uint64_t drive_syncs = 0;
  for (int round = 0; round < kSyncRounds; ++round) {
    uint64_t before = synced;
    // A sync point of the drive's from now on: the switch syncs the copy.
    drive_syncs = drive_->image_syncs();
    VTAPE_RETURN_IF_ERROR(observer_->sync_copy(target_path_, &synced));
    if (synced == 0 || (round > 0 && synced - before < kSmallSync)) break;
  }
  VTAPE_RETURN_IF_ERROR(sync_directory_of(target_path_));
  if (!request_.simulate && synced > 0 && has_dirty_marker(cartridge_.image_path)) {
    VTAPE_RETURN_IF_ERROR(mark_unsynced(target_path_, synced));
    made_marker_ = true;
  }
  // The library's record of the cartridge, naming the copy, written and
  // synced now: the switch only renames it into place.
  StagedImage description;
  if (!request_.simulate) {
    VTAPE_RETURN_IF_ERROR(library_.stage_image(cartridge_.volser, target_path_, target_format_, &description));
  }
  // The switch, between two records.
  Cartridge moved = cartridge_;
  moved.image_path = target_path_;
  moved.format = target_format_;
  bool synced_after_switch = false;
  s = drive_->with_flushed_image(cartridge_.volser, [&](uint64_t size, TapeDrive::ImageReplacement* replacement) {
    // The records the writer wrote in the synchronous phase are in the
    // copy already: the source offset they end at is the tape's end now.
    bool unbroken = observer_->stop_synchronous();
    if (unbroken) copier_->appended_up_to(size);
    if (auto failure = observer_->failure()) return *failure;
    if (observer_->unloaded()) {
      return Status::invalid_argument(fmt::format("{} was unloaded during the migration", cartridge_.volser));
    }
    // A cut ended the synchronous phase: the copy catches up once more.
    VTAPE_RETURN_IF_ERROR(catch_up_locked(size));
    // The copy goes to the kernel now: a killed daemon loses nothing the
    // writer was told was written.  On disk it must be too if the drive
    // reached a sync point since the last round began (the old image holds
    // those records after a power loss); otherwise what the copy lacks on
    // disk the old image lacks too, the copy's marker says where its disk
    // ends, and its sync waits until after the switch (under this lock a
    // sync waits for the journal, and so for every file's data: 60 ms).
    // Asked once: a stat under the drive's lock.
    const bool image_marked = has_dirty_marker(cartridge_.image_path);
    bool sync_now = request_.simulate || !unbroken || !made_marker_ || drive_->image_syncs() != drive_syncs ||
                    !image_marked;
    VTAPE_RETURN_IF_ERROR(sync_now ? copier_->sync() : copier_->flush());
    if (!sync_now) {
      replacement->synced_size = synced;
      synced_after_switch = true;
    }
    if (request_.simulate) return Status::ok();
    // The library's record points at the copy before the writer writes to
    // it: a crash from now on finds the cartridge where its records are
    // (its directory is synced after the switch, for a power loss).
    VTAPE_RETURN_IF_ERROR(library_.install_image(&description));
    // The drive not writing after all: the copy needs no marker.
    if (made_marker_ && !image_marked) remove_dirty_marker(target_path_);
    replacement->image_marked = image_marked;
    // A tape file being written goes on in the copy: the drive and the
    // catalog's recorder learn where it (and every other) begins there.
    for (const auto& f : copier_->file_starts()) replacement->file_offsets[f.file] = f.target_offset;
    replacement->image = copier_->release_target();
    return Status::ok();
  }, &held);
  note_hold(held);
  if (s.is_ok()) {
    moved_files_ = copier_->file_starts();
    verified_files_ = copier_->verified_files();
  }
  if (drive_->status().volser == cartridge_.volser) files_settled_ = static_cast<uint64_t>(drive_->status().file);
  if (!s.is_ok()) {
    // The record may point at the copy already if the drive then refused it.
    if (!request_.simulate) (void)library_.set_image(cartridge_.volser, cartridge_.image_path, cartridge_.format);
    return s;
  }
  if (!request_.simulate) {
    // The copy on disk before its name in the library's record is.
    Status d = synced_after_switch ? sync_file_at(target_path_) : Status::ok();
    if (d.is_ok()) d = library_.sync_cartridges_dir();
    if (!d.is_ok()) {
      log_message(LogPriority::kError, LogFields::of_drive(drive_->number(), cartridge_.volser),
                  "migrate: " + d.message());
    }
  }
  if (request_.simulate) {
    set_phase(MigrationPhase::kVerifying);
    Status v = verify_copy();
    remove_partial();
    if (!v.is_ok()) return v;
    fail(MigrationPhase::kSimulated,
         fmt::format("the switch would put {} in drive {} on {} ({}); the copy verified and was removed",
                     cartridge_.volser, drive_->number(), target_path_, format_name(target_format_)));
    return Status::ok();
  }
  ::unlink(state_path(library_, cartridge_.volser).c_str());
  set_phase(MigrationPhase::kVerifying);
  return record_switch();
}

Status CartridgeMigration::finish_offline() {
  set_phase(MigrationPhase::kVerifying);
  if (request_.simulate) {
    Status v = verify_copy();
    remove_partial();
    if (!v.is_ok()) return v;
    fail(MigrationPhase::kSimulated, fmt::format("the switch would put {} on {} ({}); the copy verified and was removed",
                                                 cartridge_.volser, target_path_, format_name(target_format_)));
    return Status::ok();
  }
  close_copier();  // the copy is whole and synced
  if (Status v = verify_copy(); !v.is_ok()) {
    remove_partial();
    // Before the switch here: the original stays.
    std::lock_guard lock(mu_);
    report_.phase = MigrationPhase::kCopying;
    return v;
  }
  VTAPE_RETURN_IF_ERROR(library_.set_image(cartridge_.volser, target_path_, target_format_));
  ::unlink(state_path(library_, cartridge_.volser).c_str());
  return record_switch();
}

// The copy against the catalog's digests of every tape file the catalog
// recorded whole (a tape file still being written has none yet).  After a
// switch the drive may be writing: the tape files from the one it stood in
// at the switch on, and any it changed since, are not compared (their rows
// may be those of the tape files they replace).
Status CartridgeMigration::verify_copy() {
  std::unique_ptr<Catalog> catalog;
  if (!Catalog::open_read_only(library_.catalog_path(), &catalog).is_ok()) return Status::ok();
  std::vector<TapeFileRow> rows;
  VTAPE_RETURN_IF_ERROR(catalog->files(cartridge_.volser, &rows));
  // The tape files the copy checked as it copied them are not read again.
  uint64_t checked = 0;
  std::map<uint64_t, const TapeFileRow*> by_file;
  for (const auto& r : rows) {
    if (r.digest.empty() || r.writing || !parse_digest_name(r.digest_algorithm)) continue;
    if (verified_files_.count(r.file_number) != 0) {
      ++checked;
    } else {
      by_file[r.file_number] = &r;
    }
  }
  OpenOptions options;
  options.format = target_format_;
  std::unique_ptr<TapeImage> image;
  if (!by_file.empty()) VTAPE_RETURN_IF_ERROR(TapeImage::open(target_path_, options, &image));
  std::vector<uint8_t> data;
  while (!by_file.empty() && image->position().file <= by_file.rbegin()->first &&
         image->position().file < files_settled_) {
    uint64_t file = image->position().file;
    auto row = by_file.find(file);
    std::optional<Digest> digest;
    if (row != by_file.end()) digest.emplace(*parse_digest_name(row->second->digest_algorithm));
    TapeObject obj;
    for (;;) {
      // A tape file not checked here is stepped over (its data not read).
      if (Status s = image->read(&obj, digest ? &data : nullptr); !s.is_ok()) {
        return Status::invalid_argument(image->describe(s));
      }
      if (obj.kind != ObjectKind::kRecord) break;
      if (digest) digest->update(data);
    }
    if (digest && observer_ && observer_->changed_below(image->position().object_index)) digest.reset();
    if (digest) {
      std::string got = digest->hex_digest();
      if (got != row->second->digest) {
        return Status::invalid_argument(fmt::format("{}: tape file {} has {} {}, the catalog says {}", target_path_,
                                                    file, row->second->digest_algorithm, got, row->second->digest));
      }
      ++checked;
    }
    if (obj.kind == ObjectKind::kEndOfData) break;
  }
  std::lock_guard lock(mu_);
  report_.message = fmt::format("{} tape file{} verified against the catalog", checked, checked == 1 ? "" : "s");
  return Status::ok();
}

Status CartridgeMigration::record_switch() {
  MigrationReport r = report();
  std::string detail = fmt::format(
      "migrated from {} ({}) to {} ({}): {} bytes read, {} records copied, {} recopied, {} passes, writer held at "
      "most {:.1f} ms",
      cartridge_.image_path, format_name(cartridge_.format), target_path_, format_name(target_format_),
      r.counts.bytes_read, r.counts.records_copied, r.counts.records_recopied, r.passes, r.longest_hold_ms);
  std::unique_ptr<Catalog> catalog;
  Status s = open_library_catalog(library_, &catalog);
  Cartridge moved;
  if (s.is_ok()) s = library_.find(cartridge_.volser, &moved);
  // The tape files' offsets are those of the new image now (another
  // format frames records differently): where the copier wrote each one.
  std::vector<Catalog::MovedTapeFile> files;
  for (const auto& f : moved_files_) files.push_back({f.file, f.source_offset, f.target_offset});
  if (s.is_ok()) {
    s = catalog->record_image_move(volume_row(moved), files, drive_ != nullptr ? drive_->number() : -1, "migrate",
                                   detail);
  }
  if (Status v = drive_ != nullptr ? verify_copy() : Status::ok(); !v.is_ok()) {
    // Switched, but the copy disagrees with the catalog: the old image is kept.
    fail(MigrationPhase::kFailed, fmt::format("{}; the old image {} is kept", v.message(), cartridge_.image_path));
    return Status::ok();
  }
  if (!request_.keep_old) {
    if (retirer_ != nullptr) {
      retirer_->retire(cartridge_.image_path);
    } else {
      ::unlink(cartridge_.image_path.c_str());
    }
  }
  std::lock_guard lock(mu_);
  end_report_locked(MigrationPhase::kDone);
  if (!s.is_ok()) report_.message += "; the catalog was not updated: " + s.message();
  warn_of_long_het_records(r.counts.records_over_64k);
  return Status::ok();
}

// Hercules' hetmap reads records of up to one HET chunk only: a migration
// to HET says so (the report and the log) when the tape has longer ones.
void CartridgeMigration::warn_of_long_het_records(uint64_t records) {
  if (target_format_ != Format::kHet || records == 0) return;
  std::string warning = fmt::format("warning: {} record{} longer than 65535 bytes, which Hercules' hetmap cannot read",
                                    records, records == 1 ? " is" : "s are");
  report_.message += "; " + warning;
  log_message(LogPriority::kWarning, LogFields::of_drive(drive_ != nullptr ? drive_->number() : -1, cartridge_.volser),
              fmt::format("migrate {} to {}: {}", cartridge_.volser, target_path_, warning));
}

}  // namespace vtape
