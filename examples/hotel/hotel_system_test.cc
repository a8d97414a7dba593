// Unit tests of the deployment's parts that need no running system: the agent files and their
// placeholders, the deployment file, the scripted browser's reading of pages, the guest's
// consent rule, the credential check of the demo.
#include <gtest/gtest.h>

#include "hotel/agent_files.h"
#include "hotel/browser_user.h"
#include "hotel/demo_support.h"
#include "hotel/deployment.h"

namespace zta::hotel {
namespace {

std::map<std::string, std::string> Vars() {
  return {{"IDP_URL", "http://127.0.0.1:1"},     {"HOTEL_URL", "http://127.0.0.1:2"},
          {"HOTEL_RESOURCE", "https://h.example/api"}, {"AGENT_ID", "agt_1"},
          {"AGENT_SECRET_FILE", "/nonexistent/secret"}, {"APP_ID", "app-1"},
          {"APP_SECRET_FILE", "/nonexistent/app"}};
}

// Placeholders are filled; unknown ones and values that would change the TOML are refused.
TEST(AgentFilesTest, FillsPlaceholdersAndRefusesWhatWouldChangeTheToml) {
  auto filled = FillPlaceholders("url = \"${HOTEL_URL}/x\" $5 cost", Vars());
  ASSERT_TRUE(filled.ok()) << filled.status().ToString();
  EXPECT_EQ(*filled, "url = \"http://127.0.0.1:2/x\" $5 cost");
  EXPECT_FALSE(FillPlaceholders("${NOPE}", Vars()).ok());
  EXPECT_FALSE(FillPlaceholders("${UNCLOSED", Vars()).ok());
  EXPECT_FALSE(FillPlaceholders("${}", Vars()).ok());
  EXPECT_FALSE(FillPlaceholders("x = \"${V}\"", {{"V", "a\" \n[evil]"}}).ok());
  EXPECT_FALSE(FillPlaceholders("x = \"${V}\"", {{"V", "back\\slash"}}).ok());
}

// Every embedded agent file loads as a zta agent file, with its [hotel] table set apart, and
// the tools the model sees are the ones docs/hotel.md lists.
TEST(AgentFilesTest, EmbeddedFilesLoad) {
  auto guest = LoadHotelAgentFile("", kGuestAssistantFile, Vars());
  ASSERT_TRUE(guest.ok()) << guest.status().ToString();
  std::vector<std::string> names;
  for (const auto& t : guest->config.tools) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"search_hotels", "get_hotel", "list_rooms",
                                             "get_reviews", "list_my_bookings", "get_booking",
                                             "cancel_booking"}));
  EXPECT_TRUE(guest->hotel.contains("book_room"));
  EXPECT_EQ(guest->config.agent.id, "agt_1");
  ASSERT_TRUE(guest->config.identity.has_value());
  EXPECT_EQ(guest->config.identity->options.issuer, "http://127.0.0.1:1");
  auto booking = LoadHotelAgentFile("", kBookingAgentFile, Vars());
  ASSERT_TRUE(booking.ok()) << booking.status().ToString();
  EXPECT_TRUE(booking->hotel.contains("create_booking"));
  auto staff = LoadHotelAgentFile("", kStaffManagerFile, Vars());
  ASSERT_TRUE(staff.ok()) << staff.status().ToString();
  EXPECT_EQ(staff->config.tools.size(), 3u);
  EXPECT_FALSE(LoadHotelAgentFile("", "missing.toml", Vars()).ok());
}

// A deployment file sets ports, the model and the guest; typos and bad values are refused.
TEST(DeploymentTest, ReadsKeysAndRefusesTypos) {
  SystemOptions o;
  int chat = 0;
  Status s = ParseDeployment(
      "[ports]\nidp = 4100\nchat = 4103\n[model]\nprovider = \"openai\"\nbase_url = "
      "\"http://127.0.0.1:8080/v1\"\nmodel = \"m\"\n[guest]\nuser = \"ann\"\n",
      &o, &chat);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(o.idp_port, 4100);
  EXPECT_EQ(chat, 4103);
  ASSERT_TRUE(o.model.has_value());
  EXPECT_EQ(o.model->provider, "openai");
  EXPECT_EQ(o.user_name, "ann");
  EXPECT_FALSE(ParseDeployment("[ports]\nidpp = 1\n", &o, &chat).ok());
  EXPECT_FALSE(ParseDeployment("[ports]\nidp = 70000\n", &o, &chat).ok());
  EXPECT_FALSE(ParseDeployment("[deployment]\nhost = \"0.0.0.0\"\n", &o, &chat).ok());
  EXPECT_FALSE(ParseDeployment("[model]\nprovider = \"nope\"\n", &o, &chat).ok());
  EXPECT_FALSE(ParseDeployment("[weird]\n", &o, &chat).ok());
}

// The scripted browser reads what a person sees and the form's hidden fields, entities decoded.
TEST(BrowserUserTest, ReadsVisibleTextAndHiddenInputs) {
  const std::string html =
      "<p>Guest Assistant wants to <b>book</b> room &quot;h-1&quot; &amp; more</p>\n"
      "<form method=\"post\" action=\"/consent\"><input type=\"hidden\" name=\"csrf\" "
      "value=\"a&amp;b\"><input type=\"hidden\" name=\"request_id\" value=\"r1\">"
      "<input name=\"password\" type=\"password\"></form>";
  EXPECT_EQ(VisibleText("<p>a  <b>b</b>\n c</p>"), "a b c");
  EXPECT_NE(VisibleText(html).find("room \"h-1\" & more"), std::string::npos);
  auto hidden = HiddenInputs(html);
  ASSERT_EQ(hidden.size(), 2u);
  EXPECT_EQ(hidden[0], (std::pair<std::string, std::string>{"csrf", "a&b"}));
  EXPECT_EQ(hidden[1].first, "request_id");
}

// The guest allows only the booking asked for, once, and nothing without booking details.
TEST(GuestConsentRuleTest, AllowsOnlyTheAskedBookingOnce) {
  GuestConsentRule rule;
  ConsentPageText asked;
  asked.details = {"book room h-paris-1-dbl at h-paris-1 from 2027-03-01 to 2027-03-03"};
  ConsentPageText other;
  other.details = {"book room h-paris-1-royal at h-paris-1 from 2027-03-01 to 2027-03-08"};
  ConsentPageText scopes_only;
  scopes_only.permissions = {"cancel your bookings"};
  EXPECT_FALSE(rule.Decide(asked));  // nothing asked yet
  rule.Want({"h-paris-1", "h-paris-1-dbl", "2027-03-01", "2027-03-03"});
  EXPECT_FALSE(rule.Decide(other));
  EXPECT_FALSE(rule.Decide(scopes_only));
  EXPECT_TRUE(rule.Decide(asked));
  EXPECT_FALSE(rule.Decide(asked));  // the same booking a second time ("the price is now…")
}

// After allowing a booking with some permissions, a page asking only for those is allowed and a
// page asking for a new one is not.
TEST(GuestConsentRuleTest, AllowsOnlyPermissionsAlreadyGiven) {
  GuestConsentRule rule;
  rule.Want({"h-1", "h-1-dbl", "2027-03-01", "2027-03-03"});
  ConsentPageText booking;
  booking.details = {"book room h-1-dbl at hotel h-1 from 2027-03-01 to 2027-03-03"};
  booking.permissions = {"see your bookings", "cancel your bookings"};
  ConsentPageText again, wider;
  again.permissions = {"cancel your bookings"};
  wider.permissions = {"cancel your bookings", "read any booking (hotel staff)"};
  EXPECT_FALSE(rule.Decide(again));
  EXPECT_TRUE(rule.Decide(booking));
  EXPECT_TRUE(rule.Decide(again));
  EXPECT_FALSE(rule.Decide(wider));
}

// The demo's check finds JWT-shaped strings and registered secrets, and not ordinary text.
TEST(DemoSupportTest, FindsCredentials) {
  std::string jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1LTEiLCJhY3QiOnt9fQ.c2lnbmF0dXJlc2ln";
  EXPECT_TRUE(HoldsCredential("the token is " + jwt, {}));
  EXPECT_TRUE(HoldsCredential("password: hunter2hunter2", {"hunter2hunter2"}));
  EXPECT_FALSE(HoldsCredential("booking b-1001 at h-paris-1 eyJ only", {"short"}));
}

}  // namespace
}  // namespace zta::hotel
