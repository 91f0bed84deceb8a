// CartridgeMigration: one `vtape migrate` of a cartridge to new storage
// (issue 19, man/vtape-migrate.1), the same whether the daemon runs it for
// a cartridge in a drive or the command runs it for one on the shelf.
//
// In a drive, while a program may be writing to it: a bulk copy of the
// image (ImageCopier), then catch-up passes for what was appended since
// (following any cut, which a MigrationObserver on the drive reports);
// when the rest is small, or a pass did not shrink it, the synchronous
// phase (each new record goes to the copy before the writer's call
// returns), then the switch: under the drive's mutex, between two records,
// the copy becomes the drive's image at the same position.  The writer
// never sees an error: a failure of the copy (a full target) ends the
// migration with the original in use.  After the switch the copy is
// checked against the catalog's digests, the library's record of the
// cartridge points at it, the catalog gets a "migrate" event, and the old
// image is deleted (or kept: keep_old).
//
// A small state file (DIR/cartridges/VOLSER.migration) says where the
// partial copy is, up to a checkpoint that is on disk, so that a migration
// cut short by the daemon's death can be resumed.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "library/image_copier.h"
#include "library/image_retirer.h"
#include "library/migration_observer.h"
#include "library/tape_drive.h"
#include "library/tape_library.h"

namespace vtape {

struct MigrationRequest {
  std::string volser;
  std::string target_dir;          // absolute
  std::optional<Format> format;    // the cartridge's when not given
  bool simulate = false;           // copy and check, then remove the copy: no switch
  bool keep_old = false;           // the old image stays after the switch
  bool resume = false;             // continue the copy a state file describes
  uint64_t max_rate = 0;           // bytes a second the copy reads at most while the writer runs (0: no limit)
};

enum class MigrationPhase { kCopying, kSynchronous, kVerifying, kDone, kSimulated, kFailed, kAborted };
const char* describe(MigrationPhase phase);

struct MigrationReport {
  std::string volser;
  std::string from, to;            // image paths
  std::string from_format, to_format;
  int drive = -1;                  // -1: not in a drive
  MigrationPhase phase = MigrationPhase::kCopying;
  std::string message;             // why it failed, or what happened
  uint64_t source_size = 0;        // the image's size when last looked at
  CopyCounts counts;
  int passes = 0;
  double longest_hold_ms = 0;      // the writer held: the synchronous phase or the switch
  double elapsed_s = 0;
  bool finished() const { return phase >= MigrationPhase::kDone; }
};

class CartridgeMigration {
 public:
  // `drive`: the drive that holds the cartridge, or null when it is in
  // none (then nothing may load it until run() returns).
  CartridgeMigration(TapeLibrary& library, MigrationRequest request, TapeDrive* drive);
  ~CartridgeMigration();

  // The checks that can refuse at once (the cartridge, the target, a
  // migration left to resume), and the target made.  Nothing is changed
  // when it fails.
  Status prepare();
  // Does the migration; the report says how it ended.
  void run();
  // Stops it before the switch (a no-op after): the original stays in use,
  // the partial copy and the state file are removed.
  void abort() { abort_ = true; }
  // The old image, once retired, goes through `retirer` (which deletes it
  // on a thread of its own) instead of being deleted before the end is
  // reported.  Before run().
  void set_retirer(ImageRetirer* retirer) { retirer_ = retirer; }
  // For tests: runs on the migration's thread once the synchronous phase
  // has begun, before the copy's syncs and the switch (a writer's records
  // then surely fall in the phase).  Before run().
  void set_in_synchronous_phase(std::function<void()> hook) { in_synchronous_phase_ = std::move(hook); }
  MigrationReport report();
  // The report once the migration has ended, or after `most` if it has not.
  MigrationReport wait_report(std::chrono::milliseconds most);

  // The state file of a migration of `volser` cut short, if any.
  static std::string state_path(const TapeLibrary& library, const std::string& volser);
  // Removes what a migration cut short left (the partial copy and its
  // state file): --abort with no migration running.
  static Status discard_interrupted(const TapeLibrary& library, const std::string& volser);

 private:
  // The report's last figures and, when it failed before the switch, the
  // partial copy removed.
  void end_run(const Status& s);
  MigrationReport report_locked();
  // Syncs of the copy before the switch: at most this many, ending when
  // one synced less than kSmallSync (switch_drive).
  static constexpr int kSyncRounds = 8;
  static constexpr uint64_t kSmallSync = 8u << 20;
  Status copy_passes();
  Status catch_up_locked(uint64_t image_size);
  // Copies (unsynced) what the writer added meanwhile, in a few rounds,
  // until one had little to copy: the switch's first hold copies the rest.
  Status close_in();
  Status switch_drive();
  Status finish_offline();
  void expect_catalog_digests();
  Status verify_copy();
  Status record_switch();
  // With mu_ held.
  void warn_of_long_het_records(uint64_t records);
  Status save_state();
  void remove_partial();
  // Closes the copy, keeping its counts for the report.
  void close_copier();
  void fail(MigrationPhase phase, const std::string& message);
  void set_phase(MigrationPhase phase);
  void end_report_locked(MigrationPhase phase);
  // The writer waited `held` for the drive's mutex (a switch's hold).
  void note_hold(std::chrono::steady_clock::duration held);

  TapeLibrary& library_;
  MigrationRequest request_;
  TapeDrive* drive_;
  Cartridge cartridge_;
  Format target_format_ = Format::kSimh;
  std::string target_path_;
  std::unique_ptr<ImageCopier> copier_;
  std::shared_ptr<MigrationObserver> observer_;
  std::atomic<bool> abort_{false};
  // Tape files below this one stood still at the switch (verify_copy).
  uint64_t files_settled_ = UINT64_MAX;
  // Where the copy's tape files begin, for the catalog (record_switch).
  std::vector<ImageCopier::FileStart> moved_files_;
  // The tape files the copy checked against the catalog as it copied them.
  std::set<uint64_t> verified_files_;
  // The copy got a .dirty marker before the switch (switch_drive).
  bool made_marker_ = false;
  std::chrono::steady_clock::time_point started_;  // under mu_: report() reads it
  ImageRetirer* retirer_ = nullptr;
  std::function<void()> in_synchronous_phase_;
  std::mutex mu_;  // report_
  std::condition_variable ended_;  // run() returned
  MigrationReport report_;
};

}  // namespace vtape
