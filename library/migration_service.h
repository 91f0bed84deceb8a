// MigrationService: the daemon's migrations (vtape migrate), each on a
// thread of its own so that it outlives the `vtape` process that asked for
// it.  Its control requests (control_protocol.h):
//   "migrate VOLSER DIR FORMAT simulate|switch keep-old|retire new|resume [max-rate=BYTES]"
//       (FORMAT "-": the cartridge's own) starts one and answers at once;
//   "migrate-status VOLSER [wait=MS]" answers its report
//       (migration_status_text); with wait=, once it has ended or after MS
//       milliseconds (at most kMaxStatusWaitMs), whichever comes first;
//   "migrate-abort VOLSER" stops it before the switch, or discards what a
//       migration cut short by the daemon's end left.
// A cartridge being migrated outside a drive cannot be loaded meanwhile.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "library/cartridge_migration.h"
#include "library/image_retirer.h"

namespace vtape {

class MigrationService {
 public:
  // `drive_of`: the drive that holds a cartridge, or null.
  MigrationService(TapeLibrary& library, std::function<TapeDrive*(const std::string& volser)> drive_of)
      : library_(library), drive_of_(std::move(drive_of)) {}
  ~MigrationService() { stop(); }

  // The answer to a migrate request; nullopt for any other request.
  std::optional<std::string> handle(const std::vector<std::string>& words);
  // For "migrate-status VOLSER wait=MS" of a migration there is: what
  // answers it, to be called outside the control socket's one-at-a-time
  // lock (it waits).  nullopt for anything else (handle() answers it).
  std::optional<std::function<std::string()>> status_waiter(const std::vector<std::string>& words);
  // Whether a migration of `volser` is running.
  bool migrating(const std::string& volser);
  // Aborts every migration still running and waits for them (unmount).
  void stop();

 private:
  struct Job {
    std::shared_ptr<CartridgeMigration> migration;
    std::thread thread;
  };
  static constexpr uint64_t kMaxStatusWaitMs = 1000;
  std::string start(const std::vector<std::string>& words);
  // MS of a "wait=MS" word, nullopt when it is not one.
  static std::optional<uint64_t> wait_milliseconds(const std::string& word);

  TapeLibrary& library_;
  std::function<TapeDrive*(const std::string&)> drive_of_;
  // Old images of switched cartridges, deleted on its thread (so that a
  // migration reports its end without waiting for it).  Outlives the jobs.
  ImageRetirer retirer_;
  std::mutex mu_;
  std::map<std::string, Job> jobs_;  // by volser; finished ones stay for their status
};

// The report as "key value" lines (the payload of migrate-status), and
// back.
std::string migration_status_text(const MigrationReport& report);
MigrationReport parse_migration_status(const std::string& text);

}  // namespace vtape
