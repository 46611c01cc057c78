// The Platform API's Range header ("version ..; max=10, order=desc") and pagination by it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace slipway::api {

constexpr std::size_t kDefaultPageSize = 200;
constexpr std::size_t kMaxPageSize = 1000;
// A field name and two bounds of these sizes, plus options, always fit the header limit, so a
// Next-Range the server renders is always accepted back.
constexpr std::size_t kMaxRangeHeaderBytes = 1024;
constexpr std::size_t kMaxRangeFieldBytes = 64;
constexpr std::size_t kMaxRangeBoundBytes = 256;

struct RangeSpec {
  std::string field;                 // empty when the header named none ("]abc..; max=2")
  std::optional<std::string> start;  // first value to include (or to skip past, if exclusive)
  bool start_exclusive = false;
  std::optional<std::string> end;  // last value to include
  std::size_t max = kDefaultPageSize;
  bool descending = false;
};

// Parses every spelling the heroku CLI sends: options after ';' separated by ',' or ';', in any
// order, with or without spaces, with a trailing ';'. An empty header means "no range".
Result<std::optional<RangeSpec>> parse_range(std::string_view header);

// Renders the Next-Range value that continues after `last_value`.
std::string next_range(const RangeSpec& spec, const std::string& field,
                       const std::string& last_value);

// A sort key: numeric fields (release versions) compare as numbers, others as strings.
struct SortKey {
  std::int64_t number = 0;
  std::string text;
  bool numeric = false;
};

struct Page {
  std::vector<std::size_t> indexes;  // positions in the input, in the order to return them
  std::optional<std::string> next_range;
  std::string content_range;
};

// Orders and slices `keys` by `spec` (field already resolved to `field`, default order
// ascending). Next-Range is set only when more items remain, never on the last page.
Result<Page> paginate(const std::vector<SortKey>& keys, const std::optional<RangeSpec>& spec,
                      const std::string& field);

}  // namespace slipway::api
