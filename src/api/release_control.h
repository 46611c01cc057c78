// What the API needs to make releases, as an interface the daemon implements (so the API never
// includes the release phase's implementation). Every release that changes what runs goes
// through it, so each one whose slug has a `release` process type runs its release phase first.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/models.h"

namespace slipway::api {

class ReleaseControl {
 public:
  virtual ~ReleaseControl() = default;
  // Each returns at once. A release that needs its release phase comes back 'pending', with an
  // output_stream_url; the phase runs in the background and the release goes live only if the
  // command exits 0.
  virtual Result<store::ConfigChangeOutcome> change_config(const store::App& app,
                                                           const store::Account& user,
                                                           const store::ConfigChanges& changes,
                                                           std::size_t max_bytes) = 0;
  virtual Result<store::Release> release_slug(const store::App& app, const store::Account& user,
                                              const std::string& slug_id,
                                              const std::string& description) = 0;
  virtual Result<store::Release> rollback(const store::App& app, const store::Account& user,
                                          const store::Release& target) = 0;
  // For changes whose releases the store makes as a side effect, possibly of several apps (an
  // add-on attached, provisioned, detached): `make` runs the store change and returns its
  // releases; each then runs its release phase (in the background) or goes live.
  using MakeReleases = std::function<Result<std::vector<store::Release>>()>;
  virtual Status follow_releases(const MakeReleases& make) = 0;
};

}  // namespace slipway::api
