// Streams one HTTP message body from the connection it arrives on to the one it leaves on, a
// piece at a time, whatever its framing (Content-Length, chunked, or until close): nothing is
// buffered whole, so uploads of any size and endless streams (Server-Sent Events) pass through
// with memory bounded by the scratch buffer. The caller has read the header with `parser` and
// written it with `serializer`, which shares the parser's message.
#pragma once

// Asio 1.18's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <span>

namespace slipway::router {

enum class RelayEnd { kDone, kInputFailed, kOutputFailed };

template <bool isRequest>
boost::asio::awaitable<RelayEnd> relay_body(
    boost::beast::tcp_stream& in, boost::beast::flat_buffer& in_buffer,
    boost::beast::http::parser<isRequest, boost::beast::http::buffer_body>& parser,
    boost::beast::tcp_stream& out,
    boost::beast::http::serializer<isRequest, boost::beast::http::buffer_body>& serializer,
    std::span<char> scratch, std::chrono::seconds idle_timeout, std::uint64_t& bytes) {
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  boost::beast::error_code ec;
  auto& body = parser.get().body();
  do {
    if (!parser.is_done()) {
      body.data = scratch.data();
      body.size = scratch.size();
      in.expires_after(idle_timeout);
      // read_some, not read: a slow stream's pieces go out as they come, not once a whole
      // scratch buffer has filled.
      co_await http::async_read_some(in, in_buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return RelayEnd::kInputFailed;
      body.size = scratch.size() - body.size;
      // An empty piece (only framing was parsed) must not reach a chunked serializer as data:
      // a zero-length chunk is the end-of-body marker.
      body.data = body.size == 0 ? nullptr : scratch.data();
      body.more = !parser.is_done();
      bytes += body.size;
    } else {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    }
    out.expires_after(idle_timeout);
    co_await http::async_write(out, serializer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return RelayEnd::kOutputFailed;
  } while (!parser.is_done() && !serializer.is_done());
  co_return RelayEnd::kDone;
}

}  // namespace slipway::router
