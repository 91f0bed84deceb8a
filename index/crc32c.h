// CRC-32C (Castagnoli, the iSCSI/ext4 checksum) of a record: what the
// catalog keeps for every record so that a restore can name the record
// that changed, not just the tape file.  Uses the SSE4.2 crc32 instruction
// where the CPU has it (several GB/s), else a table.
#pragma once

#include <cstdint>
#include <span>

namespace vtape {

uint32_t crc32c(std::span<const uint8_t> data);
// The table version, for tests that compare both.
uint32_t crc32c_portable(std::span<const uint8_t> data);

}  // namespace vtape
