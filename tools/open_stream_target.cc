#include "tools/open_stream_target.h"

#include <fmt/format.h>

#include "library/cartridge_stream_target.h"
#include "library/feed_client.h"
#include "tools/changer_view.h"

namespace vtape {

Status open_stream_target(const std::string& library_dir, const std::string& volser, std::optional<Format> format,
                          StreamOverwrite overwrite, const std::string& door_name,
                          std::unique_ptr<StreamTarget>* out, bool* busy) {
  bool served = false;
  std::unique_ptr<CartridgeStreamTarget> t;
  Status s = CartridgeStreamTarget::open(library_dir, volser, format, overwrite, door_name, &t, &served);
  *busy = false;
  if (s.is_ok()) {
    *out = std::move(t);
    return Status::ok();
  }
  if (!served) return s;
  // A vtapefs serves the library: its drives are the way in.
  std::unique_ptr<TapeLibrary> library;
  VTAPE_RETURN_IF_ERROR(TapeLibrary::open(library_dir, false, &library));
  std::unique_ptr<FeedClient> feed;
  Status fed = FeedClient::open_cartridge(library->socket_path(), volser, format, overwrite, door_name, &feed);
  // The daemon went away between the two tries: the library may be free now.
  *busy = fed.code() == StatusCode::kNotFound;
  if (!fed.is_ok()) return fed;
  *out = std::move(feed);
  return Status::ok();
}

Status open_drive_stream_target(const std::string& library_dir, int drive, const std::string& volser,
                                StreamOverwrite overwrite, std::unique_ptr<StreamTarget>* out) {
  if (overwrite == StreamOverwrite::kAlways) {
    return Status::invalid_argument(
        "--overwrite=always cannot go to a drive that is being read: a feed appends at the end of its data");
  }
  std::unique_ptr<TapeLibrary> library;
  VTAPE_RETURN_IF_ERROR(TapeLibrary::open(library_dir, false, &library));
  std::vector<std::string> drives;
  VTAPE_RETURN_IF_ERROR(read_loaded_drives(*library, &drives));
  if (drive < 0 || drive >= static_cast<int>(drives.size())) {
    return Status::invalid_argument(fmt::format("no drive {} (drives 0 to {})", drive, static_cast<int>(drives.size()) - 1));
  }
  const std::string& loaded = drives[static_cast<size_t>(drive)];
  if (loaded != volser) {
    return Status::invalid_argument(loaded.empty() ? fmt::format("drive {} holds no cartridge, not {}", drive, volser)
                                                   : fmt::format("drive {} holds {}, not {}", drive, loaded, volser));
  }
  std::unique_ptr<FeedClient> feed;
  VTAPE_RETURN_IF_ERROR(FeedClient::open_drive(library->socket_path(), drive, &feed));
  if (overwrite == StreamOverwrite::kNever && feed->objects_before() > 0) {
    (void)feed->finish(false);
    return Status::invalid_argument(fmt::format("{} in drive {} already holds {} records and filemarks "
                                                "(--overwrite=append adds after them)",
                                                volser, drive, feed->objects_before()));
  }
  *out = std::move(feed);
  return Status::ok();
}

}  // namespace vtape
