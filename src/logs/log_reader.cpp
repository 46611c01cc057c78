#include "logs/log_reader.h"

#include <fstream>
#include <iterator>

#include "logs/app_log.h"

namespace slipway::logs {

namespace fs = std::filesystem;

std::optional<LineOrigin> parse_origin(std::string_view line) {
  const auto space = line.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto open = line.find('[', space + 1);
  const auto close = line.find("]: ", space + 1);
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  return LineOrigin{line.substr(space + 1, open - space - 1),
                    line.substr(open + 1, close - open - 1)};
}

bool matches(const LogFilter& filter, std::string_view line) {
  if (filter.source.empty() && filter.dyno.empty()) return true;
  const auto origin = parse_origin(line);
  if (!origin) return false;
  if (!filter.source.empty() && origin->source != filter.source) return false;
  if (!filter.dyno.empty()) {
    const std::string_view p = origin->process;
    const bool exact = p == filter.dyno;
    const bool of_type =
        filter.dyno.find('.') == std::string::npos && p.size() > filter.dyno.size() &&
        p.substr(0, filter.dyno.size()) == filter.dyno && p[filter.dyno.size()] == '.';
    if (!exact && !of_type) return false;
  }
  return true;
}

namespace {

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Splits complete lines of `text` (which starts at `base` in its file) into matching LogLines.
void collect(const std::string& text, std::uint64_t base, const LogFilter& filter, bool offsets,
             std::vector<LogLine>& out, std::uint64_t* consumed) {
  std::size_t start = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    if (nl == std::string::npos) break;  // a partial line: not yet complete
    const std::string_view line(text.data() + start, nl - start);
    if (matches(filter, line)) {
      out.push_back(LogLine{std::string(line), offsets ? base + nl + 1 : 0});
    }
    start = nl + 1;
  }
  if (consumed) *consumed = start;
}

}  // namespace

std::vector<LogLine> last_lines(const fs::path& data_dir, const std::string& app_id,
                                const LogFilter& filter, std::size_t count,
                                std::uint64_t* read_up_to) {
  const fs::path current = app_log_file(data_dir, app_id);
  std::vector<LogLine> lines;
  collect(read_all(fs::path(current.string() + ".1")), 0, filter, false, lines, nullptr);
  std::uint64_t consumed = 0;
  collect(read_all(current), 0, filter, true, lines, &consumed);
  if (read_up_to) *read_up_to = consumed;
  if (lines.size() > count) lines.erase(lines.begin(), lines.end() - static_cast<long>(count));
  return lines;
}

std::vector<LogLine> lines_after(const fs::path& data_dir, const std::string& app_id,
                                 const LogFilter& filter, std::uint64_t& offset) {
  const fs::path current = app_log_file(data_dir, app_id);
  std::error_code ec;
  const auto size = fs::file_size(current, ec);
  std::vector<LogLine> lines;
  if (ec) return lines;
  if (size < offset) offset = 0;  // rotated
  if (size == offset) return lines;
  std::ifstream in(current, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::string text(static_cast<std::size_t>(size - offset), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  std::uint64_t consumed = 0;
  collect(text, offset, filter, true, lines, &consumed);
  offset += consumed;
  return lines;
}

std::uint64_t end_offset(const fs::path& data_dir, const std::string& app_id) {
  std::error_code ec;
  const auto size = fs::file_size(app_log_file(data_dir, app_id), ec);
  return ec ? 0 : size;
}

}  // namespace slipway::logs
