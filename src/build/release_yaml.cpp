#include "build/release_yaml.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>

#include "build/procfile.h"
#include "build/text_lines.h"

namespace slipway::build {
namespace {

struct Line {
  std::size_t number = 0;
  std::size_t indent = 0;
  std::string_view text;  // after the indentation, trailing whitespace removed
};

struct Scalar {
  std::string value;
  bool is_null = false;
};

Error error_at(std::size_t line, const std::string& why) {
  return make_error(ErrorCode::kInvalidParams,
                    "bin/release output line " + std::to_string(line) + ": " + why);
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool starts_list_item(std::string_view text) {
  return text == "-" || (text.size() > 1 && text[0] == '-' && is_space(text[1]));
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::optional<std::uint32_t> hex_value(std::string_view digits) {
  std::uint32_t v = 0;
  for (const char c : digits) {
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v |= static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
  }
  return v;
}

// Reads one line's scalars, keys and flow collections, left to right.
class Cursor {
 public:
  Cursor(std::string_view text, std::size_t line) : s_(text), line_(line) {}

  std::size_t line() const { return line_; }
  std::size_t pos() const { return pos_; }
  void skip_spaces() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
  }
  bool at_end_or_comment() {
    skip_spaces();
    return pos_ == s_.size() || s_[pos_] == '#';
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void advance() { ++pos_; }

  // Nothing but a comment may follow.
  Status expect_end() {
    if (at_end_or_comment()) return {};
    return error_at(line_, "unexpected `" + std::string(s_.substr(pos_)) + "`");
  }

  // `key:` — a plain or quoted key followed by a colon (and a space, the end, or in a flow map a
  // comma or brace).
  Result<std::string> key(bool flow) {
    skip_spaces();
    std::string name;
    if (peek() == '"' || peek() == '\'') {
      auto quoted = peek() == '"' ? double_quoted() : single_quoted();
      if (!quoted) return quoted.error();
      name = std::move(*quoted);
      skip_spaces();
      if (peek() != ':') return error_at(line_, "expected `:` after the key \"" + name + "\"");
      ++pos_;
      return name;
    }
    const std::size_t start = pos_;
    for (; pos_ < s_.size(); ++pos_) {
      const char c = s_[pos_];
      if (c == ':' && (pos_ + 1 == s_.size() || is_space(s_[pos_ + 1]) ||
                       (flow && (s_[pos_ + 1] == ',' || s_[pos_ + 1] == '}')))) {
        break;
      }
      if (flow && (c == ',' || c == '}' || c == '{' || c == '[' || c == ']')) break;
    }
    if (pos_ == s_.size() || s_[pos_] != ':') {
      return error_at(line_,
                      "expected `key: value`, found `" + std::string(s_.substr(start)) + "`");
    }
    name = trim_right(s_.substr(start, pos_ - start));
    ++pos_;
    if (name.empty()) return error_at(line_, "empty key");
    if (auto bad = reserved(name.front())) return error_at(line_, *bad);
    return name;
  }

  // A value on a block line: a scalar up to the end of the line (or its comment). Flow
  // collections are left for the caller (peek() is `[` or `{`).
  Result<Scalar> block_scalar() {
    skip_spaces();
    if (at_end_or_comment()) return Scalar{"", true};
    const char c = peek();
    if (c == '"' || c == '\'') {
      auto quoted = c == '"' ? double_quoted() : single_quoted();
      if (!quoted) return quoted.error();
      if (auto end = expect_end(); !end) return end.error();
      return Scalar{std::move(*quoted), false};
    }
    if (auto bad = reserved(c)) return error_at(line_, *bad);
    // A plain scalar runs to the end of the line or to a comment (" #").
    const std::size_t start = pos_;
    std::size_t end = s_.size();
    for (std::size_t i = start + 1; i < s_.size(); ++i) {
      if (s_[i] == '#' && is_space(s_[i - 1])) {
        end = i;
        break;
      }
    }
    const std::string value = trim_right(s_.substr(start, end - start));
    pos_ = s_.size();
    if (starts_list_item(value)) return error_at(line_, "a list is not allowed here");
    if (value.back() == ':' || value.find(": ") != std::string::npos ||
        value.find(":\t") != std::string::npos) {
      return error_at(line_, "`" + value + "` contains `: `; quote the value");
    }
    return plain(value);
  }

  // `[a, "b"]` — the whole collection on this line.
  Result<std::vector<Scalar>> flow_sequence() {
    std::vector<Scalar> items;
    auto read = flow_items(']', [&]() -> Status {
      auto item = flow_scalar(false);
      if (!item) return item.error();
      items.push_back(std::move(*item));
      return {};
    });
    if (!read) return read.error();
    return items;
  }

  // `{a: b, "c": d}` — the whole collection on this line.
  Result<std::vector<std::pair<std::string, Scalar>>> flow_mapping() {
    std::vector<std::pair<std::string, Scalar>> entries;
    auto read = flow_items('}', [&]() -> Status {
      auto name = key(true);
      if (!name) return name.error();
      auto value = flow_scalar(true);
      if (!value) return value.error();
      entries.emplace_back(std::move(*name), std::move(*value));
      return {};
    });
    if (!read) return read.error();
    return entries;
  }

 private:
  static std::string trim_right(std::string_view v) {
    while (!v.empty() && is_space(v.back())) v.remove_suffix(1);
    return std::string(v);
  }

  static Scalar plain(std::string value) {
    const bool is_null =
        value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL";
    return Scalar{is_null ? std::string() : std::move(value), is_null};
  }

  // Indicators Slipway does not support at the start of a scalar, and why.
  static std::optional<std::string> reserved(char c) {
    switch (c) {
      case '|':
      case '>':
        return "block scalars (`|`, `>`) are not supported; use a quoted string";
      case '&':
      case '*':
      case '!':
        return "anchors, aliases and tags are not supported";
      case '@':
      case '`':
        return std::string("a plain value cannot start with `") + c + "`; quote it";
      case '%':
        return "directives are not supported";
      case '?':
        return "complex keys are not supported";
      default:
        return std::nullopt;
    }
  }

  Error unterminated(char close) const {
    return error_at(line_, std::string("expected `,` or `") + close +
                               "` (flow collections must fit on one line)");
  }

  // The items of a flow collection, from its opening bracket to `close` on this line.
  Status flow_items(char close, const std::function<Status()>& read_item) {
    ++pos_;  // the opening bracket
    for (;;) {
      skip_spaces();
      if (peek() == close) break;
      if (auto s = read_item(); !s) return s;
      skip_spaces();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != close) {
        return unterminated(close);
      }
    }
    ++pos_;
    return expect_end();
  }

  Result<Scalar> flow_scalar(bool in_mapping) {
    skip_spaces();
    const char c = peek();
    if (c == '"' || c == '\'') {
      auto quoted = c == '"' ? double_quoted() : single_quoted();
      if (!quoted) return quoted.error();
      return Scalar{std::move(*quoted), false};
    }
    if (c == '[' || c == '{') return error_at(line_, "nested collections are not supported");
    if (auto bad = reserved(c)) return error_at(line_, *bad);
    const std::size_t start = pos_;
    const char close = in_mapping ? '}' : ']';
    while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != close) {
      if (s_[pos_] == '#' && pos_ > start && is_space(s_[pos_ - 1])) break;
      if (s_[pos_] == '[' || s_[pos_] == '{' || s_[pos_] == ']' || s_[pos_] == '}') {
        return error_at(line_, "unexpected `" + std::string(1, s_[pos_]) + "` in a flow value");
      }
      ++pos_;
    }
    return plain(trim_right(s_.substr(start, pos_ - start)));
  }

  Result<std::string> single_quoted() {
    std::string out;
    ++pos_;
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c != '\'') {
        out += c;
      } else if (peek() == '\'') {
        out += '\'';
        ++pos_;
      } else {
        return out;
      }
    }
    return error_at(line_, "unterminated quoted string (multi-line strings are not supported)");
  }

  Result<std::string> double_quoted() {
    std::string out;
    ++pos_;
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ == s_.size()) break;
      const char e = s_[pos_++];
      switch (e) {
        case '0':
          out += '\0';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 't':
        case '\t':
          out += '\t';
          break;
        case 'n':
          out += '\n';
          break;
        case 'v':
          out += '\v';
          break;
        case 'f':
          out += '\f';
          break;
        case 'r':
          out += '\r';
          break;
        case 'e':
          out += '\x1b';
          break;
        case ' ':
          out += ' ';
          break;
        case '"':
          out += '"';
          break;
        case '/':
          out += '/';
          break;
        case '\\':
          out += '\\';
          break;
        case 'x':
        case 'u':
        case 'U': {
          const std::size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          const auto value =
              pos_ + digits <= s_.size() ? hex_value(s_.substr(pos_, digits)) : std::nullopt;
          if (!value || *value > 0x10FFFF || (*value >= 0xD800 && *value <= 0xDFFF)) {
            return error_at(line_, std::string("invalid escape `\\") + e + "` in a quoted string");
          }
          append_utf8(out, *value);
          pos_ += digits;
          break;
        }
        default:
          return error_at(line_, std::string("invalid escape `\\") + e + "` in a quoted string");
      }
    }
    return error_at(line_, "unterminated quoted string (multi-line strings are not supported)");
  }

  std::string_view s_;
  std::size_t line_;
  std::size_t pos_ = 0;
};

using Entries = std::vector<std::pair<std::string, Scalar>>;

// A top-level key's value: what follows `key:` on its line, and the lines under it.
struct Section {
  std::string key;
  Line head;
  std::size_t value_pos = 0;  // where the value starts in head.text
  std::vector<Line> body;
};

Result<Entries> read_map(const Section& section) {
  Cursor head(section.head.text.substr(section.value_pos), section.head.number);
  head.skip_spaces();
  if (!head.at_end_or_comment()) {
    if (!section.body.empty()) {
      return error_at(section.body.front().number, "unexpected indented line");
    }
    if (head.peek() == '{') return head.flow_mapping();
    auto scalar = head.block_scalar();
    if (!scalar) return scalar.error();
    if (scalar->is_null) return Entries{};
    return error_at(head.line(), "`" + section.key + "` must be a map of names to values");
  }
  Entries entries;
  for (const auto& line : section.body) {
    if (line.indent != section.body.front().indent) {
      return error_at(line.number, "bad indentation (nested values are not supported under `" +
                                       section.key + "`)");
    }
    if (starts_list_item(line.text)) {
      return error_at(line.number, "`" + section.key + "` must be a map, not a list");
    }
    Cursor c(line.text, line.number);
    auto name = c.key(false);
    if (!name) return name.error();
    c.skip_spaces();
    if (c.peek() == '[' || c.peek() == '{') {
      return error_at(line.number, "the value of `" + *name + "` must be a string");
    }
    auto value = c.block_scalar();
    if (!value) return value.error();
    entries.emplace_back(std::move(*name), std::move(*value));
  }
  return entries;
}

Result<std::vector<Scalar>> read_list(const Section& section) {
  Cursor head(section.head.text.substr(section.value_pos), section.head.number);
  if (!head.at_end_or_comment()) {
    if (!section.body.empty()) {
      return error_at(section.body.front().number, "unexpected indented line");
    }
    if (head.peek() == '[') return head.flow_sequence();
    auto scalar = head.block_scalar();
    if (!scalar) return scalar.error();
    if (scalar->is_null) return std::vector<Scalar>{};
    return error_at(head.line(), "`" + section.key + "` must be a list");
  }
  std::vector<Scalar> items;
  for (const auto& line : section.body) {
    if (line.indent != section.body.front().indent) {
      return error_at(line.number, "bad indentation (nested values are not supported under `" +
                                       section.key + "`)");
    }
    if (!starts_list_item(line.text)) {
      return error_at(line.number, "`" + section.key + "` must be a list of `- item` lines");
    }
    Cursor c(line.text.substr(1), line.number);
    c.skip_spaces();
    if (c.peek() == '[' || c.peek() == '{') {
      return error_at(line.number, "items of `" + section.key + "` must be strings");
    }
    auto item = c.block_scalar();
    if (!item) return item.error();
    items.push_back(std::move(*item));
  }
  return items;
}

Result<std::vector<Line>> split_lines(std::string_view text) {
  std::vector<Line> lines;
  LineReader reader(text);
  std::string_view raw;
  while (reader.next(raw)) {
    const std::size_t number = reader.number();
    while (!raw.empty() && (is_space(raw.back()) || raw.back() == '\r')) raw.remove_suffix(1);
    std::size_t indent = 0;
    while (indent < raw.size() && raw[indent] == ' ') ++indent;
    const std::string_view content = raw.substr(indent);
    if (content.empty() || content.front() == '#') continue;
    if (content.front() == '\t') return error_at(number, "tabs cannot be used for indentation");
    if (content.find('\0') != std::string_view::npos) return error_at(number, "a NUL byte");
    lines.push_back(Line{number, indent, content});
  }
  return lines;
}

// Splits the document into its top-level `key: ...` sections.
Result<std::vector<Section>> sections_of(const std::vector<Line>& lines) {
  std::vector<Section> sections;
  std::size_t i = 0;
  if (!lines.empty() && lines[0].indent == 0 && lines[0].text.substr(0, 3) == "---" &&
      (lines[0].text.size() == 3 || is_space(lines[0].text[3]))) {
    Cursor rest(lines[0].text.substr(3), lines[0].number);
    if (auto end = rest.expect_end(); !end) {
      return error_at(lines[0].number, "content after `---` is not supported");
    }
    ++i;
  }
  while (i < lines.size()) {
    const Line& line = lines[i];
    if (line.indent != 0) return error_at(line.number, "unexpected indentation");
    if (line.text == "...") {
      if (i + 1 < lines.size()) {
        return error_at(lines[i + 1].number, "only one YAML document is supported");
      }
      break;
    }
    if (line.text.substr(0, 3) == "---") {
      return error_at(line.number, "only one YAML document is supported");
    }
    if (starts_list_item(line.text)) {
      return error_at(line.number, "the output must be a map (`key: value` lines), not a list");
    }
    Cursor c(line.text, line.number);
    if (line.text.front() == '[' || line.text.front() == '{') {
      return error_at(line.number, "the output must be a map of `key: value` lines");
    }
    auto name = c.key(false);
    if (!name) return name.error();
    Section section{std::move(*name), line, c.pos(), {}};  // the value starts after the colon
    ++i;
    while (i < lines.size() && (lines[i].indent > 0 || starts_list_item(lines[i].text))) {
      section.body.push_back(lines[i++]);
    }
    sections.push_back(std::move(section));
  }
  return sections;
}

}  // namespace

Result<ReleaseInfo> parse_release_yaml(std::string_view text) {
  if (text.size() > kMaxReleaseYamlBytes) {
    return make_error(ErrorCode::kInvalidParams, "bin/release output is larger than " +
                                                     std::to_string(kMaxReleaseYamlBytes / 1024) +
                                                     " KiB");
  }
  auto lines = split_lines(text);
  if (!lines) return lines.error();
  auto sections = sections_of(*lines);
  if (!sections) return sections.error();

  ReleaseInfo info;
  std::size_t count = 0;
  std::vector<std::string> seen;
  for (const auto& section : *sections) {
    const bool known = section.key == "addons" || section.key == "config_vars" ||
                       section.key == "default_process_types";
    if (!known) continue;
    if (std::find(seen.begin(), seen.end(), section.key) != seen.end()) {
      return error_at(section.head.number, "`" + section.key + "` appears twice");
    }
    seen.push_back(section.key);
    if (section.key == "addons") {
      auto items = read_list(section);
      if (!items) return items.error();
      for (auto& item : *items) {
        if (item.is_null || item.value.empty()) {
          return error_at(section.head.number, "an empty item in `addons`");
        }
        info.addons.push_back(std::move(item.value));
      }
      count += items->size();
    } else {
      auto entries = read_map(section);
      if (!entries) return entries.error();
      const bool processes = section.key == "default_process_types";
      auto& target = processes ? info.default_process_types : info.config_vars;
      for (auto& [name, value] : *entries) {
        if (processes && !is_process_type_name(name)) {
          return error_at(section.head.number,
                          "`" + name + "` is not a process type name (letters, digits, _ and -)");
        }
        if (processes && value.value.empty()) {
          return error_at(section.head.number, "process type `" + name + "` has no command");
        }
        if (!target.emplace(name, std::move(value.value)).second) {
          return error_at(section.head.number,
                          "`" + name + "` appears twice in `" + section.key + "`");
        }
      }
      count += entries->size();
    }
    if (count > kMaxReleaseYamlEntries) {
      return error_at(section.head.number,
                      "more than " + std::to_string(kMaxReleaseYamlEntries) + " entries");
    }
  }
  return info;
}

}  // namespace slipway::build
