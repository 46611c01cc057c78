// The HTTP message types the API is written against (Boost.Beast, string bodies).
#pragma once

#include <boost/beast/http.hpp>

namespace slipway::api {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

}  // namespace slipway::api
