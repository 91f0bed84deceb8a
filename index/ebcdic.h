// EBCDIC (code page 037) to ASCII, for reading IBM standard tape labels.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace vtape {

char ebcdic_to_ascii(uint8_t c);
std::string ebcdic_to_ascii(std::span<const uint8_t> bytes);

}  // namespace vtape
