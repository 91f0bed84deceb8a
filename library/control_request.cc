#include "library/control_request.h"

#include <charconv>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "library/copy_pace.h"

namespace vtape {

namespace {

// The words of a control request, split at blanks.
std::vector<std::string> request_words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// A decimal number that is the whole word and fits; nothing else.
std::optional<int> strict_number(const std::string& word) {
  int n = 0;
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), n);
  if (word.empty() || ec != std::errc() || end != word.data() + word.size()) return std::nullopt;
  return n;
}

bool is_migration_verb(const std::string& verb) {
  return verb == "migrate" || verb == "migrate-status" || verb == "migrate-abort";
}

}  // namespace

std::optional<uint64_t> parse_max_rate_word(const std::string& word, std::string* error) {
  constexpr std::string_view kKey = "max-rate=";
  if (word.rfind(kKey, 0) != 0) return std::nullopt;
  std::string digits = word.substr(kKey.size());
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    *error = fmt::format("'{}': max-rate= takes a decimal number of bytes a second, {} (1 MiB/s) or more", word,
                         kMinCopyRate);
    return std::nullopt;
  }
  if (n < kMinCopyRate) {
    *error = fmt::format("'{}': max-rate= is at least {} bytes a second (1 MiB/s)", word, kMinCopyRate);
    return std::nullopt;
  }
  return n;
}

Status parse_control_request(const std::string& line, int drive_count, ControlRequest* request) {
  ControlRequest r;
  r.words = request_words(line);
  const std::vector<std::string>& words = r.words;
  const std::string verb = words.empty() ? "" : words[0];
  auto word = [&](size_t i) { return i < words.size() ? words[i] : std::string(); };
  auto arity = [&](size_t lo, size_t hi) { return words.size() >= lo && words.size() <= hi; };
  auto usage = [](const char* text) { return Status::invalid_argument(fmt::format("usage: {}", text)); };
  // A drive number: strictly decimal and one of this mount's drives.
  auto drive_arg = [&](size_t i, int* drive) {
    auto n = strict_number(word(i));
    if (!n || *n < 0 || *n >= drive_count) {
      return Status::invalid_argument(fmt::format("no drive '{}' (drives 0 to {})", word(i), drive_count - 1));
    }
    *drive = *n;
    return Status::ok();
  };

  if (is_migration_verb(verb)) {
    r.verb = ControlVerb::kMigration;
  } else if (verb == "status") {
    r.verb = ControlVerb::kStatus;
    if (!arity(1, 3)) return usage("status [text|json] [DRIVE]");
    r.status_form = word(1);
    if (!r.status_form.empty() && r.status_form != "text" && r.status_form != "json") {
      return Status::invalid_argument(fmt::format("status takes 'text' or 'json', not '{}'", r.status_form));
    }
    if (words.size() == 3) VTAPE_RETURN_IF_ERROR(drive_arg(2, &r.drive));
  } else if (verb == "load") {
    r.verb = ControlVerb::kLoad;
    if (!arity(3, 3)) return usage("load DRIVE VOLSER");
    VTAPE_RETURN_IF_ERROR(drive_arg(1, &r.drive));
    r.volser = word(2);
  } else if (verb == "unload") {
    r.verb = ControlVerb::kUnload;
    if (!arity(2, 2)) return usage("unload DRIVE");
    VTAPE_RETURN_IF_ERROR(drive_arg(1, &r.drive));
  } else if (verb == "protect") {
    r.verb = ControlVerb::kProtect;
    if (!arity(3, 3) || (word(2) != "0" && word(2) != "1")) return usage("protect VOLSER 0|1");
    r.volser = word(1);
    r.protect = word(2) == "1";
  } else if (verb == "snapshot") {
    r.verb = ControlVerb::kSnapshot;
    if (!arity(2, 4)) return usage("snapshot VOLSER [NEWVOL] [max-rate=BYTES]");
    r.volser = word(1);
    for (size_t i = 2; i < words.size(); ++i) {
      std::string bad;
      if (auto rate = parse_max_rate_word(words[i], &bad)) {
        if (r.max_rate != 0) return usage("snapshot VOLSER [NEWVOL] [max-rate=BYTES]");
        r.max_rate = *rate;
      } else if (!bad.empty()) {
        return Status::invalid_argument(bad);
      } else if (r.new_volser.empty() && r.max_rate == 0) {
        r.new_volser = words[i];
      } else {
        return usage("snapshot VOLSER [NEWVOL] [max-rate=BYTES]");
      }
    }
  } else if (verb == "remove") {
    r.verb = ControlVerb::kRemove;
    if (!arity(2, 2)) return usage("remove VOLSER");
    r.volser = word(1);
  } else {
    return Status::invalid_argument(fmt::format("unknown request '{}'", verb));
  }
  *request = std::move(r);
  return Status::ok();
}

}  // namespace vtape
