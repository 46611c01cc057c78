// Fuzzes the Range header parser and pagination: accepted specs are sane, pages respect max and
// hold unique in-range indexes, and following Next-Range walks every matching item exactly once.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/range.h"
#include "fuzz_check.h"

namespace {

using slipway::api::kDefaultPageSize;
using slipway::api::kMaxPageSize;
using slipway::api::Page;
using slipway::api::paginate;
using slipway::api::parse_range;
using slipway::api::RangeSpec;
using slipway::api::SortKey;

bool is_field_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

SortKey number_key(std::int64_t n) { return SortKey{n, std::to_string(n), true}; }
SortKey text_key(std::string s) { return SortKey{0, std::move(s), false}; }

std::uint64_t next(std::uint64_t& state) {  // splitmix64
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Key sets shaped like the real ones: unique release versions, unique app names / ids.
std::vector<SortKey> random_numbers(std::uint64_t& rng) {
  std::set<std::int64_t> seen;
  std::vector<SortKey> keys;
  const auto count = next(rng) % 40;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::int64_t n = static_cast<std::int64_t>(next(rng) % 60) + 1;
    const auto pick = next(rng) % 16;
    if (pick == 0) n = std::numeric_limits<std::int64_t>::max() - static_cast<std::int64_t>(i);
    if (pick == 1) n = std::numeric_limits<std::int64_t>::min() + static_cast<std::int64_t>(i);
    if (pick == 2) n = -n;
    if (seen.insert(n).second) keys.push_back(number_key(n));
  }
  return keys;
}

std::vector<SortKey> random_names(std::uint64_t& rng) {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789-";
  std::set<std::string> seen;
  std::vector<SortKey> keys;
  const auto count = next(rng) % 40;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string name(1 + next(rng) % 6, 'a');
    for (char& c : name) c = kAlphabet[next(rng) % kAlphabet.size()];
    if (seen.insert(name).second) keys.push_back(text_key(name));
  }
  return keys;
}

int compare(const SortKey& a, const SortKey& b) {
  if (a.numeric && b.numeric) return a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
  const int c = a.text.compare(b.text);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// The bound as paginate must read it; nullopt when it is not a number for numeric keys.
std::optional<SortKey> bound(const std::string& value, bool numeric) {
  if (!numeric) return text_key(value);
  std::int64_t n = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || ptr != value.data() + value.size()) return std::nullopt;
  return SortKey{n, value, true};
}

// Reference answer: indexes of every key inside the bounds, in the requested order.
std::optional<std::vector<std::size_t>> expected(const std::vector<SortKey>& keys,
                                                 const RangeSpec& spec) {
  const bool numeric = !keys.empty() && keys.front().numeric;
  std::optional<SortKey> lo;
  std::optional<SortKey> hi;
  if (spec.start && !(lo = bound(*spec.start, numeric))) return std::nullopt;
  if (spec.end && !(hi = bound(*spec.end, numeric))) return std::nullopt;
  const int dir = spec.descending ? -1 : 1;
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (lo) {
      const int c = compare(keys[i], *lo) * dir;
      if (c < 0 || (c == 0 && spec.start_exclusive)) continue;
    }
    if (hi && compare(keys[i], *hi) * dir > 0) continue;
    out.push_back(i);
  }
  std::sort(out.begin(), out.end(),
            [&](std::size_t a, std::size_t b) { return compare(keys[a], keys[b]) * dir < 0; });
  return out;
}

void check_page(const std::vector<SortKey>& keys, const Page& page, std::size_t max,
                const std::string& field) {
  FUZZ_CHECK(page.indexes.size() <= max);
  std::set<std::size_t> unique(page.indexes.begin(), page.indexes.end());
  FUZZ_CHECK(unique.size() == page.indexes.size());
  for (const std::size_t i : page.indexes) FUZZ_CHECK(i < keys.size());
  // Next-Range only when this page is full, and Content-Range names the field.
  if (page.next_range) FUZZ_CHECK(page.indexes.size() == max);
  FUZZ_CHECK(page.indexes.empty() == page.content_range.empty());
  if (!page.indexes.empty()) FUZZ_CHECK(page.content_range.rfind(field + " ", 0) == 0);
}

// Pages through `keys` from `spec`, following Next-Range, and compares with the reference.
void walk(const std::vector<SortKey>& keys, const std::optional<RangeSpec>& spec,
          const std::string& field) {
  const RangeSpec first = spec.value_or(RangeSpec{});
  const auto want = expected(keys, first);
  auto page = paginate(keys, spec, field);
  FUZZ_CHECK(page.ok() == want.has_value());
  if (!page.ok()) return;
  std::vector<std::size_t> got;
  std::size_t rounds = 0;
  while (true) {
    check_page(keys, *page, first.max, field);
    got.insert(got.end(), page->indexes.begin(), page->indexes.end());
    if (!page->next_range) break;
    FUZZ_CHECK(++rounds <= keys.size());  // every page makes progress
    auto continued = parse_range(*page->next_range);
    FUZZ_CHECK(continued.ok() && continued->has_value());
    const RangeSpec& again = **continued;
    FUZZ_CHECK(again.field == field && again.max == first.max);
    FUZZ_CHECK(again.descending == first.descending && again.end == first.end);
    FUZZ_CHECK(again.start_exclusive && again.start == keys[page->indexes.back()].text);
    page = paginate(keys, *continued, field);
    FUZZ_CHECK(page.ok());
  }
  FUZZ_CHECK(got == *want);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const auto parsed = parse_range(header);
  if (!parsed.ok()) return 0;
  const std::optional<RangeSpec>& spec = *parsed;
  if (spec) {
    FUZZ_CHECK(spec->max >= 1 && spec->max <= kMaxPageSize);
    FUZZ_CHECK(std::all_of(spec->field.begin(), spec->field.end(), is_field_char));
    FUZZ_CHECK(!spec->start || !spec->start->empty());
    FUZZ_CHECK(!spec->end || !spec->end->empty());
  } else {
    FUZZ_CHECK(header.find_first_not_of(" \t") == std::string_view::npos);
    FUZZ_CHECK(RangeSpec{}.max == kDefaultPageSize);
  }
  const auto field = [&](const char* fallback) {
    return spec && !spec->field.empty() ? spec->field : std::string(fallback);
  };

  std::vector<SortKey> versions;
  for (std::int64_t v = 1; v <= 25; ++v) versions.push_back(number_key(v));
  std::vector<SortKey> names;
  for (const char* name : {"sleepy-meadow-81798", "api", "web-2", "zed", "alpha", "api-staging",
                           "b", "0", "calm-river-10000", "aaa"}) {
    names.push_back(text_key(name));
  }
  std::uint64_t rng = 0xcbf29ce484222325ULL;  // the keys vary with the input
  for (const char c : header) rng = (rng ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;

  walk(versions, spec, field("version"));
  walk(names, spec, field("name"));
  walk({}, spec, field("id"));
  walk(random_numbers(rng), spec, field("version"));
  walk(random_names(rng), spec, field("name"));
  return 0;
}
