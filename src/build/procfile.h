// The Procfile: `type: command` per line, as on Heroku. Untrusted (it comes with the app's code).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace slipway::build {

inline constexpr std::size_t kMaxProcfileBytes = std::size_t{256} * 1024;
inline constexpr std::size_t kMaxProcessTypes = 256;
inline constexpr std::size_t kMaxProcessTypeLength = 63;

// Parses a Procfile into type -> command. Rules (Heroku's): one `type: command` per line; type
// names are [A-Za-z0-9_-]+; blank lines and lines starting with `#` are ignored; LF or CRLF line
// ends, a leading UTF-8 byte order mark is skipped; whitespace around the type and the command is
// trimmed. Errors (kInvalidParams) name the line: "Procfile line 3: ..." — a line that is not
// `type: command`, an invalid type name, an empty command, a type declared twice, a NUL byte —
// and the file as a whole when it is over kMaxProcfileBytes or kMaxProcessTypes.
Result<std::map<std::string, std::string>> parse_procfile(std::string_view text);

// Whether `name` is a valid process type name: [A-Za-z0-9_-]+ (length is checked separately).
bool is_process_type_name(std::string_view name);

}  // namespace slipway::build
