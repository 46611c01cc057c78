#include "api/range.h"

#include <algorithm>
#include <charconv>
#include <numeric>

namespace slipway::api {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_field_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

Error invalid(std::string_view why) {
  return make_error(ErrorCode::kBadRequest, "Invalid Range header: " + std::string(why));
}

Status apply_option(std::string_view option, RangeSpec& spec) {
  const auto eq = option.find('=');
  if (eq == std::string_view::npos)
    return invalid("expected key=value, got `" + std::string(option) + "`");
  const auto key = trim(option.substr(0, eq));
  const auto value = trim(option.substr(eq + 1));
  if (key == "max") {
    std::size_t n = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || ptr != value.data() + value.size() || n == 0) {
      return invalid("max must be a positive whole number");
    }
    spec.max = std::min(n, kMaxPageSize);
  } else if (key == "order") {
    if (value == "asc") {
      spec.descending = false;
    } else if (value == "desc") {
      spec.descending = true;
    } else {
      return invalid("order must be asc or desc");
    }
  } else {
    return invalid("unknown option `" + std::string(key) + "`");
  }
  return {};
}

int compare(const SortKey& a, const SortKey& b) {
  if (a.numeric && b.numeric) return a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
  return a.text.compare(b.text) < 0 ? -1 : (a.text == b.text ? 0 : 1);
}

std::optional<SortKey> bound_key(const std::string& value, bool numeric) {
  if (!numeric) return SortKey{0, value, false};
  std::int64_t n = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || ptr != value.data() + value.size()) return std::nullopt;
  return SortKey{n, value, true};
}

}  // namespace

Result<std::optional<RangeSpec>> parse_range(std::string_view header) {
  header = trim(header);
  if (header.empty()) return std::optional<RangeSpec>{};
  if (header.size() > kMaxRangeHeaderBytes) return invalid("too long");
  RangeSpec spec;
  const auto semi = header.find(';');
  std::string_view bounds = trim(header.substr(0, semi));
  // An optional leading field name, separated from the bounds by a space.
  std::size_t i = 0;
  while (i < bounds.size() && is_field_char(bounds[i])) ++i;
  if (i > 0 && i < bounds.size() && bounds[i] == ' ') {
    spec.field = std::string(bounds.substr(0, i));
    bounds = trim(bounds.substr(i));
  } else if (i == bounds.size() && bounds.find("..") == std::string_view::npos) {
    return invalid("expected `<field> <start>..<end>`");
  }
  const auto dots = bounds.find("..");
  if (dots == std::string_view::npos) return invalid("expected `..` between the bounds");
  std::string_view start = bounds.substr(0, dots);
  const std::string_view end = bounds.substr(dots + 2);
  if (!start.empty() && start.front() == ']') {
    spec.start_exclusive = true;
    start.remove_prefix(1);
  }
  // Bounded so that any Next-Range built from a parsed spec parses again (see next_range).
  if (spec.field.size() > kMaxRangeFieldBytes) return invalid("field name too long");
  if (start.size() > kMaxRangeBoundBytes || end.size() > kMaxRangeBoundBytes) {
    return invalid("bound too long");
  }
  if (!start.empty()) spec.start = std::string(start);
  if (!end.empty()) spec.end = std::string(end);
  if (semi != std::string_view::npos) {
    std::string_view rest = header.substr(semi + 1);
    while (!rest.empty()) {
      const auto sep = rest.find_first_of(",;");
      const auto option = trim(rest.substr(0, sep));
      if (!option.empty()) {
        if (auto s = apply_option(option, spec); !s) return s.error();
      }
      if (sep == std::string_view::npos) break;
      rest = rest.substr(sep + 1);
    }
  }
  return std::optional<RangeSpec>(std::move(spec));
}

std::string next_range(const RangeSpec& spec, const std::string& field,
                       const std::string& last_value) {
  std::string out = field + " ]" + last_value + "..";
  if (spec.end) out += *spec.end;
  out += "; max=" + std::to_string(spec.max);
  if (spec.descending) out += ", order=desc";
  return out;
}

Result<Page> paginate(const std::vector<SortKey>& keys, const std::optional<RangeSpec>& spec,
                      const std::string& field) {
  const RangeSpec effective = spec.value_or(RangeSpec{});
  const bool numeric = !keys.empty() && keys.front().numeric;
  std::optional<SortKey> start;
  std::optional<SortKey> end;
  if (effective.start) {
    start = bound_key(*effective.start, numeric);
    if (!start) return invalid("`" + *effective.start + "` is not a valid " + field);
  }
  if (effective.end) {
    end = bound_key(*effective.end, numeric);
    if (!end) return invalid("`" + *effective.end + "` is not a valid " + field);
  }
  std::vector<std::size_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const int c = compare(keys[a], keys[b]);
    return effective.descending ? c > 0 : c < 0;
  });
  // Bounds follow the iteration order: in descending order the start is the upper bound.
  const int dir = effective.descending ? -1 : 1;
  Page page;
  std::vector<std::size_t> in_range;
  for (const std::size_t idx : order) {
    if (start) {
      const int c = compare(keys[idx], *start) * dir;
      if (c < 0 || (c == 0 && effective.start_exclusive)) continue;
    }
    if (end && compare(keys[idx], *end) * dir > 0) continue;
    in_range.push_back(idx);
  }
  const std::size_t take = std::min(in_range.size(), effective.max);
  page.indexes.assign(in_range.begin(), in_range.begin() + static_cast<std::ptrdiff_t>(take));
  if (take > 0) {
    const auto& first = keys[page.indexes.front()].text;
    const auto& last = keys[page.indexes.back()].text;
    page.content_range =
        field + " " + first + ".." + last + "; max=" + std::to_string(effective.max);
    if (take < in_range.size()) page.next_range = next_range(effective, field, last);
  }
  return page;
}

}  // namespace slipway::api
