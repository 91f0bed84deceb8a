#include "library/daemon_log.h"

#include <dlfcn.h>
#include <sys/uio.h>
#include <syslog.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include <fmt/format.h>
#include <systemd/sd-journal.h>  // for the type of sd_journal_sendv only

namespace vtape {
namespace {

std::mutex g_mu;
LogSink g_sink = LogSink::kStderr;
std::string g_identifier = "vtapefs";
bool g_syslog_open = false;

// libsystemd is loaded the first time a line goes to the journal, not when
// the program starts: it and the libraries it needs cost every run of the
// vtape tool (a verify, a status) more start-up time than the work itself,
// and only a background daemon writes to the journal.  Without it (not
// installed, not loadable) the journal is as unreachable as a stopped
// journald, and the line goes to syslog.  Under g_mu.
using JournalSendv = decltype(&sd_journal_sendv);
JournalSendv journal_sendv() {
  static const JournalSendv fn = []() -> JournalSendv {
    void* handle = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) return nullptr;
    return reinterpret_cast<JournalSendv>(dlsym(handle, "sd_journal_sendv"));
  }();
  return fn;
}

// The journal, or syslog when the journal does not take it.  Under g_mu.
void send_to_journal(LogPriority priority, const LogFields& f, const std::string& line) {
  std::vector<std::string> fields = {
      "MESSAGE=" + line,
      fmt::format("PRIORITY={}", static_cast<int>(priority)),
      "SYSLOG_IDENTIFIER=" + g_identifier,
  };
  if (f.drive >= 0) fields.push_back(fmt::format("VTAPE_DRIVE={}", f.drive));
  if (!f.volser.empty()) fields.push_back("VTAPE_VOLSER=" + f.volser);
  if (f.file) fields.push_back(fmt::format("VTAPE_FILE={}", *f.file));
  if (f.record) fields.push_back(fmt::format("VTAPE_RECORD={}", *f.record));
  if (f.sys_errno != 0) fields.push_back(fmt::format("ERRNO={}", f.sys_errno));
  std::vector<iovec> iov;
  for (auto& s : fields) iov.push_back(iovec{s.data(), s.size()});
  JournalSendv sendv = journal_sendv();
  if (sendv != nullptr && sendv(iov.data(), static_cast<int>(iov.size())) >= 0) return;
  if (!g_syslog_open) {
    openlog(g_identifier.c_str(), LOG_PID, LOG_DAEMON);
    g_syslog_open = true;
  }
  syslog(static_cast<int>(priority), "%s", line.c_str());
}

// Names from outside (a spool file name, a volser in an image, a path)
// reach log lines: control characters are written \xHH, so that a name
// cannot end a line and forge another, or hold terminal escapes.
void append_printable(std::string* out, std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      *out += fmt::format("\\x{:02x}", u);
    } else {
      out->push_back(c);
    }
  }
}

}  // namespace

void set_log_sink(LogSink sink, std::string identifier) {
  std::lock_guard lock(g_mu);
  g_sink = sink;
  g_identifier = std::move(identifier);
}

std::string format_log_line(const LogFields& f, std::string_view text) {
  std::string line;
  if (f.drive >= 0) line += fmt::format("drive {} ", f.drive);
  if (!f.volser.empty()) {
    append_printable(&line, f.volser);
    line += " ";
  }
  if (f.file) line += fmt::format("file {} ", *f.file);
  if (f.record) line += fmt::format("record {} ", *f.record);
  if (!line.empty()) {
    line.pop_back();
    line += ": ";
  }
  append_printable(&line, text);
  if (f.sys_errno != 0) line += fmt::format(" (errno {}: {})", f.sys_errno, std::strerror(f.sys_errno));
  return line;
}

void log_message(LogPriority priority, const LogFields& fields, std::string_view text) {
  std::string line = format_log_line(fields, text);
  std::lock_guard lock(g_mu);
  if (g_sink == LogSink::kJournal) {
    send_to_journal(priority, fields, line);
  } else {
    fmt::print(stderr, "{}: {}\n", g_identifier, line);
  }
}

}  // namespace vtape
