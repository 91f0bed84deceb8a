// TapeFileAnalyzer: learns what one tape file holds while its records stream
// past (as a drive writes them, or as an image is read): record statistics,
// the SHA-256 of its bytes, the kind of content and its members.  The first
// record decides the kind of content (rules in man/vtape-catalog.5).
#pragma once

#include <memory>
#include <span>

#include "index/sha256.h"
#include "index/stream_parser.h"
#include "index/tape_member.h"

namespace vtape {

class TapeFileAnalyzer {
 public:
  void add_record(std::span<const uint8_t> data);
  // The analysis of everything added; the analyzer is then spent.
  TapeFileAnalysis finish();

 private:
  void classify(std::span<const uint8_t> first);
  void add_label(std::span<const uint8_t> record);

  TapeFileAnalysis result_;
  Sha256 sha_;
  std::unique_ptr<StreamParser> parser_;
  bool classified_ = false;
};

}  // namespace vtape
