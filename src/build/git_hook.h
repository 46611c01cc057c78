// `slipway git-hook pre-receive`: what each app repository's pre-receive hook runs.
//
// git runs it once per push, after the pack has been received, with one "old new ref" line per
// ref on stdin, inside the push's quarantine (the new objects are visible to it, not yet to
// anyone else) and with stdout and stderr relayed to the pusher as "remote:" lines. A non-zero
// exit rejects the whole push ("pre-receive hook declined").
//
// It accepts one update of refs/heads/main or refs/heads/master, exports the pushed commit with
// `git archive`, hands it to the control plane over the push channel (push_protocol.h), copies
// the control plane's output to stdout and exits with the status the control plane returns.
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace slipway::build {

// The environment variables the git server sets for a receive-pack; git passes them to hooks.
inline constexpr const char* kPushSocketEnv = "SLIPWAY_PUSH_SOCKET";
inline constexpr const char* kPushTokenEnv = "SLIPWAY_PUSH_TOKEN";
inline constexpr const char* kPushAppEnv = "SLIPWAY_PUSH_APP_ID";
inline constexpr const char* kPushAccountEnv = "SLIPWAY_PUSH_ACCOUNT_ID";
inline constexpr const char* kPushArchiveDirEnv = "SLIPWAY_PUSH_ARCHIVE_DIR";

struct RefUpdate {
  std::string old_sha;
  std::string new_sha;
  std::string ref;
};

// Parses the hook's stdin: "old new ref" lines.
Result<std::vector<RefUpdate>> parse_ref_updates(std::string_view input);

// The one update to build, or the message that rejects the push (refs other than main/master,
// deleting the branch, pushing both at once).
Result<RefUpdate> choose_deployable_update(const std::vector<RefUpdate>& updates);

// Runs the hook: `args` are what follows `git-hook` on the command line, `env` the process's
// environment. Returns the exit status.
int run_git_hook(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env, std::istream& in,
                 std::ostream& out);

}  // namespace slipway::build
