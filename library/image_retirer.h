// ImageRetirer: takes a retired image (the old image of a migrated
// cartridge) out of the way at once and deletes it on a thread of its own.
//
// Deleting a large file costs a lot more than renaming it (a GiB on ext4
// mounted with `discard`: 0.3 s of freeing extents), and nobody needs to
// wait for it: the image is renamed beside itself to a hidden name
// (".retired-NAME", same directory, so the rename is atomic and quick) and
// unlinked later.  A process that ends before the unlink leaves the hidden
// file; remove_leftovers() deletes such files when the daemon starts.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace vtape {

class ImageRetirer {
 public:
  ImageRetirer() = default;
  ImageRetirer(const ImageRetirer&) = delete;
  ImageRetirer& operator=(const ImageRetirer&) = delete;
  // Deletes every image still waiting.
  ~ImageRetirer();

  // Renames `path` to its hidden name and queues it for deletion; when the
  // rename fails, deletes `path` at once.
  void retire(const std::string& path);
  // Waits until every image retired so far is deleted.
  void drain();

  // DIR/.retired-NAME for DIR/NAME.
  static std::string hidden_name(const std::string& path);
  // Deletes the hidden files a process that ended too soon left in `dirs`:
  // only ".retired-NAME" with NAME in `image_names` (the file names the
  // library's images have or had), so that a user's own file that happens
  // to start with ".retired-" is never deleted.
  static void remove_leftovers(const std::vector<std::string>& dirs, const std::set<std::string>& image_names);

 private:
  void run();

  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::deque<std::string> waiting_;
  bool busy_ = false;  // the thread is deleting one
  bool stopping_ = false;
  std::thread thread_;  // started by the first retire()
};

}  // namespace vtape
