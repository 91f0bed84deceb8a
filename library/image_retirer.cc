#include "library/image_retirer.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <set>

namespace vtape {

namespace fs = std::filesystem;

namespace {
constexpr const char* kHiddenPrefix = ".retired-";
}  // namespace

ImageRetirer::~ImageRetirer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string ImageRetirer::hidden_name(const std::string& path) {
  fs::path p(path);
  return (p.parent_path() / (kHiddenPrefix + p.filename().string())).string();
}

void ImageRetirer::retire(const std::string& path) {
  std::string hidden = hidden_name(path);
  if (std::rename(path.c_str(), hidden.c_str()) != 0) {
    ::unlink(path.c_str());
    return;
  }
  std::lock_guard lock(mu_);
  waiting_.push_back(hidden);
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  wake_.notify_one();
}

void ImageRetirer::drain() {
  std::unique_lock lock(mu_);
  drained_.wait(lock, [this] { return waiting_.empty() && !busy_; });
}

void ImageRetirer::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
    // Stopping: what is still waiting is deleted before the thread ends.
    if (waiting_.empty()) return;
    std::string path = std::move(waiting_.front());
    waiting_.pop_front();
    busy_ = true;
    lock.unlock();
    ::unlink(path.c_str());
    lock.lock();
    busy_ = false;
    if (waiting_.empty()) drained_.notify_all();
  }
}

void ImageRetirer::remove_leftovers(const std::vector<std::string>& dirs, const std::set<std::string>& image_names) {
  const std::string prefix = kHiddenPrefix;
  std::set<std::string> seen;
  for (const auto& dir : dirs) {
    if (!seen.insert(dir).second) continue;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string name = entry.path().filename().string();
      if (name.rfind(prefix, 0) != 0 || image_names.count(name.substr(prefix.size())) == 0) continue;
      std::error_code ignored;
      if (entry.is_regular_file(ignored)) ::unlink(entry.path().c_str());
    }
  }
}

}  // namespace vtape
