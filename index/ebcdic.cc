#include "index/ebcdic.h"

#include <array>

namespace vtape {
namespace {

// Code page 037, printable characters only; everything else becomes '.'.
constexpr std::array<char, 256> make_table() {
  std::array<char, 256> t{};
  for (auto& c : t) c = '.';
  t[0x40] = ' ';
  const char* lower1 = "abcdefghi";
  const char* lower2 = "jklmnopqr";
  const char* lower3 = "stuvwxyz";
  const char* upper1 = "ABCDEFGHI";
  const char* upper2 = "JKLMNOPQR";
  const char* upper3 = "STUVWXYZ";
  for (int i = 0; i < 9; ++i) {
    t[0x81 + i] = lower1[i];
    t[0x91 + i] = lower2[i];
    t[0xC1 + i] = upper1[i];
    t[0xD1 + i] = upper2[i];
  }
  for (int i = 0; i < 8; ++i) {
    t[0xA2 + i] = lower3[i];
    t[0xE2 + i] = upper3[i];
  }
  for (int i = 0; i < 10; ++i) t[0xF0 + i] = static_cast<char>('0' + i);
  t[0x4B] = '.'; t[0x4C] = '<'; t[0x4D] = '('; t[0x4E] = '+'; t[0x4F] = '|';
  t[0x50] = '&'; t[0x5A] = '!'; t[0x5B] = '$'; t[0x5C] = '*'; t[0x5D] = ')';
  t[0x5E] = ';'; t[0x60] = '-'; t[0x61] = '/'; t[0x6B] = ','; t[0x6C] = '%';
  t[0x6D] = '_'; t[0x6E] = '>'; t[0x6F] = '?'; t[0x7A] = ':'; t[0x7B] = '#';
  t[0x7C] = '@'; t[0x7D] = '\''; t[0x7E] = '='; t[0x7F] = '"';
  return t;
}

constexpr std::array<char, 256> kTable = make_table();

}  // namespace

char ebcdic_to_ascii(uint8_t c) { return kTable[c]; }

std::string ebcdic_to_ascii(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (uint8_t b : bytes) out.push_back(kTable[b]);
  return out;
}

}  // namespace vtape
