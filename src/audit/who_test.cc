// WhoBooked / Describe over synthetic logs shaped as the hotel scenario writes them: the idp's
// (registry, consent, code redemption, token exchange) and the hotel API's (booking events).
#include "zta/audit/who.h"

#include <gtest/gtest.h>

#include "zta/audit/reader.h"

namespace zta::audit {
namespace {

constexpr char kTrace[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kStart = 1'700'000'000 * kSecond;

AuditEvent Idp(std::string action, int64_t at, std::vector<std::string> chain = {}) {
  AuditEvent e;
  e.component = "idp";
  e.action = std::move(action);
  e.time_micros = kStart + at * kSecond;
  e.subject = "alice";
  e.actor_chain = std::move(chain);
  return e;
}

AuditEvent AgentAdded(std::string id, std::string name, std::string owner) {
  AuditEvent e = Idp("registry.agent.add", 0);
  e.subject.clear();
  e.client_id = id;
  e.attributes = {{"gen_ai.agent.name", name}, {"zta.agent.owner", owner}};
  return e;
}

AuditEvent Hotel(std::string action, int64_t at) {
  AuditEvent e;
  e.component = "hotel";
  e.action = std::move(action);
  e.time_micros = kStart + at * kSecond;
  e.attributes[kResourceIdAttribute] = "bk-42";
  return e;
}

std::vector<AuditEvent> IdpLog(bool backchannel) {
  std::vector<AuditEvent> log = {AgentAdded("guest-assistant", "Guest Assistant", "ops@hotel"),
                                 AgentAdded("booking-agent", "Booking Agent", "bob@hotel")};
  AuditEvent other = Idp("consent.granted", 5, {"guest-assistant"});
  other.subject = "mallory";  // another user's consent: never the answer
  log.push_back(other);
  if (backchannel) {
    AuditEvent approve = Idp("backchannel.approve", 8, {"guest-assistant"});
    approve.attributes["zta.backchannel"] = "sha256:req";
    log.push_back(approve);
    AuditEvent redeem = Idp("backchannel.redeem", 9, {"guest-assistant"});
    redeem.attributes = {{"zta.backchannel", "sha256:req"}, {"zta.grant", "grant-7"}};
    log.push_back(redeem);
  } else {
    AuditEvent consent = Idp("consent.granted", 8, {"guest-assistant"});
    consent.scopes_granted = {"bookings:create"};
    consent.attributes = {{"zta.authorization_details_types", {"hotel_booking"}},
                          {"zta.details_digest", "sha256:d"}};
    log.push_back(consent);
    AuditEvent redeem = Idp("code.redeem", 9, {"guest-assistant"});
    redeem.attributes = {{"zta.grant", "grant-7"}, {"zta.details_digest", "sha256:d"}};
    redeem.jti = "jti-user";
    log.push_back(redeem);
  }
  AuditEvent issue = Idp("token.issue", 9, {"guest-assistant"});
  issue.jti = "jti-user";
  issue.attributes["zta.grant"] = "grant-7";
  log.push_back(issue);
  AuditEvent exchange = Idp("token.issue", 10, {"booking-agent", "guest-assistant"});
  exchange.client_id = "booking-agent";
  exchange.jti = "jti-exch";
  exchange.trace_id = kTrace;
  exchange.attributes = {{"zta.exchange", true}, {"zta.grant", "grant-7"}};
  log.push_back(exchange);
  return log;
}

std::vector<AuditEvent> HotelLog(bool assigned) {
  AuditEvent create = Hotel("booking.create", 11);
  create.subject = "alice";
  create.actor_chain = {"booking-agent", "guest-assistant"};
  create.client_id = "booking-agent";
  create.jti = "jti-exch";
  create.trace_id = kTrace;
  create.scopes_granted = {"bookings:create"};
  create.attributes["zta.grant_id"] = "grant-7";
  create.attributes["hotel.room_id"] = "r-1";
  std::vector<AuditEvent> log = {create};
  if (assigned) {
    AuditEvent staff = Hotel("booking.assign_staff", 20);
    staff.client_id = "staff-manager";
    staff.attributes["hotel.staff_id"] = "st-9";
    log.push_back(staff);
  }
  return log;
}

// The whole story: creator with name and owner, the user, the chain, the consent page approval
// found through the grant's code redemption, the exchanged token, and the staff assignment.
TEST(WhoBooked, TellsTheWholeStory) {
  auto story = WhoBooked({IdpLog(false), HotelLog(true)}, "bk-42");
  ASSERT_TRUE(story.ok()) << story.status();
  EXPECT_EQ(story->user, "alice");
  EXPECT_EQ(story->creator.client_id, "booking-agent");
  EXPECT_EQ(story->creator.owner, "bob@hotel");
  ASSERT_EQ(story->chain.size(), 2u);
  EXPECT_EQ(story->chain[1].name, "Guest Assistant");
  EXPECT_EQ(story->grant_id, "grant-7");
  ASSERT_TRUE(story->consent.has_value());
  EXPECT_EQ(story->consent->action, "consent.granted");
  EXPECT_EQ(story->consent->subject, "alice");
  ASSERT_TRUE(story->token.has_value());
  EXPECT_EQ(story->token->jti, "jti-exch");
  ASSERT_TRUE(story->delegation.has_value());
  EXPECT_EQ(story->delegation->jti, "jti-user");
  ASSERT_EQ(story->staff.size(), 1u);
  EXPECT_EQ(story->staff[0].staff_id, "st-9");
  EXPECT_EQ(story->trace_ids, std::vector<std::string>{kTrace});
  std::string text = Describe(*story);
  for (const char* part :
       {"Booking bk-42 was created", "\"Booking Agent\" (client booking-agent, owner bob@hotel)",
        "acting for user alice", "after agent \"Guest Assistant\"", "on the idp's consent page",
        "hotel_booking", "grant grant-7", "jti jti-exch", "by token exchange", "Staff st-9",
        "staff-manager"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
  }
  EXPECT_EQ(text.find('\n'), std::string::npos) << "one paragraph";
  EXPECT_EQ(StoryJson(*story)["consent"]["action"], "consent.granted");
}

// A backchannel (CIBA) grant: the consent is the account page's approval of that request.
TEST(WhoBooked, FindsTheBackchannelApproval) {
  auto story = WhoBooked({HotelLog(false), IdpLog(true)}, "bk-42");
  ASSERT_TRUE(story.ok()) << story.status();
  ASSERT_TRUE(story->consent.has_value());
  EXPECT_EQ(story->consent->action, "backchannel.approve");
  EXPECT_NE(Describe(*story).find("account page"), std::string::npos);
}

// Parts the logs do not hold are said plainly: no idp log, no staff yet.
TEST(WhoBooked, SaysWhatIsMissing) {
  auto story = WhoBooked({HotelLog(false)}, "bk-42");
  ASSERT_TRUE(story.ok()) << story.status();
  EXPECT_FALSE(story->consent.has_value());
  EXPECT_FALSE(story->token.has_value());
  std::string text = Describe(*story);
  EXPECT_NE(text.find("No consent event was found"), std::string::npos) << text;
  EXPECT_NE(text.find("not found"), std::string::npos) << text;
  EXPECT_NE(text.find("No staff assigned yet."), std::string::npos) << text;
  EXPECT_NE(text.find("owner unknown"), std::string::npos) << text;
  // An owner the caller knows from the registry fills the gap.
  auto known = WhoBooked({HotelLog(false)}, "bk-42",
                         {{"booking-agent", {"booking-agent", "Booking Agent", "bob@hotel"}}});
  ASSERT_TRUE(known.ok());
  EXPECT_EQ(known->creator.owner, "bob@hotel");
}

// A booking no allowed booking.create names is not found; a refused one is not a booking.
TEST(WhoBooked, UnknownBookingIsNotFound) {
  auto hotel = HotelLog(false);
  EXPECT_EQ(WhoBooked({hotel}, "bk-0").status().code(), StatusCode::kNotFound);
  hotel[0].decision = AuditDecision::kDeny;
  EXPECT_EQ(WhoBooked({hotel}, "bk-42").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace zta::audit
