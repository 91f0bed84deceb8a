// vtape info: what an image is at a glance: format, size, tape files and the
// tape labels found (VOL1 volser and owner, HDR1 file identifiers).

#include <fmt/format.h>

#include "index/tape_labels.h"
#include "tapeformat/image_scan.h"
#include "tapeformat/tape_layout.h"
#include "tools/command_spec.h"
#include "tapeformat/base/json_writer.h"
#include "tools/tool_support.h"

namespace vtape {
namespace {

struct FoundLabel {
  uint64_t file;
  TapeLabel label;
};

int run_info(CommandContext& ctx) {
  const std::string& path = ctx.positional()[0];
  std::unique_ptr<TapeImage> image;
  if (!open_for_reading("info", path, ctx.format, &image)) return kExitFailure;

  TapeLayoutBuilder layout;
  std::vector<FoundLabel> labels;
  auto on_object = [&](const TapeObject& obj, const TapePosition& pos, const std::vector<uint8_t>* data) {
    layout.add(obj);
    if (obj.kind == ObjectKind::kRecord && data != nullptr) {
      if (auto label = parse_tape_label(*data)) labels.push_back({pos.file, *label});
    }
    return true;
  };
  ScanOptions options;
  options.salvage = true;  // info describes what it can; verify judges
  ScanSummary summary;
  Status s = scan_image(*image, options, on_object, nullptr, &summary);
  if (!s.is_ok()) return failure("info", image->describe(s));
  auto files = layout.files();

  const TapeLabel* vol1 = nullptr;
  for (const auto& l : labels) {
    if (l.label.id == "VOL1") {
      vol1 = &l.label;
      break;
    }
  }
  if (ctx.json) {
    JsonWriter j;
    j.begin_object().field("image", path).field("format", format_name(image->format()))
        .field("size", image->size()).field("tape_files", static_cast<uint64_t>(files.size()))
        .field("records", summary.records).field("filemarks", summary.filemarks)
        .field("bytes", summary.bytes).field("damaged_regions", static_cast<uint64_t>(summary.damage.size()));
    if (vol1 != nullptr) {
      j.field("volser", vol1->volser).field("owner", vol1->owner)
          .field("label_charset", vol1->charset == LabelCharset::kEbcdic ? "ebcdic" : "ascii");
    }
    j.key("labels").begin_array();
    for (const auto& l : labels) {
      j.begin_object().field("file", l.file).field("id", l.label.id);
      if (!l.label.volser.empty()) j.field("volser", l.label.volser);
      if (!l.label.owner.empty()) j.field("owner", l.label.owner);
      if (!l.label.file_id.empty()) j.field("file_id", l.label.file_id);
      j.end_object();
    }
    j.end_array().end_object();
    fmt::print("{}\n", j.str());
    return kExitOk;
  }
  fmt::print("image:      {}\n", path);
  fmt::print("format:     {}\n", format_name(image->format()));
  fmt::print("size:       {} bytes\n", image->size());
  fmt::print("tape files: {}\n", files.size());
  fmt::print("records:    {} ({} bytes)\n", summary.records, summary.bytes);
  fmt::print("filemarks:  {}\n", summary.filemarks);
  if (!summary.clean()) {
    fmt::print("damage:     {} region(s); 'vtape verify --salvage' lists them\n", summary.damage.size());
  }
  if (vol1 != nullptr) {
    fmt::print("volume:     {} (owner '{}', {} labels)\n", vol1->volser, vol1->owner,
               vol1->charset == LabelCharset::kEbcdic ? "IBM EBCDIC" : "ANSI ASCII");
  } else {
    fmt::print("volume:     unlabelled (no VOL1)\n");
  }
  for (const auto& l : labels) {
    if (l.label.id == "HDR1") fmt::print("file {}:     HDR1 file id '{}'\n", l.file, l.label.file_id);
  }
  return kExitOk;
}

}  // namespace

const CommandSpec kInfoCommand{
    .name = "info",
    .summary = "detected format, size, tape files and labels of an image",
    .usage = "vtape info IMAGE [--json] [--format FMT]",
    .help = "Shows the detected format, size, tape files and labels of IMAGE.\n",
    .flags = {"--json"},
    .options = {"--format"},
    .min_positional = 1,
    .max_positional = 1,
    .positional_error = "one IMAGE is needed",
    .run = run_info,
};

}  // namespace vtape
