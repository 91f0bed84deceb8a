#include "tools/member_names.h"

#include <cstdint>

namespace vtape {
namespace {

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Printable ASCII other than the backslash stands for itself in both forms;
// most names are made of nothing else, and vtape find may show 100000 of them.
bool plain_ascii(std::string_view name) {
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7F || c == '\\') return false;
  }
  return true;
}

// The code point of a valid sequence of `n` bytes.
uint32_t decode(std::string_view s, size_t n) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[i])); };
  switch (n) {
    case 1: return b(0);
    case 2: return (b(0) & 0x1F) << 6 | (b(1) & 0x3F);
    case 3: return (b(0) & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F);
    default: return (b(0) & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F);
  }
}

bool steers_terminal(uint32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

void append_hex_byte(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 0xF]);
}

}  // namespace

size_t utf8_sequence_length(std::string_view s) {
  if (s.empty()) return 0;
  auto at = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = at(0);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlong forms
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // no overlong forms
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n || at(1) < lo || at(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (!continuation(at(i))) return 0;
  }
  return n;
}

void append_escaped_member_name(std::string* out_string, std::string_view name) {
  std::string& out = *out_string;
  if (plain_ascii(name)) {
    out.append(name);
    return;
  }
  size_t i = 0;
  while (i < name.size()) {
    std::string_view rest = name.substr(i);
    size_t n = utf8_sequence_length(rest);
    if (n == 0) {
      append_hex_byte(out, static_cast<unsigned char>(rest[0]));
      ++i;
      continue;
    }
    if (n == 1 && rest[0] == '\\') {
      out += "\\\\";
    } else if (steers_terminal(decode(rest, n))) {
      for (size_t k = 0; k < n; ++k) append_hex_byte(out, static_cast<unsigned char>(rest[k]));
    } else {
      out.append(rest.substr(0, n));
    }
    i += n;
  }
}

std::string escape_member_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  append_escaped_member_name(&out, name);
  return out;
}

std::string json_member_name(std::string_view name) {
  if (plain_ascii(name)) return std::string(name);
  std::string out;
  out.reserve(name.size());
  size_t i = 0;
  while (i < name.size()) {
    std::string_view rest = name.substr(i);
    size_t n = utf8_sequence_length(rest);
    if (n == 0) {
      // U+0080..U+00FF in UTF-8.
      auto c = static_cast<unsigned char>(rest[0]);
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
      ++i;
      continue;
    }
    out.append(rest.substr(0, n));
    i += n;
  }
  return out;
}

}  // namespace vtape
