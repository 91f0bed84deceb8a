// The header record of a spool tape file: the first record of every tape
// file on a spool cartridge and in a `vtape spool dump` image, holding the
// spool file's metadata in a fixed layout (documented byte by byte in
// man/vtape-formats.5, "SPOOL FILES"; the table below is the reference).
// The data records follow it; a filemark ends the tape file.
//
//   offset len  field
//     0     8   magic "VTSPOOLH"
//     8     2   version, 1 (big-endian)
//    10     2   header length, 256 (big-endian)
//    12     4   device "PRT " or "PUN "
//    16     4   queue "PRT ", "PUN " or "RDR "
//    20     4   spoolid (big-endian, 1 to 9999)
//    24    16   unique id (binary)
//    40     8   open time, microseconds since 1970 UTC (big-endian, signed)
//    48     8   close time, likewise
//    56     8   owner      } ASCII, left-aligned, padded with blanks
//    64     8   origin     }
//    72     8   origin system
//    80    32   filename
//   112    16   filetype (all blanks: none)
//   128     1   class (A-Z, 0-9)
//   129     1   copies (1 to 255)
//   130     1   hold: bit 0 user hold, bit 1 system hold
//   131     1   keep: 0 or 1
//   132     8   form
//   140     8   destination
//   148     8   distribution code
//   156     4   logical record length: the longest data record (big-endian)
//   160     8   data records (big-endian)
//   168     8   data bytes: sum of the data record lengths (big-endian)
//   176     8   content bytes: size of the file as read back (big-endian)
//   184     1   flags: bit 0 the last line had no newline, bit 1 printer
//               records start with an ASA carriage control byte, bit 2
//               the data records are blocked (spool_blocks.h)
//   185    71   reserved, zero
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "index/spool_metadata.h"
#include "tapeformat/base/status.h"

namespace vtape {

inline constexpr size_t kSpoolHeaderLength = 256;
inline constexpr uint16_t kSpoolHeaderVersion = 1;
inline constexpr char kSpoolHeaderMagic[] = "VTSPOOLH";  // 8 bytes, no NUL on tape

std::vector<uint8_t> encode_spool_header(const SpoolMetadata& m);
// Strict: every field must hold a value its rules allow.  Errors are
// Corrupt statuses naming the byte offset in the record, what the layout
// requires there and what the record holds.
Status decode_spool_header(std::span<const uint8_t> record, SpoolMetadata* out);
// Whether a record starts with the magic (a spool tape file, maybe of
// another version).
bool looks_like_spool_header(std::span<const uint8_t> record);

}  // namespace vtape
