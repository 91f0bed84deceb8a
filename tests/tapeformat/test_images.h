// Helpers for the tape image tests: open, write and read whole images.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tapeformat/tape_image.h"

namespace vtape::testing {

// One object as the tests compare them: a record's bytes, or a filemark.
struct Obj {
  bool filemark = false;
  std::vector<uint8_t> data;
  bool error_flag = false;
  bool operator==(const Obj& o) const {
    return filemark == o.filemark && data == o.data && error_flag == o.error_flag;
  }
};

inline Obj rec(std::vector<uint8_t> d, bool err = false) { return Obj{false, std::move(d), err}; }
inline Obj rec(const std::string& s) { return Obj{false, std::vector<uint8_t>(s.begin(), s.end()), false}; }
inline Obj fm() { return Obj{true, {}, false}; }

inline std::unique_ptr<TapeImage> create_image(const std::string& path, Format f,
                                               const WriteOptions& o = WriteOptions{}) {
  std::unique_ptr<TapeImage> img;
  Status s = TapeImage::create(path, f, o, true, &img);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return img;
}

inline std::unique_ptr<TapeImage> open_image(const std::string& path, std::optional<Format> f = std::nullopt,
                                             bool writable = false) {
  std::unique_ptr<TapeImage> img;
  OpenOptions o;
  o.format = f;
  o.writable = writable;
  Status s = TapeImage::open(path, o, &img);
  EXPECT_TRUE(s.is_ok()) << s.message_for(path);
  return img;
}

inline void write_objects(TapeImage& img, const std::vector<Obj>& objs) {
  for (const auto& o : objs) {
    Status s = o.filemark ? img.write_filemark() : img.write_record(o.data, o.error_flag);
    ASSERT_TRUE(s.is_ok()) << s.message();
  }
}

inline void write_image(const std::string& path, Format f, const std::vector<Obj>& objs,
                        const WriteOptions& o = WriteOptions{}) {
  auto img = create_image(path, f, o);
  ASSERT_TRUE(img);
  write_objects(*img, objs);
  ASSERT_TRUE(img->close().is_ok());
}

// Every object from the current position to end of data.
inline std::vector<Obj> read_all(TapeImage& img) {
  std::vector<Obj> out;
  std::vector<uint8_t> data;
  for (;;) {
    TapeObject obj;
    Status s = img.read(&obj, &data);
    EXPECT_TRUE(s.is_ok()) << img.describe(s);
    if (!s.is_ok() || obj.kind == ObjectKind::kEndOfData) break;
    if (obj.kind == ObjectKind::kFilemark) {
      out.push_back(fm());
    } else {
      out.push_back(rec(data, obj.error_flag));
    }
  }
  return out;
}

inline std::vector<Obj> read_all(const std::string& path, std::optional<Format> f = std::nullopt) {
  auto img = open_image(path, f);
  if (!img) return {};
  return read_all(*img);
}

}  // namespace vtape::testing
