#include "api/addon_views.h"

#include "api/views.h"

namespace slipway::api {
namespace {

using nlohmann::json;

// The catalog entry of an add-on's plan; an add-on whose service or plan left the catalog
// still renders, priced at zero.
std::pair<AddonServiceInfo, AddonPlanInfo> catalog_entry(const store::Addon& addon,
                                                         const AddonControl& addons) {
  for (const auto& service : addons.services()) {
    if (service.name != addon.service) continue;
    for (const auto& plan : service.plans) {
      if (plan.name == addon.plan) return {service, plan};
    }
    return {service, AddonPlanInfo{addon.plan, addon.plan, "", false, 0}};
  }
  AddonServiceInfo service;
  service.name = addon.service;
  service.human_name = addon.service;
  return {service, AddonPlanInfo{addon.plan, addon.plan, "", false, 0}};
}

json price_json(const AddonPlanInfo& plan) {
  return {{"cents", plan.cents}, {"unit", "month"}, {"contract", false}, {"metered", false}};
}

json plan_ref(const AddonServiceInfo& service, const AddonPlanInfo& plan) {
  const std::string name = service.name + ":" + plan.name;
  return {{"id", fixed_id("addon-plan", name)}, {"name", name}, {"price", price_json(plan)}};
}

json service_ref(const AddonServiceInfo& service) {
  return {{"id", fixed_id("addon-service", service.name)}, {"name", service.name}};
}

}  // namespace

json addon_service_json(const AddonServiceInfo& service) {
  json out = service_ref(service);
  out["human_name"] = service.human_name;
  out["state"] = "ga";
  out["cli_plugin_name"] = nullptr;
  out["supports_multiple_installations"] = true;
  out["supports_sharing"] = true;
  out["created_at"] = "2012-01-01T00:00:00Z";
  out["updated_at"] = "2012-01-01T00:00:00Z";
  return out;
}

json addon_plan_json(const AddonServiceInfo& service, const AddonPlanInfo& plan) {
  json out = plan_ref(service, plan);
  out["human_name"] = plan.human_name;
  out["description"] = plan.description;
  out["default"] = plan.is_default;
  out["state"] = "public";
  out["addon_service"] = service_ref(service);
  out["compliance"] = nullptr;
  out["installable_inside_private_network"] = false;
  out["installable_outside_private_network"] = true;
  out["space_default"] = false;
  out["visible"] = true;
  out["created_at"] = "2012-01-01T00:00:00Z";
  out["updated_at"] = "2012-01-01T00:00:00Z";
  return out;
}

json addon_json(const store::Addon& addon, const AddonControl& addons) {
  const auto [service, plan] = catalog_entry(addon, addons);
  json app = {{"id", addon.app_id}, {"name", addon.app_name}};
  json out = {{"id", addon.id},
              {"name", addon.name},
              {"app", app},
              {"addon_service", service_ref(service)},
              {"plan", plan_ref(service, plan)},
              {"billed_price", {{"cents", plan.cents}, {"contract", false}, {"unit", "month"}}},
              {"billing_entity", {{"id", addon.app_id}, {"name", addon.app_name}, {"type", "app"}}},
              {"config_vars", addon.config_vars},
              {"state", addon.state},
              {"provider_id", addon.id},
              {"web_url", nullptr},
              {"actions", json::array()},
              {"created_at", addon.created_at},
              {"updated_at", addon.updated_at}};
  if (addon.provision_message) out["provision_message"] = *addon.provision_message;
  return out;
}

json attachment_json(const store::AddonAttachment& t, const AddonControl& addons) {
  const auto [service, plan] = catalog_entry(t.addon, addons);
  json addon = {{"id", t.addon.id},
                {"name", t.addon.name},
                {"app", {{"id", t.addon.app_id}, {"name", t.addon.app_name}}},
                {"plan", plan_ref(service, plan)}};
  return {{"id", t.id},
          {"name", t.name},
          {"namespace", t.namespace_name ? json(*t.namespace_name) : json(nullptr)},
          {"addon", addon},
          {"app", {{"id", t.app_id}, {"name", t.app_name}}},
          {"config_vars", t.namespace_name ? json::array() : json::array({t.config_var()})},
          {"web_url", nullptr},
          {"log_input_url", nullptr},
          {"created_at", t.created_at},
          {"updated_at", t.updated_at}};
}

}  // namespace slipway::api
