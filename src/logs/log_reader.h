// Reading an app's log files for log sessions: the last N lines matching a filter, and new lines
// after a position (for --tail). Positions are byte offsets in the current log file, which is
// what log streams use as SSE event ids (so a reconnect with Last-Event-ID resumes).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slipway::logs {

struct LogFilter {
  std::string source;  // "app", "heroku", or empty for all
  std::string dyno;    // "web" (a type: web.1, web.2…), "web.1", "router", or empty for all
};

struct LogLine {
  std::string text;          // the whole line, without its newline
  std::uint64_t end_offset;  // position just after it in the current log file
};

// "<timestamp> <source>[<process>]: <message>" -> source and process; nullopt if malformed.
struct LineOrigin {
  std::string_view source;
  std::string_view process;
};
std::optional<LineOrigin> parse_origin(std::string_view line);

bool matches(const LogFilter& filter, std::string_view line);

// The last `count` matching lines (from the rotated file too), oldest first. `read_up_to`, if
// given, receives the offset in the current file up to which complete lines were read (where a
// tail continues).
std::vector<LogLine> last_lines(const std::filesystem::path& data_dir, const std::string& app_id,
                                const LogFilter& filter, std::size_t count,
                                std::uint64_t* read_up_to = nullptr);

// Matching complete lines after `offset` in the current file. If the file was rotated (it is
// now shorter than `offset`), reading restarts at its beginning. `offset` is advanced.
std::vector<LogLine> lines_after(const std::filesystem::path& data_dir, const std::string& app_id,
                                 const LogFilter& filter, std::uint64_t& offset);

// The current end of the app's log file (where a tail with no history starts).
std::uint64_t end_offset(const std::filesystem::path& data_dir, const std::string& app_id);

}  // namespace slipway::logs
