#include "build/procfile.h"

#include <algorithm>
#include <utility>

#include "build/text_lines.h"

namespace slipway::build {
namespace {

constexpr std::size_t kQuotedLineLength = 60;

Error line_error(std::size_t line, const std::string& why) {
  return make_error(ErrorCode::kInvalidParams,
                    "Procfile line " + std::to_string(line) + ": " + why);
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

// The line as shown in an error: printable, and not too long.
std::string quoted(std::string_view line) {
  std::string out;
  for (const char c : line.substr(0, kQuotedLineLength)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  }
  if (line.size() > kQuotedLineLength) out += "...";
  return "`" + out + "`";
}

}  // namespace

bool is_process_type_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

Result<std::map<std::string, std::string>> parse_procfile(std::string_view text) {
  if (text.size() > kMaxProcfileBytes) {
    return make_error(
        ErrorCode::kInvalidParams,
        "Procfile is larger than " + std::to_string(kMaxProcfileBytes / 1024) + " KiB");
  }
  std::map<std::string, std::string> types;
  std::map<std::string, std::size_t> declared_on;
  LineReader lines(text);
  std::string_view raw;
  while (lines.next(raw)) {
    const std::size_t number = lines.number();
    if (raw.find('\0') != std::string_view::npos) return line_error(number, "contains a NUL byte");
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;

    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      return line_error(number, quoted(line) + " is not `type: command`");
    }
    const std::string_view type = trim(line.substr(0, colon));
    const std::string_view command = trim(line.substr(colon + 1));
    if (!is_process_type_name(type)) {
      return line_error(number, quoted(line) +
                                    " is not `type: command` (process type names use letters, "
                                    "digits, `_` and `-`)");
    }
    if (type.size() > kMaxProcessTypeLength) {
      return line_error(number, "process type name longer than " +
                                    std::to_string(kMaxProcessTypeLength) + " characters");
    }
    if (command.empty()) {
      return line_error(number, "process type `" + std::string(type) + "` has no command");
    }
    if (const auto seen = declared_on.find(std::string(type)); seen != declared_on.end()) {
      return line_error(number, "process type `" + std::string(type) +
                                    "` is declared twice (also on line " +
                                    std::to_string(seen->second) + ")");
    }
    if (types.size() == kMaxProcessTypes) {
      return line_error(number, "more than " + std::to_string(kMaxProcessTypes) + " process types");
    }
    declared_on.emplace(type, number);
    types.emplace(type, command);
  }
  return types;
}

}  // namespace slipway::build
