// `zta hotel serve --config FILE`: the hotel API's TOML (docs/hotel.md, "Configuration"). Every
// key is typed and checked; a key nobody reads is an error, so a typo in a security setting
// (the booking chain, an issuer) never falls back to a default silently.
#include <toml++/toml.h>

#include "hotel/hotel_service.h"
#include "zta/auth/auth_config.h"
#include "zta/core/toml_reader.h"
#include "zta/http/protocol.h"

namespace zta::hotel {
namespace {

Status ReadHotelTable(const toml::table& table, HotelServiceOptions* o) {
  TableReader r(table, "hotel.");
  std::string listen;
  ZTA_RETURN_IF_ERROR(r.GetString("listen", &listen));
  ZTA_RETURN_IF_ERROR(r.GetString("resource", &o->resource));
  ZTA_RETURN_IF_ERROR(r.GetStrings("booking_chain", &o->booking_chain));
  if (!listen.empty()) {
    auto parsed = http::ParseHostPort(listen);
    if (!parsed.ok()) return parsed.status().WithContext("hotel.listen");
    o->server.host = parsed->host;
    o->server.port = parsed->port;
  }
  return r.Finish();
}

Status ReadIssuers(const toml::node& node, HotelServiceOptions* o) {
  const toml::array* issuers = node.as_array();
  if (issuers == nullptr) return InvalidArgument("issuers must be an array of tables ([[issuers]])");
  o->issuers.clear();
  size_t i = 0;
  for (const auto& item : *issuers) {
    const toml::table* t = item.as_table();
    if (t == nullptr) return InvalidArgument("issuers must be an array of tables ([[issuers]])");
    TableReader r(*t, "issuers[" + std::to_string(i++) + "].");
    guard::TrustedIssuer issuer;
    ZTA_RETURN_IF_ERROR(r.GetString("issuer", &issuer.issuer));
    ZTA_RETURN_IF_ERROR(r.GetString("jwks_uri", &issuer.jwks_uri));
    ZTA_RETURN_IF_ERROR(r.GetString("audience", &issuer.audience));
    ZTA_RETURN_IF_ERROR(r.Finish());
    if (issuer.issuer.empty()) return InvalidArgument("issuers[" + std::to_string(i - 1) +
                                                      "].issuer is required");
    o->issuers.push_back(std::move(issuer));
  }
  return Status::Ok();
}

Status ReadStaffTable(const toml::table& table, HotelServiceOptions* o) {
  TableReader r(table, "staff.");
  ZTA_RETURN_IF_ERROR(r.GetString("notify_url", &o->notify_url));
  ZTA_RETURN_IF_ERROR(r.GetString("notify_resource", &o->notify_resource));
  return r.Finish();
}

Status ReadHotelConfig(const toml::table& root, HotelServiceOptions* o) {
  TableReader r(root, "");
  ZTA_ASSIGN_OR_RETURN(const toml::table* hotel, r.GetTable("hotel"));
  if (hotel) ZTA_RETURN_IF_ERROR(ReadHotelTable(*hotel, o));
  r.Skip("issuers");
  if (const toml::node* issuers = root.get("issuers")) ZTA_RETURN_IF_ERROR(ReadIssuers(*issuers, o));
  ZTA_ASSIGN_OR_RETURN(const toml::table* staff, r.GetTable("staff"));
  if (staff) ZTA_RETURN_IF_ERROR(ReadStaffTable(*staff, o));
  ZTA_ASSIGN_OR_RETURN(const toml::table* identity, r.GetTable("identity"));
  if (identity) {
    // docs/auth.md keys; the secret or key file is read here, once, at load.
    ZTA_ASSIGN_OR_RETURN(auth::AuthSettings settings,
                         auth::ReadAuthSettings(*identity, "identity."));
    ZTA_ASSIGN_OR_RETURN(o->identity, auth::ResolveAuthSettings(settings));
  }
  return r.Finish();
}

}  // namespace

Status LoadHotelConfig(const std::string& path, HotelServiceOptions* options) {
  ZTA_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  HotelServiceOptions loaded = *options;
  Status s = ParseToml(text, [&](const toml::table& root) {
    return ReadHotelConfig(root, &loaded);
  });
  if (!s.ok()) return s.WithContext(path);
  *options = std::move(loaded);
  return Status::Ok();
}

}  // namespace zta::hotel
