#include "library/drive_status_json.h"

#include <fmt/format.h>

namespace vtape {

std::vector<std::string> gstat_names(uint32_t gstat) {
  static const std::pair<uint32_t, const char*> kBits[] = {
      {0x80000000, "EOF"},     {0x40000000, "BOT"},    {0x20000000, "EOT"},   {0x10000000, "SM"},
      {0x08000000, "EOD"},     {0x04000000, "WR_PROT"}, {0x01000000, "ONLINE"}, {0x00040000, "DR_OPEN"},
      {0x00010000, "IM_REP_EN"},
  };
  std::vector<std::string> out;
  for (const auto& [bit, name] : kBits) {
    if (gstat & bit) out.emplace_back(name);
  }
  return out;
}

void write_drive_status(JsonWriter& j, const DriveStatus& st) {
  j.begin_object().field("drive", st.number).field("loaded", st.loaded).field("open", st.open);
  if (st.loaded) {
    j.field("volser", st.volser).field("format", format_name(st.format)).field("capacity", st.capacity)
        .field("used", st.used).field("early_warning", st.early_warning)
        .field("write_protected", st.write_protected).field("file", st.file).field("block", st.block)
        .field("block_address", st.block_address);
  }
  j.field("block_size", static_cast<uint64_t>(st.block_size)).field("density", static_cast<uint64_t>(st.density))
      .field("locked", st.locked).field("compression", st.compression)
      .field("max_record", static_cast<uint64_t>(kMaxDriveRecord));
  j.key("status_bits").begin_array();
  for (const auto& n : gstat_names(st.gstat)) j.value(n);
  j.end_array().end_object();
}

}  // namespace vtape

namespace vtape {

std::string format_drive_status(const DriveStatus& st) {
  std::string bits;
  for (const auto& n : gstat_names(st.gstat)) bits += (bits.empty() ? "" : " ") + n;
  std::string out = fmt::format("drive {}: ", st.number);
  if (!st.loaded) {
    out += fmt::format("empty{}\n", st.open ? ", open" : "");
  } else {
    out += fmt::format("{} ({}{}){}\n", st.volser, format_name(st.format),
                       st.write_protected ? ", write-protected" : "", st.open ? ", open" : "");
    out += fmt::format("  position: file {}, block {}, block address {}\n", st.file, st.block, st.block_address);
    out += fmt::format("  used: {} of {} bytes (early warning at {})\n", st.used, st.capacity, st.early_warning);
  }
  out += fmt::format("  block size: {}, density 0x{:02x}, max record {} bytes{}\n",
                     st.block_size == 0 ? std::string("variable") : std::to_string(st.block_size), st.density,
                     kMaxDriveRecord, st.locked ? ", locked" : "");
  out += fmt::format("  status bits: {}\n", bits);
  return out;
}

}  // namespace vtape
