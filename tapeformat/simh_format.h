// Constants of the SIMH tape image framing (see man/vtape-formats.5,
// "SIMH"), shared by the SIMH, E11 and MTD codecs.
#pragma once

#include <cstdint>

namespace vtape::simh {

inline constexpr uint32_t kTapeMark = 0x00000000;
inline constexpr uint32_t kEndOfMedium = 0xFFFFFFFF;
inline constexpr uint32_t kEraseGap = 0xFFFFFFFE;
inline constexpr uint32_t kForwardHalfGap = 0xFFFEFFFF;
inline constexpr uint32_t kReverseHalfGapLow = 0xFFFF0000;   // ..0xFFFFFFFD
inline constexpr uint32_t kReverseHalfGapHigh = 0xFFFFFFFD;

inline constexpr uint32_t kClassShift = 28;
inline constexpr uint32_t kLengthMask = 0x0FFFFFFF;
inline constexpr uint32_t kClassGood = 0x0;
inline constexpr uint32_t kClassPrivateMarker = 0x7;
inline constexpr uint32_t kClassBad = 0x8;  // the 2017 "error" bit 31
inline constexpr uint32_t kClassMarker = 0xF;
inline constexpr uint32_t kErrorBit = 0x80000000;

inline uint32_t word_class(uint32_t word) { return word >> kClassShift; }
inline uint32_t word_length(uint32_t word) { return word & kLengthMask; }

}  // namespace vtape::simh
