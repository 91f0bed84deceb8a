// TapeFileAnalyzer: learns what one tape file holds while its records stream
// past (as a drive writes them, or as an image is read): record statistics,
// the digest of its bytes (of the algorithm it is made with), the kind of content and its members.  The first
// record decides the kind of content: the first detector of the registry
// (index/content_detector.h) that matches it, whose reader then sees every
// record (rules in man/vtape-catalog.5).
#pragma once

#include <memory>
#include <span>

#include "index/content_detector.h"
#include "index/digest.h"
#include "index/tape_member.h"

namespace vtape {

class TapeFileAnalyzer {
 public:
  explicit TapeFileAnalyzer(DigestAlgorithm digest) : digest_(digest) {}
  void add_record(std::span<const uint8_t> data);
  // The analysis of everything added; the analyzer is then spent.
  TapeFileAnalysis finish();
  // Moves the members found so far that are final to the end of `out`
  // (ContentReader::take_members); finish() then has only the rest.
  void take_members(std::vector<TapeMember>* out) {
    if (reader_) reader_->take_members(out);
  }

 private:
  void classify(std::span<const uint8_t> first);

  TapeFileAnalysis result_;
  Digest digest_;
  std::unique_ptr<ContentReader> reader_;
  bool classified_ = false;
};

}  // namespace vtape
