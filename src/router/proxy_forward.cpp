// Forwarding one request to a dyno and streaming the response back to the client.
#include <sys/socket.h>

#include <cerrno>
#include <optional>

#include "router/body_relay.h"
#include "router/proxy_connection.h"

namespace slipway::router {
namespace {

using asio::ip::tcp;
using ResponseParser = http::response_parser<http::buffer_body>;

// A kept-alive dyno connection is only reused if the dyno has not closed it (or, against the
// protocol, sent something) while it sat idle; reusing a dead one would cost a request that has
// a body, which cannot be retried once streamed.
bool still_usable(Upstream& upstream) {
  if (upstream.buffer.size() != 0) return false;
  char byte = 0;
  const ssize_t n =
      ::recv(upstream.stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// Responses that never carry a body, whatever their headers say.
bool bodiless(const RequestHead& req, unsigned status) {
  return req.method() == http::verb::head || status == 204 || status == 304 ||
         (status >= 100 && status < 200);
}

}  // namespace

asio::awaitable<void> Proxy::Connection::forward(RequestParser& parser,
                                                 const runtime::AppRoute& route, Exchange& x) {
  auto& req = parser.get();
  const auto& options = proxy.options_;
  const bool has_body = !parser.is_done();
  const bool client_keep_alive = req.keep_alive();
  // The router answers `Expect: 100-continue` itself, so the dyno sees a plain request and its
  // first response is the real one.
  const bool expects_continue =
      beast::iequals(req[http::field::expect], "100-continue") && has_body;
  req.erase(http::field::expect);
  req.keep_alive(true);
  bool body_sent = false;
  beast::error_code ec;

  const std::size_t n = route.backends.size();
  const std::uint64_t first = proxy.round_robin_.fetch_add(1, std::memory_order_relaxed);
  // Dynos that refuse connections are skipped; if none accepts, the app counts as crashed.
  for (std::size_t attempt = 0; attempt < n && !body_sent; ++attempt) {
    const auto& [dyno, port] = route.backends[(first + attempt) % n];
    x.dyno = dyno;
    auto& slot = upstreams[port];
    for (int tries = 0; tries < 2; ++tries) {
      // Without a body a request can be retried on a fresh connection, so the check (a system
      // call) is only worth it for requests with one.
      if (slot && (has_body || slot->buffer.size() != 0) && !still_usable(*slot)) slot.reset();
      const bool reused = slot != nullptr;
      const auto connect_start = Clock::now();
      if (!slot) {
        slot = std::make_unique<Upstream>(client.get_executor());
        slot->stream.expires_after(options.connect_timeout);
        co_await slot->stream.async_connect(
            tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<unsigned short>(port)),
            on_error(ec));
        if (ec) {
          slot.reset();
          break;  // not accepting: next dyno
        }
        slot->stream.socket().set_option(tcp::no_delay(true), ec);
      }
      x.connect_ms = ms_since(connect_start);
      Upstream& up = *slot;

      http::request_serializer<http::buffer_body> request_out{req};
      if (has_body) {
        // The header goes first, alone: until the body starts streaming the request can still
        // be retried.
        up.stream.expires_after(options.first_byte_timeout);
        co_await http::async_write_header(up.stream, request_out, on_error(ec));
        if (ec) {
          slot.reset();
          if (reused) continue;  // a kept-alive connection the dyno had closed: once more
          x.error = &kClosedWithoutResponse;
          co_return;
        }
        body_sent = true;  // from here on the request cannot be retried
        if (expects_continue) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          co_await asio::async_write(client, asio::buffer(kContinue), on_error(ec));
          if (ec) {
            slot.reset();
            x.error = &kClientInterrupted;
            x.reusable = false;
            co_return;
          }
        }
      }
      // Without a body, the header is the whole request: one write.
      std::uint64_t uploaded = 0;
      const RelayEnd sent =
          co_await relay_body(client, client_buffer, parser, up.stream, request_out, scratch,
                              options.rolling_timeout, uploaded);
      if (sent == RelayEnd::kOutputFailed && reused && !has_body) {
        slot.reset();
        continue;  // a kept-alive connection the dyno had closed: once more, fresh
      }
      if (sent != RelayEnd::kDone) {
        slot.reset();
        x.reusable = false;
        x.error = sent == RelayEnd::kInputFailed ? &kClientInterrupted : &kClosedWithoutResponse;
        co_return;
      }

      // The response header, within the first-byte timeout (H12). Interim 1xx responses other
      // than 101 are skipped: the client did not ask for them.
      std::optional<ResponseParser> response;
      do {
        response.emplace();
        response->body_limit(std::numeric_limits<std::uint64_t>::max());
        if (req.method() == http::verb::head) response->skip(true);
        up.stream.expires_after(options.first_byte_timeout);
        co_await http::async_read_header(up.stream, up.buffer, *response, on_error(ec));
      } while (!ec && response->get().result_int() / 100 == 1 &&
               response->get().result_int() != 101);
      if (ec) {
        slot.reset();
        if (ec == beast::error::timeout) {
          x.error = &kRequestTimeout;
          x.reusable = x.reusable && parser.is_done();
          co_return;
        }
        if (reused && !has_body) continue;  // closed while idle after all: once more, fresh
        x.error = &kClosedWithoutResponse;
        co_return;
      }

      auto& res = response->get();
      const bool upstream_keep_alive = res.keep_alive();
      x.status = res.result_int();
      const bool no_body = bodiless(req, x.status);
      bool keep_client = client_keep_alive && parser.is_done();
      res.version(req.version());  // the client's HTTP version, whatever the dyno spoke
      if (!no_body && response->need_eof()) {
        // The dyno ends its body by closing: re-frame it as chunked for HTTP/1.1 clients, and
        // close-delimit it for HTTP/1.0 ones.
        if (req.version() >= 11) {
          res.chunked(true);
        } else {
          keep_client = false;
        }
      } else if (res.chunked() && req.version() < 11) {
        res.chunked(false);
        keep_client = false;
      }
      res.keep_alive(keep_client);
      res.set("X-Request-Id", x.request_id);
      x.responded = true;
      x.reusable = keep_client;

      http::response_serializer<http::buffer_body> response_out{res};
      // A header with no body yet goes out at once (a stream may be slow to start); one whose
      // body has begun to arrive goes out with its first piece, in one write.
      if (no_body || up.buffer.size() == 0) {
        client.expires_after(options.rolling_timeout);
        co_await http::async_write_header(client, response_out, on_error(ec));
        if (ec) {
          slot.reset();
          x.reusable = false;
          co_return;
        }
      }
      if (!no_body) {
        const RelayEnd relayed =
            co_await relay_body(up.stream, up.buffer, *response, client, response_out, scratch,
                                options.rolling_timeout, x.bytes);
        if (relayed != RelayEnd::kDone) x.reusable = false;
      }
      if (!upstream_keep_alive || !response->is_done() || (!no_body && response->need_eof())) {
        slot.reset();
      }
      co_return;
    }
  }
  x.error = body_sent ? &kClosedWithoutResponse : &kAppCrashed;
}

}  // namespace slipway::router
