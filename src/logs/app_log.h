// Per-app log files in Heroku's line format, shared by every writer (agent, router, control
// plane): one O_APPEND write per line, so concurrent writers never interleave within a line.
//   2025-01-01T00:00:00.000000+00:00 app[web.1]: listening on 5000
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace slipway::logs {

// DATA_DIR/logs/<app id>.log; rotated to .log.1 when it passes kRotateBytes.
std::filesystem::path app_log_file(const std::filesystem::path& data_dir,
                                   const std::string& app_id);

constexpr std::size_t kRotateBytes = std::size_t{4} * 1024 * 1024;

// Heroku's timestamp: microseconds and an explicit +00:00 offset.
std::string heroku_timestamp();

// Appends "<timestamp> <source>[<process>]: <text>" (newlines in text become separate lines).
// Never throws and never blocks for long: logging must not stall the caller.
void append_line(const std::filesystem::path& data_dir, const std::string& app_id,
                 std::string_view source, std::string_view process, std::string_view text);

}  // namespace slipway::logs
