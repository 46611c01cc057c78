#include "api/list_reply.h"

namespace slipway::api {
namespace {

std::string field_names(const std::map<std::string, std::vector<SortKey>>& fields) {
  std::string names;
  for (const auto& entry : fields) names += (names.empty() ? "" : ", ") + entry.first;
  return names;
}

}  // namespace

Result<Reply> list_reply(const RequestContext& ctx, const std::vector<nlohmann::json>& items,
                         const std::map<std::string, std::vector<SortKey>>& fields,
                         const std::string& default_field) {
  auto spec = parse_range(ctx.request[http::field::range]);
  if (!spec) return spec.error();
  const std::string field = (*spec && !(*spec)->field.empty()) ? (*spec)->field : default_field;
  const auto keys = fields.find(field);
  if (keys == fields.end()) {
    return make_error(ErrorCode::kBadRequest, "Invalid Range header: cannot range over `" + field +
                                                  "` here (use " + field_names(fields) + ").");
  }
  auto page = paginate(keys->second, *spec, field);
  if (!page) return page.error();
  Reply reply;
  reply.body = nlohmann::json::array();
  for (const std::size_t i : page->indexes) reply.body.push_back(items[i]);
  reply.headers.emplace_back("Accept-Ranges", field_names(fields));
  if (!page->content_range.empty())
    reply.headers.emplace_back("Content-Range", page->content_range);
  if (page->next_range) {
    reply.status = http::status::partial_content;
    reply.headers.emplace_back("Next-Range", *page->next_range);
  }
  return reply;
}

}  // namespace slipway::api
