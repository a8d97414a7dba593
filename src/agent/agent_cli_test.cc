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

CliRun Zta(const std::string& args) {
  std::string command = std::string(ZTA_BINARY_DIR) + "/zta " + args + " 2>&1";
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

// Configuration mistakes exit 2 with one line on stderr.
TEST(AgentCliTest, ConfigurationErrorsExitTwo) {
  EXPECT_EQ(Zta("agent run --config /nonexistent.toml --message hi").exit_code, 2);
  CliRun r = Zta("agent run --config /nonexistent.toml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--interactive"), std::string::npos);
}

}  // namespace
}  // namespace zta::agent
