// The tape image container formats vtape knows, and what each can do.  What
// each format is lives in one row of the format table (format_table.h); the
// functions here ask it.  Byte layouts are documented in man/vtape-formats.5.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtape {

enum class Format {
  kSimh,  // SIMH .tap: LE32 length words before and after, odd records padded
  kE11,   // Ersatz-11: SIMH framing without the pad byte
  kMtd,   // .mtd containers: written as SIMH, read padded or unpadded by detection
  kAws,   // AWSTAPE: 6-byte chunk headers
  kHet,   // Hercules Emulated Tape: AWS chunks, records zlib or bzip2 compressed
  kTpc,   // TPC: LE16 length, even padding, no trailer (read only)
};

// Compression used when writing HET.
enum class Compression { kNone, kZlib, kBzip2 };

struct WriteOptions {
  Compression compression = Compression::kZlib;  // HET only
  int level = 4;                                  // 1..9, HET only
  uint32_t chunk_size = 65535;                    // AWS and HET: 1..65535
};

// Largest record any reader accepts and any writer produces.  SIMH's length
// field holds 24 bits; the same bound protects the AWS/HET readers from a
// damaged chain that never ends a record.
inline constexpr uint32_t kMaxRecordSize = 0x00FFFFFF;
inline constexpr uint32_t kTpcMaxRecordSize = 0xFFFF;

std::string_view format_name(Format f);
std::optional<Format> parse_format(std::string_view name);
std::optional<Compression> parse_compression(std::string_view name);
std::string_view compression_name(Compression c);
// The format a file name suggests by its extension (.tap, .e11, .mtd, .aws,
// .het, .tpc), if any.
std::optional<Format> format_from_extension(std::string_view path);
// The extension vtape gives new images of a format (".tap" for SIMH).
std::string_view format_extension(Format f);
bool format_is_writable(Format f);
// Whether records can carry the SIMH "read with an error" flag.
// SIMH-framed formats (simh, e11, mtd): every record carries its length
// before and after it, so any record can be found from its neighbours.
bool format_is_simh_framed(Format f);
bool format_keeps_error_flags(Format f);
uint32_t format_max_record_size(Format f);
const std::vector<Format>& all_formats();

}  // namespace vtape
