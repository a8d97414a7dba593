// What the hotel deployment registers at its identity provider (docs/hotel.md, "Identities"):
// the hotel API and the Staff Manager's endpoint as resources, the four clients (three agents
// and the hotel API itself), the one delegation rule (Guest Assistant → Booking Agent), the web
// chat app the user consents through, and the demo user. Secrets go to files (mode 0600).
#include "hotel/private_file.h"
#include "hotel/system.h"

namespace zta::hotel {
namespace {

Status WriteSecret(const std::string& path, const Json& added) {
  std::string secret = added.value("client_secret", "");
  if (secret.empty()) return Status(StatusCode::kInternal, "no secret was issued for " + path);
  return WritePrivateFile(path, secret);
}

idp::ResourceSpec HotelResource() {
  idp::ResourceSpec spec;
  spec.uri = kDefaultResource;
  spec.scopes = AllScopes();
  spec.scope_descriptions = {
      {"read_hotels", "see hotels and their reviews"},
      {"read_rooms", "see rooms and prices"},
      {"create_bookings", "make bookings in your name"},
      {"read_bookings", "see your bookings"},
      {"cancel_bookings", "cancel your bookings"},
      {"admin_read_bookings", "read any booking (hotel staff)"},
      {"admin_update_bookings", "assign staff to bookings (hotel staff)"},
      {"admin_read_staff", "read the staff roster (hotel staff)"}};
  for (const DetailsTypeDeclaration& d : DetailsTypes()) {
    spec.details_types.push_back({d.type, d.schema.dump(), d.consent_text});
  }
  return spec;
}

struct AgentToAdd {
  std::string name, description, resource;
  std::vector<std::string> scopes;
  std::string secret_file;
  std::string* client_id;
};

}  // namespace

Status HotelSystem::Register() {
  idp::IdentityProvider& idp = idp_->idp();
  const std::string agents = options_.data_dir + "/agents/";
  ZTA_RETURN_IF_ERROR(idp.AddResource(HotelResource()).status());
  idp::ResourceSpec staff;
  staff.uri = kStaffResource;
  staff.scopes = {kNotifyScope};
  staff.scope_descriptions = {{kNotifyScope, "tell the Staff Manager about new bookings"}};
  ZTA_RETURN_IF_ERROR(idp.AddResource(staff).status());

  Registration& r = registration_;
  const std::vector<AgentToAdd> to_add = {
      {"Guest Assistant", "Talks to the guest; books only with the guest's consent",
       kDefaultResource,
       {"read_hotels", "read_rooms", "create_bookings", "read_bookings", "cancel_bookings"},
       "guest-assistant.secret", &r.guest_assistant_id},
      {"Booking Agent", "Makes the booking the guest approved", kDefaultResource,
       {"create_bookings", "read_bookings"}, "booking-agent.secret", &r.booking_agent_id},
      {"Staff Manager", "Assigns staff to new bookings", kDefaultResource,
       {"admin_read_bookings", "admin_update_bookings", "admin_read_staff"},
       "staff-manager.secret", &r.staff_manager_id},
      {"Hotel API", "The hotel API's own client (staff notifications)", kStaffResource,
       {kNotifyScope}, "hotel-api.secret", &r.hotel_api_id}};
  for (const AgentToAdd& a : to_add) {
    idp::AgentSpec spec;
    spec.name = a.name;
    spec.owner = kOwnerEmail;
    spec.description = a.description;
    spec.model = "offline planner";
    spec.resource = a.resource;
    spec.scopes = a.scopes;
    ZTA_ASSIGN_OR_RETURN(Json added, idp.AddAgent(spec));
    *a.client_id = added.value("client_id", "");
    ZTA_RETURN_IF_ERROR(WriteSecret(agents + a.secret_file, added));
  }
  // RFC 8693 along a rule: only the Booking Agent may act after the Guest Assistant, only at the
  // hotel API, only to create bookings.
  idp::DelegationRuleSpec rule;
  rule.from = r.guest_assistant_id;
  rule.to = r.booking_agent_id;
  rule.resource = kDefaultResource;
  rule.scopes = {"create_bookings"};
  ZTA_RETURN_IF_ERROR(idp.AddDelegationRule(rule).status());

  idp::AppSpec app;
  app.name = "Hotel web chat";
  app.redirect_uris = {r.loopback_redirect_uri};
  for (const std::string& uri : options_.extra_redirect_uris) app.redirect_uris.push_back(uri);
  ZTA_ASSIGN_OR_RETURN(Json added_app, idp.AddApp(app));
  r.chat_app_id = added_app.value("client_id", "");
  ZTA_RETURN_IF_ERROR(WriteSecret(agents + "chat-app.secret", added_app));

  ZTA_RETURN_IF_ERROR(idp.AddUser(options_.user_name, options_.user_name + "@guest.example",
                                  options_.user_display_name, options_.user_password)
                          .status());
  r.user_name = options_.user_name;
  r.user_password = options_.user_password;
  return Status::Ok();
}

}  // namespace zta::hotel
