// The HTTP message types the API is written against (Boost.Beast, string bodies).
#pragma once

#include <boost/beast/http.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace slipway::api {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// A body produced over time (server-sent events): each call returns the next piece, "" when
// there is nothing yet (the server asks again shortly), or nullopt once the body is complete.
using BodyStream = std::function<std::optional<std::string>()>;

// What a handler answers: a whole response, or (with `stream`) a header whose body follows.
struct Outgoing {
  Response response;
  BodyStream stream;
  // Sent after 15 s without a piece, to find out whether the client is still there (an SSE
  // comment). Empty: never, for bodies with a framing of their own (git sends its keepalives in
  // band).
  std::string idle_keepalive = ":\n\n";
};

// Where the body of an upload goes: streamed to `file` instead of memory.
struct Upload {
  Upload(std::filesystem::path f)  // NOLINT(google-explicit-constructor): a path means defaults
      : file(std::move(f)) {}
  std::filesystem::path file;
  // The most the upload may be; 0 means ServerLimits::max_upload_bytes.
  std::uint64_t max_bytes = 0;
  // Unset, a larger body is refused with 413. Set, the body is still read to its end (up to
  // ServerLimits::max_upload_bytes), only its first max_bytes are kept in `file`, and this
  // answers instead of the handler: git shows a refusal in its own protocol, not a 413.
  std::function<Outgoing(const Request& header, const std::filesystem::path& first_bytes,
                         std::uint64_t total_bytes)>
      on_too_large;
};

}  // namespace slipway::api
