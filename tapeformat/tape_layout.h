// Per-tape-file statistics gathered while walking an image: a tape file is
// the records up to a filemark (an empty tape file is two filemarks in a
// row); records after the last filemark form a last, unterminated file.
#pragma once

#include <cstdint>
#include <vector>

#include "tapeformat/tape_object.h"

namespace vtape {

struct TapeFileSummary {
  uint64_t number = 0;
  uint64_t start_offset = 0;   // byte offset of its first record (or its filemark)
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint32_t smallest = 0;       // record lengths; 0 when the file has no records
  uint32_t largest = 0;
  uint64_t error_records = 0;
  bool terminated = false;     // ended by a filemark
};

class TapeLayoutBuilder {
 public:
  void add(const TapeObject& obj);
  // The files seen; an open file with no records after the last filemark is
  // not a file.
  std::vector<TapeFileSummary> files() const;

 private:
  std::vector<TapeFileSummary> done_;
  TapeFileSummary current_;
  bool current_started_ = false;
};

}  // namespace vtape
