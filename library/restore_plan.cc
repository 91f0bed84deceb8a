#include "library/restore_plan.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <charconv>

#include <fmt/format.h>

#include "library/tape_library.h"
#include "tapeformat/tape_image.h"

namespace vtape {

bool parse_volume_selector(const std::string& text, std::string* volser, std::optional<uint64_t>* file,
                           std::optional<std::string>* members, std::string* error) {
  size_t slash = text.find('/');
  auto normalized = normalize_volser(text.substr(0, slash));
  if (!normalized) {
    *error = fmt::format("'{}' is neither an image file nor a volser (1 to 6 letters and digits)",
                         text.substr(0, slash));
    return false;
  }
  *volser = *normalized;
  file->reset();
  members->reset();
  if (slash == std::string::npos) return true;
  std::string rest = text.substr(slash + 1);
  size_t colon = rest.find(':');
  std::string number = rest.substr(0, colon);
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size()) {
    *error = fmt::format("'{}': expected a tape file number after '{}/', found '{}'", text, *volser, number);
    return false;
  }
  *file = n;
  if (colon != std::string::npos) {
    std::string glob = rest.substr(colon + 1);
    if (glob.empty()) {
      *error = fmt::format("'{}': expected a member name or pattern after ':'", text);
      return false;
    }
    *members = glob;
  }
  return true;
}

namespace {

bool is_regular_file(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::string normalized_member(std::string path) {
  while (path.size() >= 2 && path.compare(0, 2, "./") == 0) path.erase(0, 2);
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

bool member_selected(const std::string& glob, const std::string& path) {
  std::string p = normalized_member(path);
  std::string g = normalized_member(glob);
  if (fnmatch(g.c_str(), p.c_str(), 0) == 0) return true;
  // A directory selects what is under it, as tar does.
  return p.size() > g.size() && p.compare(0, g.size(), g) == 0 && p[g.size()] == '/';
}

std::string describe_tape_file(const RestorePlan& plan, uint64_t file) {
  return fmt::format("{} file {}", plan.volser.empty() ? plan.image_path : plan.volser, file);
}

Status resolve_restore_plan(const std::string& source, const std::string& library_dir, RestorePlan* plan) {
  plan->source = source;
  if (is_regular_file(source)) {
    plan->image_path = source;
    std::unique_ptr<TapeImage> image;
    VTAPE_RETURN_IF_ERROR(TapeImage::open(source, OpenOptions{}, &image));
    plan->format = image->format();
    return Status::ok();
  }
  std::string error;
  if (!parse_volume_selector(source, &plan->volser, &plan->only_file, &plan->members, &error)) {
    return Status::not_found(fmt::format("{} (no image file of that name either)", error));
  }
  std::unique_ptr<TapeLibrary> library;
  VTAPE_RETURN_IF_ERROR(TapeLibrary::open(library_dir, /*create=*/false, &library));
  Cartridge cartridge;
  VTAPE_RETURN_IF_ERROR(library->find(plan->volser, &cartridge));
  plan->image_path = cartridge.image_path;
  plan->format = cartridge.format;

  if (!is_regular_file(library->catalog_path())) return Status::ok();
  std::unique_ptr<Catalog> catalog;
  VTAPE_RETURN_IF_ERROR(Catalog::open(library->catalog_path(), &catalog));
  std::vector<TapeFileRow> rows;
  VTAPE_RETURN_IF_ERROR(catalog->files(plan->volser, &rows));
  if (plan->only_file && !rows.empty() && rows.back().file_number < *plan->only_file) {
    return Status::not_found(fmt::format("{} has no tape file {} (the catalog lists files 0 to {})", plan->volser,
                                         *plan->only_file, rows.back().file_number));
  }
  VTAPE_RETURN_IF_ERROR(load_cataloged(*catalog, rows, plan));
  if (plan->only_file) {
    VTAPE_RETURN_IF_ERROR(catalog->members(plan->volser, *plan->only_file, &plan->cataloged_members[*plan->only_file]));
  }
  return Status::ok();
}

Status load_cataloged(Catalog& catalog, const std::vector<TapeFileRow>& rows, RestorePlan* plan) {
  for (const auto& row : rows) {
    plan->cataloged[row.file_number] = row;
    if (plan->only_file && row.file_number != *plan->only_file) continue;
    std::vector<uint32_t> crcs;
    VTAPE_RETURN_IF_ERROR(catalog.record_checksums(plan->volser, row.file_number, &crcs));
    if (!crcs.empty()) plan->record_checksums[row.file_number] = std::move(crcs);
  }
  return Status::ok();
}

}  // namespace vtape
