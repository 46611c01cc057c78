#include "api/https_server.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>

#include "api/errors.h"
#include "common/tcp_listen.h"

namespace slipway::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using Stream = beast::ssl_stream<beast::tcp_stream>;

// An upload body written to a file up to `keep` bytes; the rest is counted and discarded (see
// Upload::on_too_large).
struct CappedFileBody {
  struct value_type {
    beast::file file;
    std::uint64_t keep = 0;
    std::uint64_t received = 0;
  };
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>& /*header*/, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>& /*content_length*/, beast::error_code& ec) {
      ec = {};
    }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      ec = {};
      std::size_t total = 0;
      for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers);
           ++it) {
        const asio::const_buffer buffer = *it;
        const std::uint64_t room = body_.received < body_.keep ? body_.keep - body_.received : 0;
        const auto kept = static_cast<std::size_t>(std::min<std::uint64_t>(room, buffer.size()));
        if (kept > 0) {
          std::size_t written = 0;
          while (written < kept && !ec) {
            written += body_.file.write(static_cast<const char*>(buffer.data()) + written,
                                        kept - written, ec);
          }
          if (ec) return total;
        }
        body_.received += buffer.size();
        total += buffer.size();
      }
      return total;
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

// A response for requests the parser refused before any handler could see them.
Response protocol_error(http::status status, ErrorCode code, std::string message) {
  Response res{status, 11};
  res.set(http::field::content_type, "application/json; charset=utf-8");
  res.body() = error_body(make_error(code, std::move(message)));
  res.keep_alive(false);
  res.prepare_payload();
  return res;
}

// After refusing a request before reading its body, keep reading (and discarding) for a while:
// closing with unread data makes the kernel send a reset, which can destroy the response before
// a client that writes its whole body first has read it.
asio::awaitable<void> drain_unread_body(Stream& stream, const ServerLimits& limits) {
  constexpr std::size_t kMaxDrainBytes = std::size_t{64} * 1024 * 1024;
  std::array<char, 16384> scratch{};
  std::size_t drained = 0;
  beast::error_code ec;
  beast::get_lowest_layer(stream).expires_after(limits.handshake_timeout);
  while (!ec && drained < kMaxDrainBytes) {
    drained += co_await stream.async_read_some(asio::buffer(scratch),
                                               asio::redirect_error(asio::use_awaitable, ec));
  }
}

// True once the client closed its end (FIN or reset), whatever is still unread. A write finds
// that out only a write or two later; a streamed git push must learn it at once, because its
// build is cancelled when the hook is killed with the response (PushListener). Clients do not
// half-close while awaiting a response, so a FIN means gone.
bool client_gone(Stream& stream) {
  pollfd fd{beast::get_lowest_layer(stream).socket().native_handle(), POLLRDHUP, 0};
  return ::poll(&fd, 1, 0) > 0 && (fd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

// Writes the header, then the body piece by piece until it completes or the client goes away.
// The body is delimited by closing the connection. While idle, an SSE comment line every 15 s
// finds out whether the client is still there.
asio::awaitable<void> stream_body(Stream& stream, Outgoing& out, const ServerLimits& limits) {
  beast::error_code ec;
  auto& tcp_layer = beast::get_lowest_layer(stream);
  out.response.keep_alive(false);
  out.response.body().clear();
  http::response_serializer<http::string_body> serializer(out.response);
  tcp_layer.expires_after(limits.request_timeout);
  co_await http::async_write_header(stream, serializer,
                                    asio::redirect_error(asio::use_awaitable, ec));
  asio::steady_timer timer(stream.get_executor());
  auto idle_since = std::chrono::steady_clock::now();
  while (!ec) {
    std::optional<std::string> piece = out.stream();
    if (!piece) break;
    if (piece->empty() && !out.idle_keepalive.empty() &&
        std::chrono::steady_clock::now() - idle_since > std::chrono::seconds(15)) {
      piece = out.idle_keepalive;
    }
    if (piece->empty()) {
      if (client_gone(stream)) break;
      timer.expires_after(std::chrono::milliseconds(200));
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    tcp_layer.expires_after(limits.request_timeout);
    co_await asio::async_write(stream, asio::buffer(*piece),
                               asio::redirect_error(asio::use_awaitable, ec));
    idle_since = std::chrono::steady_clock::now();
  }
}

Response body_too_large(std::uint64_t limit) {
  return protocol_error(http::status::payload_too_large, ErrorCode::kPayloadTooLarge,
                        "The request body is larger than " + std::to_string(limit) + " bytes.");
}

Response refused(const beast::error_code& ec, std::uint64_t body_limit) {
  if (ec == http::error::body_limit) return body_too_large(body_limit);
  if (ec == http::error::header_limit) {
    return protocol_error(http::status::request_header_fields_too_large, ErrorCode::kBadRequest,
                          "The request headers are too large.");
  }
  return protocol_error(http::status::bad_request, ErrorCode::kBadRequest,
                        "Malformed HTTP request: " + ec.message());
}

bool is_disconnect(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == beast::error::timeout ||
         ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

asio::awaitable<void> serve_connection(Stream stream, const HttpsServer::Handler& handler,
                                       const HttpsServer::UploadTarget& upload_target,
                                       const ServerLimits& limits) {
  beast::error_code ec;
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(limits.handshake_timeout);
  co_await stream.async_handshake(asio::ssl::stream_base::server,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  beast::flat_buffer buffer;
  for (;;) {
    // The header first; then the body goes to memory (small API bodies) or, for uploads, to a
    // file the upload route names, so large archives never sit in memory.
    http::request_parser<http::empty_body> header_parser;
    header_parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    // No limit yet (boost::none trips a Beast 1.74 comparison bug); the body parser sets it.
    header_parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    tcp_layer.expires_after(limits.idle_timeout);
    co_await http::async_read_header(stream, buffer, header_parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (is_disconnect(ec)) break;
    Request request;
    std::optional<std::filesystem::path> body_file;
    std::uint64_t body_limit = limits.max_body_bytes;
    std::optional<Upload> upload;
    std::uint64_t received = 0;
    if (!ec) {
      const Request header_view{header_parser.get().base()};
      upload = upload_target ? upload_target(header_view) : std::nullopt;
      tcp_layer.expires_after(limits.upload_timeout);
      if (upload) {
        body_file = upload->file;
        const std::uint64_t keep =
            upload->max_bytes != 0 ? upload->max_bytes : limits.max_upload_bytes;
        // Past `keep`, a body is read only to answer it (on_too_large), and not without bound.
        body_limit = upload->on_too_large ? std::max(keep, limits.max_upload_bytes) : keep;
        http::request_parser<CappedFileBody> parser{std::move(header_parser)};
        parser.body_limit(body_limit);
        parser.get().body().keep = keep;
        parser.get().body().file.open(body_file->c_str(), beast::file_mode::write, ec);
        if (!ec && parser.content_length() && *parser.content_length() > body_limit) {
          ec = http::error::body_limit;
        }
        if (!ec) {
          co_await http::async_read(stream, buffer, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
        }
        beast::error_code close_ec;
        parser.get().body().file.close(close_ec);
        received = parser.get().body().received;
        request = Request{std::move(parser.get().base())};
        if (!ec && received > keep && !upload->on_too_large) ec = http::error::body_limit;
      } else {
        http::request_parser<http::string_body> parser{std::move(header_parser)};
        parser.body_limit(body_limit);
        if (parser.content_length() && *parser.content_length() > body_limit) {
          ec = http::error::body_limit;
        } else {
          co_await http::async_read(stream, buffer, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
        }
        request = parser.release();
      }
    }
    if (is_disconnect(ec)) break;
    std::error_code ignored;
    if (ec) {
      if (body_file) std::filesystem::remove(*body_file, ignored);
      Response res = refused(ec, body_limit);
      tcp_layer.expires_after(limits.request_timeout);
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) co_await drain_unread_body(stream, limits);
      break;
    }
    const bool too_large =
        upload && upload->on_too_large &&
        received > (upload->max_bytes != 0 ? upload->max_bytes : limits.max_upload_bytes);
    Outgoing out = too_large ? upload->on_too_large(request, *body_file, received)
                             : handler(request, body_file);
    if (body_file) std::filesystem::remove(*body_file, ignored);
    if (out.stream) {
      co_await stream_body(stream, out, limits);
      break;
    }
    const bool keep_alive = out.response.keep_alive();
    tcp_layer.expires_after(limits.request_timeout);
    co_await http::async_write(stream, out.response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !keep_alive) break;
  }
  tcp_layer.expires_after(std::chrono::seconds(5));
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, asio::ssl::context& tls,
                                  const HttpsServer::Handler& handler,
                                  const HttpsServer::UploadTarget& upload_target,
                                  const ServerLimits& limits) {
  auto& io = static_cast<asio::io_context&>(acceptor.get_executor().context());
  for (;;) {
    beast::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(
        asio::make_strand(io), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;
    auto executor = socket.get_executor();
    asio::co_spawn(executor,
                   serve_connection(Stream(beast::tcp_stream(std::move(socket)), tls), handler,
                                    upload_target, limits),
                   asio::detached);
  }
}

}  // namespace

HttpsServer::HttpsServer(Handler handler, UploadTarget upload_target, ServerLimits limits)
    : handler_(std::move(handler)),
      upload_target_(std::move(upload_target)),
      limits_(limits),
      tls_(asio::ssl::context::tls_server),
      acceptor_(io_) {
  tls_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
}

HttpsServer::~HttpsServer() { stop(); }

Status HttpsServer::load_tls(const TlsFiles& files) {
  beast::error_code ec;
  tls_.use_certificate_chain_file(files.certificate_chain.string(), ec);
  if (!ec) tls_.use_private_key_file(files.private_key.string(), asio::ssl::context::pem, ec);
  if (ec) return make_error(ErrorCode::kInternal, "cannot load TLS certificate: " + ec.message());
  return {};
}

Result<tcp::endpoint> HttpsServer::listen(const std::string& host, unsigned short port) {
  return listen_on(acceptor_, host, port);
}

void HttpsServer::start(std::size_t threads) {
  asio::co_spawn(io_, accept_loop(acceptor_, tls_, handler_, upload_target_, limits_),
                 asio::detached);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
}

void HttpsServer::stop() {
  if (threads_.empty()) return;
  asio::post(io_, [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
  io_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace slipway::api
