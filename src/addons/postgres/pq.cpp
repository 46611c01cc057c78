#include "addons/postgres/pq.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>

namespace slipway::addons::postgres {
namespace {

// RFC 3986 unreserved characters stay; everything else is %XX.
std::string percent_encode(std::string_view text) {
  std::string out;
  for (const unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string trimmed(const char* text) {
  std::string out = text == nullptr ? "" : text;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

}  // namespace

ConnectParams& ConnectParams::set(std::string_view key, std::string value) {
  for (auto& kv : values_) {
    if (kv.first == key) {
      kv.second = std::move(value);
      return *this;
    }
  }
  values_.emplace_back(std::string(key), std::move(value));
  return *this;
}

std::string ConnectParams::get(std::string_view key) const {
  for (const auto& kv : values_) {
    if (kv.first == key) return kv.second;
  }
  return "";
}

std::string ConnectParams::url() const {
  std::string out = "postgres://";
  const std::string user = get("user");
  const std::string password = get("password");
  if (!user.empty()) {
    out += percent_encode(user);
    if (!password.empty()) out += ":" + percent_encode(password);
    out += "@";
  }
  const std::string host = get("host");
  out += host.find(':') != std::string::npos ? "[" + host + "]" : percent_encode(host);
  if (const std::string port = get("port"); !port.empty()) out += ":" + percent_encode(port);
  out += "/" + percent_encode(get("dbname"));
  if (const std::string ssl = get("sslmode"); !ssl.empty())
    out += "?sslmode=" + percent_encode(ssl);
  return out;
}

Result<ConnectParams> ConnectParams::parse(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
  if (options == nullptr) {
    // libpq's message may quote the whole URL, password included: cut it out.
    std::string message = err == nullptr ? "out of memory" : trimmed(err);
    PQfreemem(err);
    for (auto at = message.find(conninfo); !conninfo.empty() && at != std::string::npos;
         at = message.find(conninfo)) {
      message.replace(at, conninfo.size(), "(the URL)");
    }
    return make_error(ErrorCode::kInvalidParams, "invalid PostgreSQL URL: " + message);
  }
  ConnectParams params;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr && o->val[0] != '\0') params.set(o->keyword, o->val);
  }
  PQconninfoFree(options);
  return params;
}

Result<Connection> Connection::open(const ConnectParams& params, std::chrono::seconds timeout) {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  const std::string timeout_text = std::to_string(std::max<long long>(2, timeout.count()));
  bool has_timeout = false;
  for (const auto& [k, v] : params.values()) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
    has_timeout = has_timeout || k == "connect_timeout";
  }
  if (!has_timeout) {
    keys.push_back("connect_timeout");
    values.push_back(timeout_text.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 0);
  if (conn == nullptr) return make_error(ErrorCode::kInternal, "libpq: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return make_error(ErrorCode::kInternal, message);
  }
  // Notices ("... does not exist, skipping") would go to our stderr; they say nothing we need.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return Connection(conn);
}

Connection::Connection(Connection&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)), last_sqlstate_(std::move(other.last_sqlstate_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = std::exchange(other.conn_, nullptr);
    last_sqlstate_ = std::move(other.last_sqlstate_);
  }
  return *this;
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Result<std::vector<Row>> Connection::query(std::string_view sql,
                                           const std::vector<std::optional<std::string>>& params) {
  last_sqlstate_.clear();
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  const std::string text(sql);
  std::unique_ptr<PGresult, ResultDeleter> res(
      PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                   nullptr, nullptr, 0));
  const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const char* state = res ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
    const char* primary = res ? PQresultErrorField(res.get(), PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    last_sqlstate_ = state == nullptr ? "" : state;
    return make_error(ErrorCode::kInternal,
                      primary != nullptr ? std::string(primary) : trimmed(PQerrorMessage(conn_)));
  }
  std::vector<Row> rows;
  const int n = PQntuples(res.get());
  const int cols = PQnfields(res.get());
  rows.reserve(static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r) {
    Row row;
    row.reserve(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      if (PQgetisnull(res.get(), r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(res.get(), r, c),
                                     static_cast<std::size_t>(PQgetlength(res.get(), r, c))));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

namespace {

// The server's primary message of a failed result, or libpq's own.
std::string failure_message(PGconn* conn, const PGresult* res) {
  const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  return primary != nullptr ? std::string(primary) : trimmed(PQerrorMessage(conn));
}

}  // namespace

Status Connection::copy_begin(std::string_view sql) {
  const std::string text(sql);
  // The extended protocol (PQexecParams) takes exactly one statement.
  std::unique_ptr<PGresult, ResultDeleter> res(
      PQexecParams(conn_, text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
  if (res && PQresultStatus(res.get()) == PGRES_COPY_IN) return {};
  if (res && PQresultStatus(res.get()) != PGRES_FATAL_ERROR) {
    // Not a COPY FROM STDIN: whatever it started is over once its output and results are read.
    if (PQresultStatus(res.get()) == PGRES_COPY_OUT) {
      char* row = nullptr;
      while (PQgetCopyData(conn_, &row, 0) > 0) PQfreemem(row);
    }
    res.reset();
    while (PGresult* more = PQgetResult(conn_)) PQclear(more);
    return make_error(ErrorCode::kInvalidParams, "not a COPY FROM STDIN statement");
  }
  return make_error(ErrorCode::kInternal, failure_message(conn_, res.get()));
}

Status Connection::copy_send(std::string_view data) {
  constexpr std::size_t kMaxMessage = std::size_t{1} << 30;  // PQputCopyData takes an int
  while (!data.empty()) {
    const std::size_t take = std::min(data.size(), kMaxMessage);
    if (PQputCopyData(conn_, data.data(), static_cast<int>(take)) != 1) {
      return make_error(ErrorCode::kInternal, trimmed(PQerrorMessage(conn_)));
    }
    data.remove_prefix(take);
  }
  return {};
}

Status Connection::copy_end(const char* abort_message) {
  if (PQputCopyEnd(conn_, abort_message) != 1) {
    return make_error(ErrorCode::kInternal, trimmed(PQerrorMessage(conn_)));
  }
  Status outcome;
  while (PGresult* raw = PQgetResult(conn_)) {
    std::unique_ptr<PGresult, ResultDeleter> res(raw);
    if (PQresultStatus(raw) != PGRES_COMMAND_OK && outcome.ok()) {
      outcome = make_error(ErrorCode::kInternal, failure_message(conn_, raw));
    }
  }
  return outcome;
}

Result<std::string> Connection::identifier(std::string_view name) {
  char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
  if (quoted == nullptr)
    return make_error(ErrorCode::kInvalidParams, trimmed(PQerrorMessage(conn_)));
  std::string out = quoted;
  PQfreemem(quoted);
  return out;
}

Result<std::string> Connection::literal(std::string_view value) {
  char* quoted = PQescapeLiteral(conn_, value.data(), value.size());
  if (quoted == nullptr)
    return make_error(ErrorCode::kInvalidParams, trimmed(PQerrorMessage(conn_)));
  std::string out = quoted;
  PQfreemem(quoted);
  return out;
}

Result<std::string> Connection::password_verifier(const std::string& user,
                                                  const std::string& password) {
  char* verifier = PQencryptPasswordConn(conn_, password.c_str(), user.c_str(), "scram-sha-256");
  if (verifier == nullptr) return make_error(ErrorCode::kInternal, trimmed(PQerrorMessage(conn_)));
  std::string out = verifier;
  PQfreemem(verifier);
  return out;
}

int Connection::server_version() const { return PQserverVersion(conn_); }

bool server_accepts(const ConnectParams& params) {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [k, v] : params.values()) {
    if (k == "password") continue;  // a ping never authenticates
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back("connect_timeout");
  values.push_back("2");
  keys.push_back(nullptr);
  values.push_back(nullptr);
  return PQpingParams(keys.data(), values.data(), 0) == PQPING_OK;
}

}  // namespace slipway::addons::postgres
