// What every subcommand needs: usage errors, opening an image with a clear
// message, and the shared --format / HET write options.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tapeformat/tape_image.h"
#include "tools/command_line.h"

namespace vtape {

// What a file being written (a converted or restored image, a restored
// file) is called until it is complete and renamed.
inline constexpr const char* kPartialSuffix = ".vtape-partial";

// Prints "vtape CMD: MESSAGE" and the usage line to stderr; returns kExitUsage.
int usage_error(const std::string& command, const std::string& message, const std::string& usage);
// Prints "vtape CMD: MESSAGE" to stderr; returns kExitFailure.
int failure(const std::string& command, const std::string& message);

// Parses --format NAME if given.  False (and a message) when NAME is unknown.
bool format_option(const CommandLine& cl, const std::string& name, std::optional<Format>* format,
                   std::string* error);
// Parses --compress, --level and --chunk-size.
bool write_options(const CommandLine& cl, WriteOptions* options, std::string* error);
// The options write_options parses: --compress, --level and --chunk-size.
const std::vector<std::string>& write_option_names();

// Opens an image read-only; on failure prints the reason and returns false.
bool open_for_reading(const std::string& command, const std::string& path,
                      std::optional<Format> format, std::unique_ptr<TapeImage>* image);

}  // namespace vtape
