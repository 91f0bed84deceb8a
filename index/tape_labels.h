// Recognises ANSI (ASCII) and IBM standard (EBCDIC) tape labels: 80-byte
// records that begin VOL1, HDR1, HDR2, EOF1, EOF2, EOV1 ...  Field columns
// are documented in man/vtape-formats.5, "Tape labels".
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace vtape {

enum class LabelCharset { kAscii, kEbcdic };

struct TapeLabel {
  std::string id;        // "VOL1", "HDR1", ...
  LabelCharset charset = LabelCharset::kAscii;
  std::string text;      // all 80 bytes in ASCII
  // VOL1
  std::string volser;    // columns 5-10
  std::string owner;     // columns 38-51
  // HDR1 / EOF1 / EOV1
  std::string file_id;   // columns 5-21
};

// The label this record holds, if it is one.
std::optional<TapeLabel> parse_tape_label(std::span<const uint8_t> record);

}  // namespace vtape
