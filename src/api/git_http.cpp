#include "api/git_http.h"

#include <spdlog/spdlog.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "api/app_access.h"
#include "api/credentials.h"
#include "api/routing.h"
#include "build/receive_pack_request.h"

namespace slipway::api {
namespace {

constexpr std::string_view kReceivePack = "git-receive-pack";
constexpr std::string_view kUploadPack = "git-upload-pack";

Outgoing text(const Request& request, http::status status, std::string body) {
  Response res{status, request.version()};
  res.set(http::field::server, "slipway");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.set(http::field::cache_control, "no-cache");
  res.body() = std::move(body);
  return Outgoing{std::move(res), {}};
}

// git asks its credential helper after the challenge; the body is shown if that fails.
Outgoing unauthorized(const Request& request) {
  const bool presented = !request[http::field::authorization].empty();
  Outgoing out = text(request, http::status::unauthorized,
                      presented ? "!  Invalid credentials: the password must be a valid API token "
                                  "(`heroku auth:token`).\n"
                                : "!  Authentication required: the password is your API token "
                                  "(the heroku CLI's credential helper gives it to git).\n");
  out.response.set(http::field::www_authenticate, "Basic realm=\"Slipway\"");
  return out;
}

bool is_service(std::string_view path) { return path == kReceivePack || path == kUploadPack; }

// The service an info/refs request asks for, from its query.
std::optional<std::string> advertised_service(const GitTarget& target) {
  auto parsed = parse_target("/?" + target.query);
  if (!parsed) return std::nullopt;
  const auto it = parsed->query.find("service");
  if (it == parsed->query.end() || !is_service(it->second)) return std::nullopt;
  return it->second;
}

std::optional<store::Account> authenticate(store::Store& store, const Request& request) {
  const auto token = token_from_authorization(request[http::field::authorization]);
  if (!token) return std::nullopt;
  auto account = store.authenticate(*token);
  if (!account || !*account) return std::nullopt;
  return **account;
}

}  // namespace

std::optional<GitTarget> parse_git_target(std::string_view target) {
  const auto q = target.find('?');
  auto parsed = parse_target(target.substr(0, q));
  if (!parsed || parsed->segments.size() < 2) return std::nullopt;
  const std::string& repo = parsed->segments.front();
  if (repo.size() <= 4 || !repo.ends_with(".git")) return std::nullopt;
  GitTarget out;
  out.app = repo.substr(0, repo.size() - 4);
  for (std::size_t i = 1; i < parsed->segments.size(); ++i) {
    if (i > 1) out.path += "/";
    out.path += parsed->segments[i];
  }
  if (q != std::string_view::npos) out.query = std::string(target.substr(q + 1));
  return out;
}

std::string human_size(std::uint64_t bytes) {
  const double mb = static_cast<double>(bytes) / (1024.0 * 1024.0);
  std::array<char, 32> buffer{};
  if (mb >= 100 || mb == static_cast<double>(static_cast<std::uint64_t>(mb))) {
    std::snprintf(buffer.data(), buffer.size(), "%.0f MB", mb);
  } else {
    std::snprintf(buffer.data(), buffer.size(), "%.1f MB", mb);
  }
  return buffer.data();
}

GitHttp::GitHttp(store::Store& store, store::BlobStore& blobs, GitBackend& backend,
                 const ApiSettings& settings)
    : store_(store), blobs_(blobs), backend_(backend), settings_(settings) {}

std::optional<Upload> GitHttp::upload_target(const Request& header, const GitTarget& target) {
  if (header.method() != http::verb::post || !is_service(target.path)) return std::nullopt;
  if (!authenticate(store_, header)) return std::nullopt;
  Upload upload(blobs_.incoming_path());
  upload.max_bytes = settings_.max_push_bytes;
  upload.on_too_large = [limit = settings_.max_push_bytes](const Request& request,
                                                           const std::filesystem::path& first_bytes,
                                                           std::uint64_t total) {
    return too_large(request, first_bytes, total, limit);
  };
  return upload;
}

Outgoing GitHttp::too_large(const Request& header, const std::filesystem::path& first_bytes,
                            std::uint64_t total_bytes, std::uint64_t limit) {
  const std::string message = "Push rejected: it is " + human_size(total_bytes) +
                              ", more than the " + human_size(limit) +
                              " this Slipway accepts (its --max-push-size).";
  spdlog::info("at=info git push refused: {} bytes over the {} byte limit", total_bytes, limit);
  const auto target = parse_git_target(header.target());
  // git never gzips a push; anything else gets the plain answer.
  if (target && target->path == kReceivePack && header[http::field::content_encoding].empty()) {
    std::string prefix(std::size_t{64} * 1024, '\0');
    std::ifstream in(first_bytes, std::ios::binary);
    in.read(prefix.data(), static_cast<std::streamsize>(prefix.size()));
    prefix.resize(static_cast<std::size_t>(in.gcount()));
    if (auto commands = build::parse_receive_pack_commands(prefix)) {
      Response res{http::status::ok, header.version()};
      res.set(http::field::server, "slipway");
      res.set(http::field::content_type, "application/x-git-receive-pack-result");
      res.set(http::field::cache_control, "no-cache");
      res.body() = build::receive_pack_refusal(*commands, "\n !     " + message + "\n\n",
                                               "push too large", "push too large");
      res.keep_alive(false);
      res.prepare_payload();
      return Outgoing{std::move(res), {}};
    }
  }
  Outgoing out = text(header, http::status::payload_too_large, "!  " + message + "\n");
  out.response.keep_alive(false);
  out.response.prepare_payload();
  return out;
}

Outgoing GitHttp::handle(const Request& request, const GitTarget& target,
                         const std::optional<std::filesystem::path>& body_file) {
  std::optional<std::string> service;
  if (target.path == "info/refs") {
    if (request.method() != http::verb::get) {
      return text(request, http::status::method_not_allowed, "!  Use GET.\n");
    }
    service = advertised_service(target);
    if (!service) {
      return text(request, http::status::forbidden,
                  "!  Slipway serves git over the smart HTTP protocol only.\n");
    }
  } else if (is_service(target.path)) {
    if (request.method() != http::verb::post) {
      return text(request, http::status::method_not_allowed, "!  Use POST.\n");
    }
    service = target.path;
  } else {
    return text(request, http::status::not_found, "!  Not found.\n");
  }

  const auto account = authenticate(store_, request);
  if (!account) return unauthorized(request);
  auto app = find_accessible_app(store_, target.app, *account);
  if (!app) {
    if (app.error().code == ErrorCode::kNotFound) {
      // Echoed only when it looks like a name: git prints this on the pusher's terminal.
      const bool printable = target.app.size() <= 100 &&
                             target.app.find_first_not_of(
                                 "abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
      return text(request, http::status::not_found,
                  printable ? "!  No such app as " + target.app + ".\n" : "!  No such app.\n");
    }
    if (app.error().code == ErrorCode::kForbidden) {
      return text(request, http::status::forbidden, "!  " + app.error().message + "\n");
    }
    spdlog::error("git: {}", app.error().message);
    return text(request, http::status::internal_server_error, "!  Internal server error.\n");
  }

  GitCall call;
  call.app_id = app->id;
  call.account_id = account->id;
  call.account_email = account->email;
  call.method = std::string(request.method_string());
  call.path = target.path;
  call.query = target.query;
  call.content_type = std::string(request[http::field::content_type]);
  call.content_encoding = std::string(request[http::field::content_encoding]);
  call.git_protocol = std::string(request["Git-Protocol"]);
  call.body_file = body_file;
  if (request.method() == http::verb::post && !body_file) {
    return unauthorized(request);  // the token was not valid yet when the body arrived
  }
  auto reply = backend_.serve(call);
  if (!reply) {
    spdlog::error("git: app {}: {}", app->id, reply.error().message);
    return text(request, http::status::internal_server_error,
                "!  Slipway could not serve this git request.\n");
  }
  Response res{static_cast<http::status>(reply->status), request.version()};
  res.set(http::field::server, "slipway");
  for (const auto& [name, value] : reply->headers) res.set(name, value);
  Outgoing out{std::move(res), std::move(reply->body)};
  out.idle_keepalive.clear();
  return out;
}

}  // namespace slipway::api
