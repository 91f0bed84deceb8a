#include "index/background_analyzer.h"

#include <cstring>
#include <system_error>

namespace vtape {

BackgroundAnalyzer::BackgroundAnalyzer(size_t chunk_bytes)
    : chunk_bytes_(chunk_bytes), analyzer_(std::make_unique<TapeFileAnalyzer>()) {
  // Reserved once: handing chunks back and forth never allocates.
  free_.reserve(kPoolChunks);
  ready_.reserve(kPoolChunks);
}

BackgroundAnalyzer::~BackgroundAnalyzer() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    ready_.clear();  // nobody will ask for the analysis any more
  }
  work_ready_.notify_one();
  worker_.join();
}

BackgroundAnalyzer::Chunk* BackgroundAnalyzer::take_free_chunk() {
  {
    std::unique_lock lock(mu_);
    if (free_.empty() && pool_.size() >= kPoolChunks) {
      // Every chunk is in flight: the drive waits for the analysis (the
      // bound that keeps memory and the lag behind the tape small).
      work_done_.wait(lock, [this] { return !free_.empty(); });
    }
    if (!free_.empty()) {
      Chunk* c = free_.back();
      free_.pop_back();
      return c;
    }
  }
  // The pool grows up to kPoolChunks as the first records come; only this
  // thread touches pool_.
  pool_.push_back(std::make_unique<Chunk>());
  pool_.back()->bytes.resize(chunk_bytes_);
  return pool_.back().get();
}

void BackgroundAnalyzer::hand_over_current() {
  {
    std::lock_guard lock(mu_);
    ready_.push_back(current_);
  }
  current_ = nullptr;
  work_ready_.notify_one();
}

void BackgroundAnalyzer::add_record(std::span<const uint8_t> data) {
  if (!worker_.joinable() && !inline_) {
    try {
      worker_ = std::thread(&BackgroundAnalyzer::work, this);
    } catch (const std::system_error&) {
      inline_ = true;  // no thread to be had: the catalog must not fail the write
    }
  }
  if (inline_) {
    analyzer_->add_record(data);
    return;
  }
  if (current_ != nullptr && current_->used > 0 && current_->used + data.size() > current_->bytes.size()) {
    hand_over_current();
  }
  if (current_ == nullptr) current_ = take_free_chunk();
  // A record larger than a chunk gets a chunk of its own, grown to fit.
  if (data.size() > current_->bytes.size()) current_->bytes.resize(data.size());
  if (!data.empty()) std::memcpy(current_->bytes.data() + current_->used, data.data(), data.size());
  current_->used += data.size();
  current_->lengths.push_back(static_cast<uint32_t>(data.size()));
  if (current_->used == current_->bytes.size()) hand_over_current();
}

void BackgroundAnalyzer::drain() {
  if (current_ != nullptr && !current_->lengths.empty()) hand_over_current();
  if (!worker_.joinable()) return;
  std::unique_lock lock(mu_);
  work_done_.wait(lock, [this] { return ready_.empty() && !busy_; });
}

void BackgroundAnalyzer::start() {
  drain();
  auto fresh = std::make_unique<TapeFileAnalyzer>();
  std::lock_guard lock(mu_);  // the worker reads analyzer_ under the lock
  analyzer_ = std::move(fresh);
}

TapeFileAnalysis BackgroundAnalyzer::finish() {
  drain();
  // The worker is idle and has nothing to do: the analyzer is ours.
  TapeFileAnalysis analysis = analyzer_->finish();
  auto fresh = std::make_unique<TapeFileAnalyzer>();
  std::lock_guard lock(mu_);
  analyzer_ = std::move(fresh);
  return analysis;
}

void BackgroundAnalyzer::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_ready_.wait(lock, [this] { return stopping_ || !ready_.empty(); });
    if (ready_.empty()) return;  // stopping
    Chunk* c = ready_.front();
    ready_.erase(ready_.begin());
    busy_ = true;
    TapeFileAnalyzer* analyzer = analyzer_.get();
    lock.unlock();
    size_t at = 0;
    for (uint32_t n : c->lengths) {
      analyzer->add_record(std::span<const uint8_t>(c->bytes.data() + at, n));
      at += n;
    }
    c->used = 0;
    c->lengths.clear();
    lock.lock();
    free_.push_back(c);
    busy_ = false;
    work_done_.notify_all();
  }
}

}  // namespace vtape
