// What the API needs from the runtime, as an interface the daemon implements (so the API never
// includes runtime implementation headers).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace slipway::api {

struct DynoView {
  std::string name;
  std::string type;
  std::string command;
  std::string state;
  std::string size;
  std::string release_id;
  std::int64_t release_version = 0;
  std::string updated_at;
};

class RuntimeControl {
 public:
  virtual ~RuntimeControl() = default;
  // The app's release, config, formation or maintenance changed: publish its desired state.
  virtual void app_changed(const std::string& app_id) = 0;
  virtual void app_destroyed(const std::string& app_id) = 0;
  virtual std::vector<DynoView> dynos(const std::string& app_id) = 0;
  // Restarts every dyno (type and dyno empty), all of one type, or one dyno.
  virtual void restart(const std::string& app_id, const std::string& type,
                       const std::string& dyno) = 0;
};

}  // namespace slipway::api
