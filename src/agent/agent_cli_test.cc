// Drives `zta agent run` end to end: a fake OpenAI-compatible model server asks for a tool, a
// fake API answers, and the CLI prints the conversation and exits 0.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

#include "fake_model_server.h"

namespace zta::agent {
namespace {

struct CliRun {
  int exit_code;
  std::string output;
};

// Runs the CLI with `args`; `stdin_text`, when given, is what it reads on standard input.
CliRun Zta(const std::string& args, const std::string& stdin_text = {}) {
  std::string command = std::string(ZTA_BINARY_DIR) + "/zta " + args + " 2>&1";
  if (!stdin_text.empty()) {
    std::string input = std::string(ZTA_BINARY_DIR) + "/agent_cli_test.stdin";
    std::ofstream(input) << stdin_text;
    command += " < " + input;
  }
  FILE* pipe = popen(command.c_str(), "r");
  CliRun r{-1, ""};
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The model calls the declared tool, the tool calls the API, the answer is printed; the model
// key from the environment is sent as a bearer header and never in a body.
TEST(AgentCliTest, RunsADeclarativeAgentAgainstAModelServer) {
  testing::FakeModelServer model;
  ASSERT_TRUE(model.ok());
  testing::FakeModelServer api;  // reused as a plain scripted HTTP server
  ASSERT_TRUE(api.ok());
  api.ThenJson(200, Json::array({{{"id", "h1"}, {"name", "Hotel Nord"}}}));
  model.ThenToolCalls({{"c1", "search_hotels", R"({"city":"Oslo"})"}});
  model.ThenText("Hotel Nord is available.");

  std::string path = std::string(ZTA_BINARY_DIR) + "/agent_cli_test.toml";
  std::ofstream(path) << "[agent]\nname = \"cli\"\n[model]\nprovider = \"openai\"\n"
                         "base_url = \"http://127.0.0.1:1/v1\"\nmodel = \"m\"\n"
                         "api_key_env = \"ZTA_TEST_MODEL_KEY\"\n"
                         "[[tools]]\nname = \"search_hotels\"\nurl = \""
                      << api.BaseUrl()
                      << "/api/hotels?city={city}\"\nparameters = { type = \"object\", "
                         "properties = { city = { type = \"string\" } }, required = [\"city\"] }\n";
  // The child inherits the key through its environment only.
  setenv("ZTA_TEST_MODEL_KEY", "sk-cli-canary-123456", 1);
  CliRun r = Zta("agent run --config " + path + " --llm-url " + model.BaseUrl() +
                 "/v1 --message 'hotels in Oslo'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("-> tool call search_hotels {\"city\":\"Oslo\"}"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("<- search_hotels:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cli> Hotel Nord is available."), std::string::npos) << r.output;
  auto requests = model.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].headers.Get("Authorization").value_or(""), "Bearer sk-cli-canary-123456");
  for (const auto& req : requests) {
    EXPECT_EQ(req.body.find("sk-cli-canary-123456"), std::string::npos);
  }
  EXPECT_EQ(api.requests().at(0).query, "city=Oslo");
}

// With stream = true the reply is printed as it streams in, once, on the agent's line.
TEST(AgentCliTest, PrintsAStreamedReplyOnce) {
  testing::FakeModelServer model;
  ASSERT_TRUE(model.ok());
  model.ThenStream(
      {R"({"choices":[{"index":0,"delta":{"role":"assistant","content":"Hotel "}}]})",
       R"({"choices":[{"index":0,"delta":{"content":"Nord."},"finish_reason":"stop"}]})",
       "[DONE]"});
  std::string path = std::string(ZTA_BINARY_DIR) + "/agent_cli_stream_test.toml";
  std::ofstream(path) << "[agent]\nname = \"streamer\"\n[model]\nprovider = \"openai\"\n"
                         "base_url = \""
                      << model.BaseUrl() << "/v1\"\nmodel = \"m\"\nstream = true\n";
  CliRun r = Zta("agent run --config " + path + " --message hi");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  size_t at = r.output.find("streamer> Hotel Nord.\n");
  EXPECT_NE(at, std::string::npos) << r.output;
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(r.output.find("Hotel Nord.", at + 20), std::string::npos) << r.output;
  ASSERT_EQ(model.requests().size(), 1u);
  EXPECT_NE(model.requests()[0].body.find("\"stream\":true"), std::string::npos);
}

// Configuration mistakes exit 2 with one line on stderr.
TEST(AgentCliTest, ConfigurationErrorsExitTwo) {
  EXPECT_EQ(Zta("agent run --config /nonexistent.toml --message hi").exit_code, 2);
  CliRun r = Zta("agent run --config /nonexistent.toml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--interactive"), std::string::npos);
}

// Zero trust end to end with the real AuthProvider: the model asks for two tools at once; the
// identity provider grants read_hotels and refuses cancel_bookings. The search runs with its
// token, the cancel is printed as DENIED and never reaches the API, the run exits 0, and the
// access token, the client secret and the model key appear in no request body sent to the model
// and nowhere in the CLI's output.
TEST(AgentCliTest, DeniesToolsBeyondTheAgentsScopesAndLeaksNoCredential) {
  constexpr char kToken[] =
      "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJob3RlbC1hZ2VudCIsImp0aSI6ImNsaSJ9.Y2xpLWNhbmFyeS1zaWc";
  constexpr char kClientSecret[] = "agent-secret-canary-9876543210";
  constexpr char kModelKey[] = "sk-model-canary-24680";
  testing::FakeModelServer model, idp, api;
  ASSERT_TRUE(model.ok() && idp.ok() && api.ok());
  // Two token requests (one per tool), in whichever order the parallel calls make them.
  for (int i = 0; i < 2; ++i) {
    idp.Then([&](const http::Request& r) {
      if (r.body.find("cancel_bookings") != std::string::npos) {
        return http::Response::Json(
            400, {{"error", "invalid_scope"}, {"error_description", "not for this agent"}});
      }
      return http::Response::Json(200, {{"access_token", kToken},
                                        {"token_type", "Bearer"},
                                        {"expires_in", 300},
                                        {"scope", "read_hotels"}});
    });
  }
  api.ThenJson(200, Json::array({{{"id", "h1"}, {"name", "Hotel Nord"}}}));
  model.ThenToolCalls({{"c1", "search_hotels", R"({"city":"Oslo"})"},
                       {"c2", "cancel_booking", R"({"booking_id":"b-7"})"}});
  model.ThenText("Hotel Nord is free; I may not cancel bookings.");

  std::string path = std::string(ZTA_BINARY_DIR) + "/agent_cli_zero_trust.toml";
  std::ofstream(path) << "[agent]\nname = \"reader\"\n"
                         "[model]\nprovider = \"openai\"\nbase_url = \""
                      << model.BaseUrl()
                      << "/v1\"\nmodel = \"m\"\napi_key_env = \"ZTA_TEST_MODEL_KEY2\"\n"
                         "[identity]\nissuer = \""
                      << idp.BaseUrl() << "\"\ntoken_endpoint = \"" << idp.BaseUrl()
                      << "/token\"\nclient_id = \"hotel-agent\"\n"
                         "client_secret_env = \"ZTA_TEST_AGENT_SECRET\"\n"
                         "[[tools]]\nname = \"search_hotels\"\nurl = \""
                      << api.BaseUrl()
                      << "/api/hotels?city={city}\"\nparameters = { type = \"object\", "
                         "properties = { city = { type = \"string\" } }, required = [\"city\"] }\n"
                         "auth = { resource = \"https://hotel.example/api\", scopes = "
                         "[\"read_hotels\"] }\n"
                         "[[tools]]\nname = \"cancel_booking\"\nmethod = \"POST\"\nurl = \""
                      << api.BaseUrl()
                      << "/api/bookings/{booking_id}/cancel\"\nparameters = { type = \"object\", "
                         "properties = { booking_id = { type = \"string\" } }, required = "
                         "[\"booking_id\"] }\n"
                         "auth = { resource = \"https://hotel.example/api\", scopes = "
                         "[\"cancel_bookings\"] }\n";
  setenv("ZTA_TEST_MODEL_KEY2", kModelKey, 1);
  setenv("ZTA_TEST_AGENT_SECRET", kClientSecret, 1);
  CliRun r = Zta("agent run --config " + path + " --message 'hotels in Oslo, and cancel b-7'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("xx DENIED cancel_booking (invalid_scope)"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("<- search_hotels:"), std::string::npos) << r.output;
  for (const char* secret : {kToken, kClientSecret, kModelKey}) {
    EXPECT_EQ(r.output.find(secret), std::string::npos) << secret;
  }

  auto api_requests = api.requests();
  ASSERT_EQ(api_requests.size(), 1u);  // the cancel never reached the API
  EXPECT_EQ(api_requests[0].path, "/api/hotels");
  EXPECT_EQ(api_requests[0].headers.Get("Authorization").value_or(""),
            std::string("Bearer ") + kToken);
  EXPECT_EQ(idp.requests().size(), 2u);

  auto model_requests = model.requests();
  ASSERT_EQ(model_requests.size(), 2u);
  for (const auto& req : model_requests) {
    for (const char* secret : {kToken, kClientSecret, kModelKey}) {
      EXPECT_EQ(req.body.find(secret), std::string::npos) << secret << " in " << req.body;
    }
    EXPECT_EQ(req.body.find("eyJ"), std::string::npos) << req.body;
  }
  // The model was told about the denial, briefly.
  EXPECT_NE(model_requests[1].body.find("not authorized to call cancel_booking (invalid_scope)"),
            std::string::npos)
      << model_requests[1].body;
  EXPECT_EQ(model_requests[1].body.find("not for this agent"), std::string::npos);
}

// A model server refusing the key is a model error: exit 1, and the key is not printed.
TEST(AgentCliTest, ModelErrorsExitOne) {
  testing::FakeModelServer model;
  ASSERT_TRUE(model.ok());
  model.ThenJson(401, {{"error", {{"message", "Incorrect API key sk-cli-refused-13579"}}}});
  std::string path = std::string(ZTA_BINARY_DIR) + "/agent_cli_model_error.toml";
  std::ofstream(path) << "[agent]\nname = \"cli\"\n[model]\nprovider = \"openai\"\nbase_url = \""
                      << model.BaseUrl()
                      << "/v1\"\nmodel = \"m\"\napi_key_env = \"ZTA_TEST_MODEL_KEY3\"\n";
  setenv("ZTA_TEST_MODEL_KEY3", "sk-cli-refused-13579", 1);
  CliRun r = Zta("agent run --config " + path + " --message hi");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("model_unauthenticated"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("sk-cli-refused-13579"), std::string::npos) << r.output;
}

// An agent file with a tool acting for the user, [identity] at `idp` and a [delegation] table
// with `delegation_extra` lines; endpoints are given, so no discovery is needed.
std::string DelegatingAgentToml(const testing::FakeModelServer& model,
                                const testing::FakeModelServer& idp,
                                const testing::FakeModelServer& api,
                                const std::string& delegation_extra) {
  return "[agent]\nname = \"booker\"\n[model]\nprovider = \"openai\"\nbase_url = \"" +
         model.BaseUrl() +
         "/v1\"\nmodel = \"m\"\n"
         "[identity]\nissuer = \"" +
         idp.BaseUrl() + "\"\ntoken_endpoint = \"" + idp.BaseUrl() +
         "/token\"\nclient_id = \"hotel-agent\"\n"
         "client_secret_env = \"ZTA_TEST_AGENT_SECRET4\"\n"
         "[delegation]\napp_client_id = \"travel-app\"\n"
         "authorization_endpoint = \"" +
         idp.BaseUrl() + "/authorize\"\ntoken_endpoint = \"" + idp.BaseUrl() +
         "/token\"\nuse_par = false\n" + delegation_extra +
         "[[tools]]\nname = \"book_hotel\"\nmethod = \"POST\"\nurl = \"" + api.BaseUrl() +
         "/api/bookings\"\nparameters = { type = \"object\", properties = { hotel_id = { type = "
         "\"string\" } }, required = [\"hotel_id\"] }\n"
         "auth = { resource = \"https://hotel.example/api\", scopes = [\"create_bookings\"], "
         "acting = \"user\" }\n";
}

// With [delegation] consent = "none" the CLI builds a DelegatedTokenSource without a handler:
// the tool acting for --user is denied with consent_required, nothing reaches the identity
// provider or the API, and the run ends normally.
TEST(AgentCliTest, DelegationWithoutConsentHandlerDeniesConsentRequired) {
  testing::FakeModelServer model, idp, api;
  ASSERT_TRUE(model.ok() && idp.ok() && api.ok());
  model.ThenToolCalls({{"c1", "book_hotel", R"({"hotel_id":"h1"})"}});
  model.ThenText("I need your consent first.");
  std::string path = std::string(ZTA_BINARY_DIR) + "/agent_cli_delegation_none.toml";
  std::ofstream(path) << DelegatingAgentToml(model, idp, api, "consent = \"none\"\n");
  setenv("ZTA_TEST_AGENT_SECRET4", "agent-secret-4", 1);
  CliRun r = Zta("agent run --config " + path + " --user alice --message 'book h1'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("acting for alice through app travel-app, consent none"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("xx DENIED book_hotel (consent_required)"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("booker> I need your consent first."), std::string::npos) << r.output;
  EXPECT_TRUE(idp.requests().empty());
  EXPECT_TRUE(api.requests().empty());
}

// With consent = "loopback" the CLI starts a loopback listener and prints the authorization URL
// (for --user, as login_hint, with the agent as requested_actor) on stderr; nobody answers, so
// after consent_timeout_seconds the tool is denied with consent_timeout.
TEST(AgentCliTest, DelegationWithLoopbackConsentPrintsTheAuthorizationUrl) {
  testing::FakeModelServer model, idp, api;
  ASSERT_TRUE(model.ok() && idp.ok() && api.ok());
  // The agent's actor token (client credentials) comes before the person is asked.
  idp.ThenJson(
      200, {{"access_token", "actor-token-canary"}, {"token_type", "Bearer"}, {"expires_in", 300}});
  model.ThenToolCalls({{"c1", "book_hotel", R"({"hotel_id":"h1"})"}});
  model.ThenText("You did not approve.");
  std::string path = std::string(ZTA_BINARY_DIR) + "/agent_cli_delegation_loopback.toml";
  std::ofstream(path) << DelegatingAgentToml(model, idp, api,
                                             "consent = \"loopback\"\n"
                                             "consent_timeout_seconds = 1\n");
  setenv("ZTA_TEST_AGENT_SECRET4", "agent-secret-4", 1);
  CliRun r = Zta("agent run --config " + path + " --user alice --message 'book h1'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("consent at http://127.0.0.1:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Open this URL to approve: " + idp.BaseUrl() + "/authorize?"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("login_hint=alice"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("xx DENIED book_hotel (consent_timeout)"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("actor-token-canary"), std::string::npos) << r.output;
  EXPECT_TRUE(api.requests().empty());
}

// A broken [delegation] is a configuration error (exit 2) naming the table: an unknown consent
// handler, and an app secret variable that is not set.
TEST(AgentCliTest, BadDelegationConfigExitsTwo) {
  testing::FakeModelServer model, idp, api;
  ASSERT_TRUE(model.ok() && idp.ok() && api.ok());
  setenv("ZTA_TEST_AGENT_SECRET4", "agent-secret-4", 1);
  std::string path = std::string(ZTA_BINARY_DIR) + "/agent_cli_delegation_bad.toml";
  std::ofstream(path) << DelegatingAgentToml(model, idp, api, "consent = \"browser\"\n");
  CliRun r = Zta("agent run --config " + path + " --user alice --message hi");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("delegation.consent must be \"loopback\" or \"none\""), std::string::npos)
      << r.output;

  unsetenv("ZTA_TEST_APP_SECRET_UNSET");
  std::ofstream(path) << DelegatingAgentToml(
      model, idp, api,
      "consent = \"none\"\napp_client_secret_env = \"ZTA_TEST_APP_SECRET_UNSET\"\n");
  r = Zta("agent run --config " + path + " --user alice --message hi");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("[delegation]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ZTA_TEST_APP_SECRET_UNSET is not set"), std::string::npos) << r.output;
  EXPECT_TRUE(model.requests().empty());
}

// --interactive reads lines until "exit": with the offline planner (no [model]) each line is a
// turn; a tool without auth calls its URL without any Authorization header.
TEST(AgentCliTest, InteractiveSessionWithTheOfflinePlanner) {
  testing::FakeModelServer api;
  ASSERT_TRUE(api.ok());
  api.ThenJson(200, Json::array({{{"id", "h1"}, {"name", "Hotel Nord"}}}));
  api.ThenJson(200, Json::array({{{"id", "h2"}, {"name", "Hotel Sud"}}}));
  std::string path = std::string(ZTA_BINARY_DIR) + "/agent_cli_interactive.toml";
  std::ofstream(path) << "[agent]\nname = \"offline\"\n"
                         "[[tools]]\nname = \"search_hotels\"\nurl = \""
                      << api.BaseUrl()
                      << "/api/hotels?city={city}\"\nparameters = { type = \"object\", "
                         "properties = { city = { type = \"string\" } }, required = [\"city\"] }\n";
  CliRun r = Zta("agent run --config " + path + " --interactive",
                 "hotels in Oslo\nfind hotels in Bergen\nexit\n");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("offline planner"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("-> tool call search_hotels {\"city\":\"Oslo\"}"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("-> tool call search_hotels {\"city\":\"Bergen\"}"), std::string::npos)
      << r.output;
  auto requests = api.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].query, "city=Bergen");
  for (const auto& req : requests) EXPECT_FALSE(req.headers.Has("Authorization"));
}

}  // namespace
}  // namespace zta::agent
