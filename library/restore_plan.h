// What `vtape restore` was asked to restore, resolved to an image and the
// catalog's record of it:
//   IMAGE            a whole image file (any readable format)
//   VOLSER           a whole cartridge of the library
//   VOLSER/N         tape file N of a cartridge
//   VOLSER/N:GLOB    members of tape file N whose names match GLOB (tar
//                    rules: * matches '/' too; a directory restores
//                    everything under it; a leading ./ is ignored)
// The catalog (when it knows the volume) supplies the digest and record
// checksums that the restore checks as it reads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "index/catalog.h"
#include "tapeformat/base/status.h"
#include "tapeformat/tape_format.h"

namespace vtape {

struct RestorePlan {
  std::string source;        // the argument as given, for messages
  std::string volser;        // empty for an image given by path
  std::string image_path;
  Format format = Format::kSimh;
  std::optional<uint64_t> only_file;    // VOLSER/N
  std::optional<std::string> members;   // VOLSER/N:GLOB
  // What the catalog recorded, by tape file number (empty when the catalog
  // does not know the volume: nothing to check against).
  std::map<uint64_t, TapeFileRow> cataloged;
  std::map<uint64_t, std::vector<TapeMember>> cataloged_members;  // for only_file
  // CRC-32C of every record, by tape file, where the catalog keeps them.
  std::map<uint64_t, std::vector<uint32_t>> record_checksums;
};

// Splits "VOL001/2:src/*.c" into volser, file and member glob.  False when
// the text is not of that form (then it may be an image path).
bool parse_volume_selector(const std::string& text, std::string* volser, std::optional<uint64_t>* file,
                           std::optional<std::string>* members, std::string* error);

// Resolves `source`: an existing file is an image; otherwise a volume of the
// library in `library_dir`.  The catalog is opened only when present.
Status resolve_restore_plan(const std::string& source, const std::string& library_dir, RestorePlan* plan);

// Puts what the catalog recorded of the plan's volume into the plan: the
// rows of its tape files (`rows`, as Catalog::files gives them) and the
// record checksums of the files the plan selects (plan->only_file, or all).
Status load_cataloged(Catalog& catalog, const std::vector<TapeFileRow>& rows, RestorePlan* plan);

// A member path as restore uses it: without leading "./" and without a
// trailing "/" ("./src/" -> "src", "./" -> "").
std::string normalized_member(std::string path);

// Whether member `path` (as recorded on tape) is selected by `glob`.
bool member_selected(const std::string& glob, const std::string& path);

// "VOL001 file 2" or "img.tap file 2": where a problem is, for messages.
std::string describe_tape_file(const RestorePlan& plan, uint64_t file);

}  // namespace vtape
