// The HTTP message types the API is written against (Boost.Beast, string bodies).
#pragma once

#include <boost/beast/http.hpp>
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
};

}  // namespace slipway::api
