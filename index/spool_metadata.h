// SpoolMetadata: what is known of one spool file (z/VM's spool file
// attributes, see man/vtape-spool.1), the rules for each value, and access to
// the settable ones by name (the user.spool.* extended attributes of the
// mount and the options of `vtape spool`).
//
// Text values are ASCII.  User ids, forms, destinations and distribution
// codes are 1 to 8 characters A-Z, 0-9, @, # and $ (lower case is taken as
// upper case); a class is one character A-Z or 0-9.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tapeformat/base/status.h"

namespace vtape {

enum class SpoolDevice { kPrinter, kPunch };
enum class SpoolQueue { kPrinter, kPunch, kReader };

// "prt", "pun", "rdr".
const char* spool_queue_name(SpoolQueue q);
std::optional<SpoolQueue> parse_spool_queue(const std::string& text);
// "prt", "pun".
const char* spool_device_name(SpoolDevice d);
std::optional<SpoolDevice> parse_spool_device(const std::string& text);
// The queue a device's output goes to.
SpoolQueue queue_of(SpoolDevice d);

// A punch card holds 80 bytes.
inline constexpr uint32_t kCardLength = 80;
inline constexpr uint32_t kMaxSpoolid = 9999;
inline constexpr size_t kMaxSpoolName = 32;  // filename (the part before the last dot)
inline constexpr size_t kMaxSpoolType = 16;  // filetype (after the last dot)

struct SpoolMetadata {
  SpoolDevice device = SpoolDevice::kPrinter;  // the device that wrote it
  SpoolQueue queue = SpoolQueue::kPrinter;     // where it is now
  uint32_t spoolid = 0;                        // per owner, 1 to 9999
  std::array<uint8_t, 16> unique_id{};         // system-wide identity (random)
  int64_t opened_us = 0;                       // open time, microseconds since 1970 UTC
  int64_t closed_us = 0;                       // close time
  std::string owner;                           // user whose queue holds it
  std::string origin;                          // user who wrote it
  std::string origin_system;                   // system it was written on
  std::string filename;
  std::string filetype;                        // may be empty
  char spool_class = 'A';
  uint8_t copies = 1;                          // 1 to 255
  bool user_hold = false;
  bool system_hold = false;
  bool keep = false;
  std::string form = "STANDARD";
  std::string dest = "OFF";
  std::string dist = "SYSTEM";
  uint32_t lrecl = 0;           // the longest data record
  uint64_t records = 0;         // data records
  uint64_t data_bytes = 0;      // sum of the data record lengths
  uint64_t content_bytes = 0;   // size of the file as it reads back
  bool unterminated = false;    // the last line had no newline
  bool carriage_control = false;  // printer records start with an ASA control byte
  bool blocked = false;         // on tape: data records packed into blocks (spool_blocks.h)

  // "NAME.TYPE" (or "NAME" without a type).
  std::string name_type() const;
  // "none", "user", "system", "both".
  std::string hold_text() const;
  // 32 lower-case hex digits.
  std::string unique_id_hex() const;
};

// Validation of single values; each returns the normalised value or an
// error that says what is allowed.
Status normalize_spool_user(const std::string& text, std::string* out);
Status normalize_spool_code(const std::string& what, const std::string& text, std::string* out);  // form, dest, dist
Status normalize_spool_class(const std::string& text, char* out);
// A file name as written in prt/ or pun/: "NAME.TYPE" split at the last dot.
// Refuses '/', "..", control characters, blanks and anything not ASCII.
Status split_spool_file_name(const std::string& text, std::string* name, std::string* type);
std::optional<std::array<uint8_t, 16>> parse_unique_id(const std::string& hex);
std::array<uint8_t, 16> new_unique_id();
int64_t now_microseconds();
// "2026-11-22T10:00:00.123456Z"
std::string spool_time_text(int64_t us);

// The attributes as extended attribute names without "user.spool.": the
// settable ones first.
const std::vector<std::string>& spool_settable_attributes();
const std::vector<std::string>& spool_attributes();
// The value of an attribute as text; nullopt for an unknown name.
std::optional<std::string> get_spool_attribute(const SpoolMetadata& m, const std::string& name);
// Sets a settable attribute from text.  kNotFound for an unknown name,
// kNotSupported for a read-only one, kInvalidArgument for a bad value.
Status set_spool_attribute(SpoolMetadata& m, const std::string& name, const std::string& value);

}  // namespace vtape
