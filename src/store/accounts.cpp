// Accounts and API tokens.
#include "common/crypto.h"
#include "common/ids.h"
#include "common/time.h"
#include "store/account_rows.h"
#include "store/store.h"

namespace slipway::store {
namespace {

// Token layout: "HRKU-" + 16 hex selector (looked up) + 48 hex secret (compared by hash).
constexpr std::string_view kTokenPrefix = "HRKU-";
constexpr std::size_t kSelectorHex = 16;
constexpr std::size_t kSecretHex = 48;

bool is_hex(std::string_view s) {
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Account read_account(const Statement& q) {
  return Account{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4)};
}

constexpr std::string_view kAccountColumns = "id, email, name, created_at, updated_at";

}  // namespace

Account select_account(Database& db, const std::string& account_id) {
  auto q = db.prepare("SELECT " + std::string(kAccountColumns) + " FROM accounts WHERE id = ?");
  q.bind(1, account_id);
  if (q.step()) return read_account(q);
  Account missing;
  missing.id = account_id;
  return missing;
}

Result<Account> Store::ensure_account(const std::string& email) {
  return guarded<Account>([&](Database& db) -> Result<Account> {
    Transaction tx(db);
    {
      auto q = db.prepare(std::string("SELECT ") + std::string(kAccountColumns) +
                          " FROM accounts WHERE email = ?");
      q.bind(1, email);
      if (q.step()) return read_account(q);
    }
    const std::string now = now_iso8601();
    Account account{new_uuid(), email, email.substr(0, email.find('@')), now, now};
    db.prepare("INSERT INTO accounts(id, email, name, created_at, updated_at) VALUES (?,?,?,?,?)")
        .bind(1, account.id)
        .bind(2, account.email)
        .bind(3, account.name)
        .bind(4, now)
        .bind(5, now)
        .run();
    tx.commit();
    return account;
  });
}

Result<Account> Store::find_account(const std::string& id) {
  return guarded<Account>([&](Database& db) -> Result<Account> {
    auto q = db.prepare(std::string("SELECT ") + std::string(kAccountColumns) +
                        " FROM accounts WHERE id = ?");
    q.bind(1, id);
    if (!q.step()) return make_error(ErrorCode::kNotFound, "Couldn't find that account.");
    return read_account(q);
  });
}

Result<std::string> Store::issue_token(const std::string& account_id,
                                       const std::string& description) {
  return guarded<std::string>([&](Database& db) -> Result<std::string> {
    const std::string selector = random_hex(kSelectorHex / 2);
    const std::string secret = random_hex(kSecretHex / 2);
    db.prepare(
          "INSERT INTO api_tokens(id, account_id, selector, secret_sha256, description, created_at)"
          " VALUES (?,?,?,?,?,?)")
        .bind(1, new_uuid())
        .bind(2, account_id)
        .bind(3, selector)
        .bind(4, sha256_hex(secret))
        .bind(5, description)
        .bind(6, now_iso8601())
        .run();
    return std::string(kTokenPrefix) + selector + secret;
  });
}

Result<std::optional<Account>> Store::authenticate(std::string_view token) {
  if (token.size() != kTokenPrefix.size() + kSelectorHex + kSecretHex ||
      token.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return std::optional<Account>{};
  }
  const std::string_view selector = token.substr(kTokenPrefix.size(), kSelectorHex);
  const std::string_view secret = token.substr(kTokenPrefix.size() + kSelectorHex);
  if (!is_hex(selector) || !is_hex(secret)) return std::optional<Account>{};
  const std::string presented_hash = sha256_hex(secret);
  return guarded<std::optional<Account>>([&](Database& db) -> Result<std::optional<Account>> {
    auto q = db.prepare(
        "SELECT t.secret_sha256, a.id, a.email, a.name, a.created_at, a.updated_at"
        " FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.selector = ?");
    q.bind(1, selector);
    if (!q.step()) return std::optional<Account>{};
    if (!constant_time_equal(q.text(0), presented_hash)) return std::optional<Account>{};
    return std::optional<Account>(Account{q.text(1), q.text(2), q.text(3), q.text(4), q.text(5)});
  });
}

}  // namespace slipway::store
