// A small JSON reader for vtape's --json output, shared by the interop
// tests (which compare it with hetmap and mtdump listings).
#pragma once

#include <cctype>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace vtape::interop {

struct Json {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  std::string text;  // a string's value or a number's digits
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  bool has(const std::string& key) const {
    for (const auto& m : members) {
      if (m.first == key) return true;
    }
    return false;
  }
  const Json& operator[](const std::string& key) const {
    for (const auto& m : members) {
      if (m.first == key) return m.second;
    }
    throw std::runtime_error("JSON object has no member '" + key + "'");
  }
  const Json& operator[](size_t i) const {
    if (type != Type::kArray || i >= items.size()) throw std::runtime_error("JSON array index out of range");
    return items[i];
  }
  size_t size() const { return items.size(); }
  uint64_t u64() const {
    if (type != Type::kNumber || text.empty() || text[0] == '-') throw std::runtime_error("not an unsigned JSON number: " + text);
    return std::stoull(text);
  }
  int64_t i64() const {
    if (type != Type::kNumber) throw std::runtime_error("not a JSON number");
    return std::stoll(text);
  }
  const std::string& str() const {
    if (type != Type::kString) throw std::runtime_error("not a JSON string");
    return text;
  }
  bool flag() const {
    if (type != Type::kBool) throw std::runtime_error("not a JSON boolean");
    return boolean;
  }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& s) : s_(s) {}
  Json parse() {
    Json v = value();
    skip_space();
    if (i_ != s_.size()) fail("text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("bad JSON at character " + std::to_string(i_) + ": " + what);
  }
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  char peek() {
    skip_space();
    if (i_ >= s_.size()) fail("unexpected end");
    return s_[i_];
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  bool literal(const char* word) {
    std::string w(word);
    if (s_.compare(i_, w.size(), w) != 0) return false;
    i_ += w.size();
    return true;
  }
  std::string string_literal() {
    expect('"');
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) fail("unterminated string");
      char c = s_[i_++];
      if (c == '"') return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (i_ >= s_.size()) fail("unterminated escape");
      char e = s_[i_++];
      switch (e) {
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case 'r': out.push_back('\r'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'u': {
          if (i_ + 4 > s_.size()) fail("short \\u escape");
          unsigned long cp = std::stoul(s_.substr(i_, 4), nullptr, 16);
          i_ += 4;
          out.push_back(cp < 0x80 ? static_cast<char>(cp) : '?');
          break;
        }
        default: out.push_back(e);
      }
    }
  }
  Json value() {
    char c = peek();
    Json v;
    if (c == '{') {
      ++i_;
      v.type = Json::Type::kObject;
      if (peek() == '}') {
        ++i_;
        return v;
      }
      for (;;) {
        std::string key = string_literal();
        expect(':');
        v.members.emplace_back(key, value());
        if (peek() == ',') {
          ++i_;
          continue;
        }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      ++i_;
      v.type = Json::Type::kArray;
      if (peek() == ']') {
        ++i_;
        return v;
      }
      for (;;) {
        v.items.push_back(value());
        if (peek() == ',') {
          ++i_;
          continue;
        }
        expect(']');
        return v;
      }
    }
    if (c == '"') {
      v.type = Json::Type::kString;
      v.text = string_literal();
      return v;
    }
    if (literal("true")) {
      v.type = Json::Type::kBool;
      v.boolean = true;
      return v;
    }
    if (literal("false")) {
      v.type = Json::Type::kBool;
      return v;
    }
    if (literal("null")) return v;
    size_t start = i_;
    while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' ||
                              s_[i_] == '+' || s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
    }
    if (start == i_) fail("unexpected character");
    v.type = Json::Type::kNumber;
    v.text = s_.substr(start, i_ - start);
    return v;
  }

  const std::string& s_;
  size_t i_ = 0;
};

inline Json parse_json(const std::string& text) { return JsonParser(text).parse(); }

}  // namespace vtape::interop
