#include "library/drive_status_json.h"

#include <fmt/format.h>

namespace vtape {

std::vector<std::string> status_bit_names(const DriveStatus& st) {
  // In mt-st's order.  A loaded drive is online and, as st's are, in
  // immediate-report mode; an empty one has its door open.  No setmarks.
  const std::pair<bool, const char*> bits[] = {
      {st.after_filemark, "EOF"},   {st.at_bot, "BOT"},   {st.past_early_warning, "EOT"},
      {st.at_end_of_data, "EOD"},   {st.loaded && st.write_protected, "WR_PROT"},
      {st.loaded, "ONLINE"},        {!st.loaded, "DR_OPEN"}, {st.loaded, "IM_REP_EN"},
  };
  std::vector<std::string> out;
  for (const auto& [set, name] : bits) {
    if (set) out.emplace_back(name);
  }
  return out;
}

void write_drive_status(JsonWriter& j, const DriveStatus& st) {
  j.begin_object().field("drive", st.number).field("loaded", st.loaded).field("open", st.open);
  if (st.open && !st.held_by.empty()) j.field("held_by", st.held_by);
  if (st.loaded) {
    j.field("volser", st.volser).field("format", format_name(st.format)).field("capacity", st.capacity)
        .field("used", st.used).field("early_warning", st.early_warning)
        .field("write_protected", st.write_protected).field("file", st.file).field("block", st.block)
        .field("block_address", st.block_address);
  }
  j.field("block_size", static_cast<uint64_t>(st.block_size)).field("density", static_cast<uint64_t>(st.density))
      .field("locked", st.locked).field("compression", st.compression)
      .field("write_mode", write_mode_name(st))
      .field("max_record", static_cast<uint64_t>(kMaxDriveRecord));
  j.key("status_bits").begin_array();
  for (const auto& n : status_bit_names(st)) j.value(n);
  j.end_array();
  if (st.mirror) {
    const MirrorLinkStatus& m = *st.mirror;
    j.key("mirror").begin_object().field("remote", m.remote).field("link", m.link).field("reason", m.reason)
        .field("objects_behind", m.objects_behind).field("bytes_behind", m.bytes_behind)
        .field("last_ack", m.last_ack).end_object();
  }
  j.end_object();
}

}  // namespace vtape

namespace vtape {

const char* write_mode_name(const DriveStatus& st) { return st.buffered_writes ? "buffered" : "write-through"; }

std::string format_drive_status(const DriveStatus& st) {
  std::string bits;
  for (const auto& n : status_bit_names(st)) bits += (bits.empty() ? "" : " ") + n;
  std::string out = fmt::format("drive {}: ", st.number);
  std::string open;
  if (st.open) open = st.held_by.empty() ? ", open" : ", open by " + st.held_by;
  if (!st.loaded) {
    out += fmt::format("empty{}\n", open);
  } else {
    out += fmt::format("{} ({}{}){}\n", st.volser, format_name(st.format),
                       st.write_protected ? ", write-protected" : "", open);
    out += fmt::format("  position: file {}, block {}, block address {}\n", st.file, st.block, st.block_address);
    out += fmt::format("  used: {} of {} bytes (early warning at {})\n", st.used, st.capacity, st.early_warning);
  }
  out += fmt::format("  block size: {}, density 0x{:02x}, max record {} bytes{}\n",
                     st.block_size == 0 ? std::string("variable") : std::to_string(st.block_size), st.density,
                     kMaxDriveRecord, st.locked ? ", locked" : "");
  out += fmt::format("  writes: {}\n", write_mode_name(st));
  out += fmt::format("  status bits: {}\n", bits);
  if (st.mirror) {
    const MirrorLinkStatus& m = *st.mirror;
    out += fmt::format("  mirror: {}{}, {} records and filemarks ({} bytes) behind, last acknowledgement {}{}\n",
                       m.link, m.remote.empty() ? "" : " to " + m.remote, m.objects_behind, m.bytes_behind,
                       m.last_ack.empty() ? "none yet" : m.last_ack, m.reason.empty() ? "" : " (" + m.reason + ")");
  }
  return out;
}

}  // namespace vtape
