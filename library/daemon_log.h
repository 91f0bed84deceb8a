// Where the daemon's messages go: standard error in the foreground (-f)
// and in the vtape commands, the journal once vtapefs runs in the
// background (syslog(3) where there is no journal).  One line per event,
// which names what it is about when known ("drive 0 VOL001 file 2 record
// 17: ... (errno 28: No space left on device)"); in the journal the same
// are fields of their own (VTAPE_DRIVE, VTAPE_VOLSER, VTAPE_FILE,
// VTAPE_RECORD, ERRNO), so `journalctl VTAPE_VOLSER=VOL001` finds them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vtape {

// syslog(3) priorities.
enum class LogPriority { kError = 3, kWarning = 4, kNotice = 5, kInfo = 6 };

struct LogFields {
  int drive = -1;                  // -1: no drive
  std::string volser;              // empty: no volume
  std::optional<uint64_t> file;    // tape file number
  std::optional<uint64_t> record;  // block address (records and filemarks from BOT)
  int sys_errno = 0;               // 0: none

  static LogFields of_volume(std::string volser) {
    LogFields f;
    f.volser = std::move(volser);
    return f;
  }
  static LogFields of_drive(int drive, std::string volser = "") {
    LogFields f = of_volume(std::move(volser));
    f.drive = drive;
    return f;
  }
  LogFields with_errno(int e) const {
    LogFields f = *this;
    f.sys_errno = e;
    return f;
  }
};

enum class LogSink { kStderr, kJournal };

// Process-wide; the default is standard error with the identifier "vtapefs".
void set_log_sink(LogSink sink, std::string identifier = "vtapefs");

// "drive 0 VOL001 file 2 record 17: TEXT (errno 28: No space left on device)";
// control characters of the volser and TEXT are written \xHH.
std::string format_log_line(const LogFields& fields, std::string_view text);

void log_message(LogPriority priority, const LogFields& fields, std::string_view text);
inline void log_message(LogPriority priority, std::string_view text) { log_message(priority, LogFields{}, text); }

}  // namespace vtape
