// Log sessions: POST /apps/{app}/log-sessions returns a capability URL (logplex_url) that
// streams the app's log as server-sent events; with "tail" it stays open and follows, and a
// reconnect with Last-Event-ID resumes where the previous stream stopped.
#include <mutex>

#include "api/app_access.h"
#include "api/request_bodies.h"
#include "api/resources.h"
#include "common/ids.h"
#include "common/time.h"
#include "logs/log_reader.h"

namespace slipway::api {
namespace {

struct LogSession {
  std::string app_id;
  std::int64_t lines = kDefaultLogLines;
  bool tail = false;
  logs::LogFilter filter;
  std::chrono::steady_clock::time_point created;
};

// Sessions live in memory for a day; a restarted control plane forgets them, and a tailing
// client that reconnects then gets 404, which the CLI reports as a timed-out stream.
class SessionRegistry {
 public:
  std::string add(LogSession session) {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(sessions_, [&](const auto& s) { return now - s.second.created > kLifetime; });
    std::string token = random_hex(24);
    session.created = now;
    sessions_.emplace(token, std::move(session));
    return token;
  }
  std::optional<LogSession> find(const std::string& token) {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(token);
    if (it == sessions_.end()) return std::nullopt;
    return it->second;
  }

 private:
  static constexpr auto kLifetime = std::chrono::hours(24);
  std::mutex mutex_;
  std::map<std::string, LogSession> sessions_;
};

SessionRegistry& registry() {
  static SessionRegistry instance;
  return instance;
}

std::string event(const logs::LogLine& line) {
  std::string out;
  if (line.end_offset != 0) out += "id: " + std::to_string(line.end_offset) + "\n";
  return out + "data: " + line.text + "\n\n";
}

Result<Reply> create_session(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto body = parse_log_session(ctx.request.body());
  if (!body) return body.error();
  LogSession session;
  session.app_id = app->id;
  session.lines = body->lines;
  session.tail = body->tail;
  session.filter.dyno = std::move(body->dyno);
  session.filter.source = std::move(body->source);
  const std::string token = registry().add(std::move(session));
  const std::string now = now_iso8601();
  return Reply{http::status::created,
               {{"id", new_uuid()},
                {"logplex_url", deps.settings.api_url + "/log-streams/" + token},
                {"created_at", now},
                {"updated_at", now}},
               {}};
}

Result<Reply> stream(const ApiDeps& deps, RequestContext& ctx) {
  auto session = registry().find(ctx.param("token"));
  if (!session) return make_error(ErrorCode::kNotFound, "This log session has expired.");
  const auto data_dir = deps.settings.data_dir;
  std::uint64_t offset = 0;
  std::string backlog;
  const std::string last_event_id(ctx.request["Last-Event-ID"]);
  if (session->tail && !last_event_id.empty() &&
      last_event_id.find_first_not_of("0123456789") == std::string::npos &&
      last_event_id.size() < 20) {
    offset = std::stoull(last_event_id);  // a reconnecting tail resumes after its last line
  } else {
    for (const auto& line : logs::last_lines(data_dir, session->app_id, session->filter,
                                             static_cast<std::size_t>(session->lines), &offset)) {
      backlog += event(line);
    }
  }
  Reply reply;
  reply.content_type = "text/event-stream; charset=utf-8";
  reply.headers.emplace_back("Cache-Control", "no-cache");
  reply.stream = [backlog = std::move(backlog), sent = false, s = *session, data_dir,
                  offset]() mutable -> std::optional<std::string> {
    if (!sent) {
      sent = true;
      if (!backlog.empty() || s.tail) return backlog;
    }
    if (!s.tail) return std::nullopt;
    std::string out;
    for (const auto& line : logs::lines_after(data_dir, s.app_id, s.filter, offset)) {
      out += event(line);
    }
    return out;
  };
  return reply;
}

}  // namespace

void register_log_session_routes(Routes& routes, const ApiDeps& deps) {
  routes.add(http::verb::post, "/apps/{app}/log-sessions",
             [&deps](RequestContext& ctx) { return create_session(deps, ctx); });
  routes.add_capability(http::verb::get, "/log-streams/{token}",
                        [&deps](RequestContext& ctx) { return stream(deps, ctx); });
}

}  // namespace slipway::api
