#include "library/migration_service.h"

#include <charconv>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "library/control_request.h"
#include "tapeformat/format_table.h"

namespace vtape {

std::optional<std::string> MigrationService::handle(const std::vector<std::string>& words) {
  if (words.empty()) return std::nullopt;
  const std::string& verb = words[0];
  auto error = [](const std::string& m) { return "error " + m + "\n"; };
  if (verb == "migrate") return start(words);
  if (verb != "migrate-status" && verb != "migrate-abort") return std::nullopt;
  // migrate-status's wait=MS is waited for on a session (status_waiter);
  // here (no such migration) the answer is at once.
  bool status_wait = verb == "migrate-status" && words.size() == 3 && wait_milliseconds(words[2]).has_value();
  if (words.size() != 2 && !status_wait) {
    return error(verb == "migrate-status" ? "usage: migrate-status VOLSER [wait=MILLISECONDS]"
                                          : "usage: migrate-abort VOLSER");
  }
  auto volser = normalize_volser(words[1]);
  if (!volser) return error(fmt::format("'{}' is not a volume serial", words[1]));
  std::lock_guard lock(mu_);
  auto job = jobs_.find(*volser);
  if (verb == "migrate-status") {
    if (job == jobs_.end()) return error(fmt::format("no migration of {} since vtapefs started", *volser));
    return "ok\n" + migration_status_text(job->second.migration->report());
  }
  if (job != jobs_.end() && !job->second.migration->report().finished()) {
    job->second.migration->abort();
    return std::string("ok\n");
  }
  Status s = CartridgeMigration::discard_interrupted(library_, *volser);
  return s.is_ok() ? "ok\n" : error(s.message());
}

std::optional<uint64_t> MigrationService::wait_milliseconds(const std::string& word) {
  constexpr std::string_view kKey = "wait=";
  if (word.rfind(kKey, 0) != 0) return std::nullopt;
  uint64_t ms = 0;
  const char* first = word.data() + kKey.size();
  const char* last = word.data() + word.size();
  auto [end, ec] = std::from_chars(first, last, ms);
  if (first == last || ec != std::errc() || end != last || ms > kMaxStatusWaitMs) return std::nullopt;
  return ms;
}

std::optional<std::function<std::string()>> MigrationService::status_waiter(const std::vector<std::string>& words) {
  if (words.size() != 3 || words[0] != "migrate-status") return std::nullopt;
  auto ms = wait_milliseconds(words[2]);
  auto volser = normalize_volser(words[1]);
  if (!ms || !volser) return std::nullopt;
  std::lock_guard lock(mu_);
  auto job = jobs_.find(*volser);
  if (job == jobs_.end()) return std::nullopt;
  std::shared_ptr<CartridgeMigration> migration = job->second.migration;
  return [migration, ms = *ms] {
    return "ok\n" + migration_status_text(migration->wait_report(std::chrono::milliseconds(ms)));
  };
}

std::string MigrationService::start(const std::vector<std::string>& words) {
  auto error = [](const std::string& m) { return "error " + m + "\n"; };
  if ((words.size() != 7 && words.size() != 8) || (words[4] != "simulate" && words[4] != "switch") ||
      (words[5] != "keep-old" && words[5] != "retire") || (words[6] != "new" && words[6] != "resume")) {
    return error("usage: migrate VOLSER DIR FORMAT|- simulate|switch keep-old|retire new|resume [max-rate=BYTES]");
  }
  MigrationRequest request;
  auto volser = normalize_volser(words[1]);
  if (!volser) return error(fmt::format("'{}' is not a volume serial", words[1]));
  request.volser = *volser;
  request.target_dir = words[2];
  if (words[3] != "-") {
    request.format = parse_format(words[3]);
    if (!request.format) return error(fmt::format("unknown format '{}'", words[3]));
  }
  request.simulate = words[4] == "simulate";
  request.keep_old = words[5] == "keep-old";
  request.resume = words[6] == "resume";
  if (words.size() == 8) {
    std::string bad;
    auto rate = parse_max_rate_word(words[7], &bad);
    if (!rate) return error(bad.empty() ? fmt::format("'{}': expected max-rate=BYTES", words[7]) : bad);
    request.max_rate = *rate;
  }
  std::lock_guard lock(mu_);
  auto old = jobs_.find(request.volser);
  if (old != jobs_.end()) {
    if (!old->second.migration->report().finished()) {
      return error(fmt::format("{} is being migrated already (vtape migrate --abort {} stops it)", request.volser,
                               request.volser));
    }
    old->second.thread.join();
    jobs_.erase(old);
  }
  auto migration = std::make_shared<CartridgeMigration>(library_, request, drive_of_(request.volser));
  migration->set_retirer(&retirer_);
  if (Status s = migration->prepare(); !s.is_ok()) return error(s.message());
  Job& job = jobs_[request.volser];
  job.migration = migration;
  job.thread = std::thread([migration] { migration->run(); });
  return "ok\n" + migration_status_text(migration->report());
}

bool MigrationService::migrating(const std::string& volser) {
  std::lock_guard lock(mu_);
  auto job = jobs_.find(volser);
  return job != jobs_.end() && !job->second.migration->report().finished();
}

void MigrationService::stop() {
  std::map<std::string, Job> jobs;
  {
    std::lock_guard lock(mu_);
    jobs.swap(jobs_);
  }
  for (auto& [volser, job] : jobs) {
    job.migration->abort();
    if (job.thread.joinable()) job.thread.join();
  }
}

std::string migration_status_text(const MigrationReport& r) {
  std::string text;
  auto line = [&text](const char* key, const auto& value) { text += fmt::format("{} {}\n", key, value); };
  line("phase", describe(r.phase));
  line("volser", r.volser);
  line("drive", r.drive);
  line("from", r.from);
  line("from_format", r.from_format);
  line("to", r.to);
  line("to_format", r.to_format);
  line("source_size", r.source_size);
  line("bytes_read", r.counts.bytes_read);
  line("records_copied", r.counts.records_copied);
  line("records_recopied", r.counts.records_recopied);
  line("filemarks_copied", r.counts.filemarks_copied);
  line("passes", r.passes);
  line("longest_hold_ms", fmt::format("{:.3f}", r.longest_hold_ms));
  line("elapsed_s", fmt::format("{:.3f}", r.elapsed_s));
  line("message", r.message);
  return text;
}

MigrationReport parse_migration_status(const std::string& text) {
  MigrationReport r;
  std::istringstream in(text);
  std::string key;
  while (in >> key) {
    std::string value;
    if (in.peek() == ' ') in.get();
    std::getline(in, value);
    auto number = [&value] { return std::strtoull(value.c_str(), nullptr, 10); };
    if (key == "phase") {
      for (int p = 0; p <= static_cast<int>(MigrationPhase::kAborted); ++p) {
        if (value == describe(static_cast<MigrationPhase>(p))) r.phase = static_cast<MigrationPhase>(p);
      }
    } else if (key == "volser") {
      r.volser = value;
    } else if (key == "drive") {
      r.drive = std::atoi(value.c_str());
    } else if (key == "from") {
      r.from = value;
    } else if (key == "from_format") {
      r.from_format = value;
    } else if (key == "to") {
      r.to = value;
    } else if (key == "to_format") {
      r.to_format = value;
    } else if (key == "source_size") {
      r.source_size = number();
    } else if (key == "bytes_read") {
      r.counts.bytes_read = number();
    } else if (key == "records_copied") {
      r.counts.records_copied = number();
    } else if (key == "records_recopied") {
      r.counts.records_recopied = number();
    } else if (key == "filemarks_copied") {
      r.counts.filemarks_copied = number();
    } else if (key == "passes") {
      r.passes = std::atoi(value.c_str());
    } else if (key == "longest_hold_ms") {
      r.longest_hold_ms = std::strtod(value.c_str(), nullptr);
    } else if (key == "elapsed_s") {
      r.elapsed_s = std::strtod(value.c_str(), nullptr);
    } else if (key == "message") {
      r.message = value;
    }
  }
  return r;
}

}  // namespace vtape
