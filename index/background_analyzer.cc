#include "index/background_analyzer.h"

#include <cstring>
#include <iterator>

namespace vtape {

BackgroundAnalyzer::BackgroundAnalyzer(DigestAlgorithm digest, size_t chunk_bytes)
    : digest_(digest),
      chunk_bytes_(chunk_bytes),
      analyzer_(std::make_unique<TapeFileAnalyzer>(digest)),
      queue_(
          kPoolChunks * chunk_bytes,
          [this](Chunk& c) {
            size_t at = 0;
            for (uint32_t n : c.lengths) {
              analyzer_->add_record(std::span<const uint8_t>(c.bytes.data() + at, n));
              at += n;
            }
            stream_members();
            return true;
          },
          [](const Chunk& c) { return c.bytes.size(); }, kPoolChunks + 1) {}

BackgroundAnalyzer::~BackgroundAnalyzer() = default;

void BackgroundAnalyzer::hand_over_current() {
  queue_.push(std::move(*current_));
  current_.reset();
}

void BackgroundAnalyzer::add_record(std::span<const uint8_t> data) {
  if (current_ && current_->used > 0 && current_->used + data.size() > current_->bytes.size()) hand_over_current();
  if (!current_) {
    // A chunk the worker is done with (so the pool stops growing once
    // kPoolChunks are in flight), or a new one while the queue warms up.
    current_ = queue_.spare();
    current_->used = 0;
    current_->lengths.clear();
    if (current_->bytes.size() < chunk_bytes_) current_->bytes.resize(chunk_bytes_);
  }
  // A record larger than a chunk gets a chunk of its own, grown to fit.
  if (data.size() > current_->bytes.size()) current_->bytes.resize(data.size());
  if (!data.empty()) std::memcpy(current_->bytes.data() + current_->used, data.data(), data.size());
  current_->used += data.size();
  current_->lengths.push_back(static_cast<uint32_t>(data.size()));
  if (current_->used == current_->bytes.size()) hand_over_current();
}

void BackgroundAnalyzer::drain() {
  if (current_ && !current_->lengths.empty()) hand_over_current();
  queue_.drain();
}

void BackgroundAnalyzer::stream_members() {
  if (!sink_) return;
  analyzer_->take_members(&gathered_);
  if (gathered_.empty()) return;
  auto now = std::chrono::steady_clock::now();
  if (gathered_.size() < kBatchMembers && now - last_handed_ < kBatchInterval) return;
  last_handed_ = now;
  if (sink_(gathered_)) gathered_.clear();
}

void BackgroundAnalyzer::start(MemberSink sink) {
  drain();
  current_.reset();
  // The worker is idle (drain): the analyzer and the sink are ours to replace.
  analyzer_ = std::make_unique<TapeFileAnalyzer>(digest_);
  sink_ = std::move(sink);
  gathered_.clear();
  last_handed_ = std::chrono::steady_clock::now();
}

TapeFileAnalysis BackgroundAnalyzer::finish() {
  drain();
  TapeFileAnalysis analysis = analyzer_->finish();
  // The members gathered and not handed over come before those found last.
  if (!gathered_.empty()) {
    gathered_.insert(gathered_.end(), std::make_move_iterator(analysis.members.begin()),
                     std::make_move_iterator(analysis.members.end()));
    analysis.members.swap(gathered_);
    gathered_.clear();
  }
  analyzer_ = std::make_unique<TapeFileAnalyzer>(digest_);
  sink_ = nullptr;
  return analysis;
}

}  // namespace vtape
