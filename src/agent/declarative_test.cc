// Tests for declarative agents: the TOML format of the issue, HTTP tools and an end-to-end run
// with the offline planner against a local fake hotel API.
#include "zta/agent/declarative.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>

#include "fake_model_server.h"
#include "testing.h"
#include "zta/auth/auth_config.h"
#include "zta/auth/auth_provider.h"
#include "zta/http/server.h"

namespace zta::agent {
namespace {

using testing::FakeTokenSource;

// The example from the issue, verbatim apart from the ports.
std::string ExampleToml(const std::string& api = "http://127.0.0.1:8001") {
  return R"(
[agent]
name = "hotel-reader"
system_prompt = "You help guests find hotels."
max_tool_iterations = 5

[model]
provider = "offline"
base_url = "http://127.0.0.1:8080/v1"
model = "gpt-4o"

[identity]
issuer = "http://127.0.0.1:3000"
client_id = "hotel-agent"
client_secret_env = "AGENT_SECRET"

[[tools]]
name = "search_hotels"
description = "Search hotels in a city"
method = "GET"
url = ")" +
         api + R"(/api/hotels?city={city}"
parameters = { type = "object", properties = { city = { type = "string" } }, required = ["city"] }
auth = { resource = "https://hotel.example/api", scopes = ["read_hotels"] }

[[tools]]
name = "cancel_booking"
description = "Cancel a booking"
method = "POST"
url = ")" +
         api + R"(/api/bookings/{booking_id}/cancel"
parameters = { type = "object", properties = { booking_id = { type = "string" } }, required = ["booking_id"] }
auth = { resource = "https://hotel.example/api", scopes = ["cancel_bookings"] }
)";
}

// The issue's file format loads with every key in place.
TEST(DeclarativeTest, ParsesTheIssueExample) {
  auto c = ParseAgentConfig(ExampleToml());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->agent.name, "hotel-reader");
  EXPECT_EQ(c->agent.max_tool_iterations, 5);
  EXPECT_EQ(c->model.provider, "offline");
  EXPECT_EQ(c->model.model, "gpt-4o");
  ASSERT_TRUE(c->identity.has_value());
  EXPECT_EQ(c->identity->options.client_id, "hotel-agent");
  ASSERT_EQ(c->tools.size(), 2u);
  EXPECT_EQ(c->tools[1].method, "POST");
  ASSERT_TRUE(c->tools[1].auth.has_value());
  EXPECT_EQ(c->tools[1].auth->scopes, std::vector<std::string>{"cancel_bookings"});
  EXPECT_EQ(c->tools[0].parameters["required"], Json({"city"}));
}

// [identity] dpop = true (and dpop_key_file) reach AuthProviderOptions: the provider made from
// them signs with the file's key; a key file without dpop is refused, naming the key.
TEST(DeclarativeTest, IdentityDpopKeys) {
  setenv("AGENT_SECRET", "agent-secret-agent-secret", 1);
  auto jwk = jose::Jwk::Generate(jose::Algorithm::kES256);
  ASSERT_TRUE(jwk.ok());
  char path[] = "/tmp/zta-agent-dpop-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << jwk->ToPrivateJson().dump();
  std::string toml = ExampleToml();
  const std::string secret_line = "client_secret_env = \"AGENT_SECRET\"\n";
  toml.replace(toml.find(secret_line), secret_line.size(),
               secret_line + "dpop = true\ndpop_key_file = \"" + path + "\"\n");
  auto c = ParseAgentConfig(toml);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->identity->options.dpop);
  auto options = auth::ResolveAuthSettings(*c->identity);
  unlink(path);
  ASSERT_TRUE(options.ok()) << options.status();
  auto provider = auth::AuthProvider::Create(std::move(options).value(), SystemClock::Instance());
  ASSERT_TRUE(provider.ok()) << provider.status();
  ASSERT_NE((*provider)->dpop_key(), nullptr);
  EXPECT_EQ((*provider)->dpop_key()->thumbprint(), jwk->Thumbprint());

  std::string no_dpop = ExampleToml();
  no_dpop.replace(no_dpop.find(secret_line), secret_line.size(),
                  secret_line + "dpop_key_file = \"/tmp/k.jwk\"\n");
  auto refused = ParseAgentConfig(no_dpop);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("identity.dpop_key_file"), std::string::npos);
}

// Mistakes are configuration errors naming the key.
TEST(DeclarativeTest, RefusesBadConfigs) {
  auto err = [](const std::string& toml) { return ParseAgentConfig(toml).status().message(); };
  EXPECT_NE(err("[agent]\nname = \"a\"\nsystem_promt = \"x\"\n").find("system_promt"),
            std::string::npos);
  EXPECT_NE(err("[model]\nprovider = \"openai\"\n").find("[agent]"), std::string::npos);
  EXPECT_NE(err("[agent]\nname = \"a\"\n[model]\nprovider = \"gemini\"\n").find("provider"),
            std::string::npos);
  const std::string tool_head = "[agent]\nname = \"a\"\n[[tools]]\nname = \"t\"\n";
  EXPECT_NE(err(tool_head + "url = \"http://{host}/x\"\n").find("only in the path"),
            std::string::npos);
  EXPECT_NE(
      err(tool_head + "url = \"http://h/x\"\nauth = { resource = \"r\" }\n").find("[identity]"),
      std::string::npos);
  EXPECT_NE(err(tool_head + "url = \"http://h/x\"\nheaders = { Authorization = \"x\" }\n")
                .find("Authorization"),
            std::string::npos);
  EXPECT_NE(err(tool_head + "url = \"http://h/x\"\nmethod = \"TRACE\"\n").find("method"),
            std::string::npos);
  EXPECT_NE(err(tool_head + "url = \"http://h/x/{id\"\n").find("unclosed"), std::string::npos);
  EXPECT_NE(err(tool_head + "url = \"h/{id}\"\n").find("not absolute"), std::string::npos);
  EXPECT_TRUE(ParseAgentConfig(tool_head + "url = \"http://h/a/{id}/b?q={q}&r=1\"\n").ok());
  EXPECT_NE(err("[agent\n").find("TOML"), std::string::npos);
}

// auth.approval = "backchannel" asks the user on their device (no [delegation] needed) with a
// binding_message filled from the arguments; bad values and unknown placeholders are refused.
TEST(DeclarativeTest, BackchannelApprovalKeys) {
  const std::string head =
      "[agent]\nname = \"a\"\n[identity]\nissuer = \"http://127.0.0.1:3000\"\n"
      "client_id = \"a\"\nclient_secret_env = \"S\"\n[[tools]]\nname = \"t\"\n"
      "url = \"http://h/x\"\nparameters = { type = \"object\", properties = { room = { type = "
      "\"string\" } }, required = [\"room\"] }\n";
  auto c = ParseAgentConfig(head +
                            "auth = { resource = \"r\", acting = \"user\", approval = "
                            "\"backchannel\", binding_message = \"Book room {room}\" }\n");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->tools[0].auth.has_value());
  const ToolRequirement& need = *c->tools[0].auth;
  EXPECT_EQ(need.approval, auth::Approval::kBackchannel);
  ASSERT_TRUE(need.binding_message);
  EXPECT_EQ(need.binding_message(Json{{"room", "r-12"}}), "Book room r-12");
  auto err = [&](const std::string& auth) {
    return ParseAgentConfig(head + "auth = { resource = \"r\", acting = \"user\", " + auth +
                            " }\n")
        .status()
        .message();
  };
  EXPECT_NE(err("approval = \"sms\"").find("approval"), std::string::npos);
  EXPECT_NE(err("approval = \"backchannel\", binding_message = \"{nope}\"").find("{nope}"),
            std::string::npos);
  EXPECT_NE(err("binding_message = \"x\"").find("backchannel"), std::string::npos);
  EXPECT_NE(err("approval = \"consent\"").find("[delegation]"), std::string::npos);
}

// Model settings come from the environment too: each variable overrides its key, a base URL
// alone turns the offline default into an OpenAI-compatible client, unset variables change
// nothing and an unknown provider is refused.
TEST(DeclarativeTest, ModelSettingsFromTheEnvironment) {
  std::map<std::string, std::string> env;
  auto getenv = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  ModelConfig config;
  ASSERT_TRUE(ApplyModelEnvironment(config, getenv).ok());
  EXPECT_EQ(config.provider, "offline");

  env = {{"ZTA_MODEL_BASE_URL", "http://127.0.0.1:11434/v1"}, {"ZTA_MODEL", "qwen2.5:7b"}};
  ASSERT_TRUE(ApplyModelEnvironment(config, getenv).ok());
  EXPECT_EQ(config.provider, "openai");
  EXPECT_EQ(config.base_url, "http://127.0.0.1:11434/v1");
  auto model = MakeChatModel(config);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->Describe(),
            "openai qwen2.5:7b at http://127.0.0.1:11434/v1/chat/completions");

  auto file = ParseAgentConfig(
      "[agent]\nname = \"a\"\n[model]\nprovider = \"azure\"\nbase_url = "
      "\"https://x.openai.azure.com\"\ndeployment = \"from-file\"\n");
  ASSERT_TRUE(file.ok()) << file.status();
  env = {{"ZTA_MODEL", "from-env"},
         {"ZTA_MODEL_API_VERSION", "2024-10-21"},
         {"ZTA_MODEL_API_KEY_ENV", "AZURE_OPENAI_API_KEY"},
         {"ZTA_MODEL_PROVIDER", ""}};
  ASSERT_TRUE(ApplyModelEnvironment(file->model, getenv).ok());
  EXPECT_EQ(file->model.provider, "azure");
  EXPECT_EQ(file->model.base_url, "https://x.openai.azure.com");
  EXPECT_EQ(file->model.model, "from-env");
  EXPECT_EQ(file->model.api_version, "2024-10-21");
  EXPECT_EQ(file->model.api_key_env, "AZURE_OPENAI_API_KEY");

  env = {{"ZTA_MODEL_PROVIDER", "gemini"}};
  EXPECT_EQ(ApplyModelEnvironment(config, getenv).code(), StatusCode::kInvalidArgument);
}

// Placeholders are percent-encoded so a value cannot escape its slot; missing ones are errors.
TEST(DeclarativeTest, ExpandsUrlTemplatesSafely) {
  std::vector<std::string> used;
  auto url = ExpandUrlTemplate("http://h/api/bookings/{id}/x?n={n}",
                               {{"id", "../admin?x=1"}, {"n", 3}}, &used);
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(*url, "http://h/api/bookings/..%2Fadmin%3Fx%3D1/x?n=3");
  EXPECT_EQ(used, (std::vector<std::string>{"id", "n"}));
  EXPECT_EQ(ExpandUrlTemplate("http://h/{id}", Json::object()).status().reason(),
            "invalid_arguments");
}

// A path argument that is, or together with the template text around it makes, a "." or ".."
// segment (RFC 3986 §5.2.4 would remove it and move the call to another resource), or that is
// empty, is refused; anything else, query values included, is encoded and kept in its slot.
TEST(DeclarativeTest, RefusesArgumentsThatWouldMoveThePath) {
  struct Case {
    std::string url_template;
    Json args;
    std::string want;  // the expanded URL; empty: refused as invalid_arguments
  };
  const std::string kHotel = "http://h/api/hotels/{id}/details";
  const std::vector<Case> cases = {
      {kHotel, {{"id", "."}}, ""},
      {kHotel, {{"id", ".."}}, ""},
      {kHotel, {{"id", ""}}, ""},
      {kHotel, {{"id", "..."}}, "http://h/api/hotels/.../details"},
      {kHotel, {{"id", "v1.2"}}, "http://h/api/hotels/v1.2/details"},
      {kHotel, {{"id", ".hidden"}}, "http://h/api/hotels/.hidden/details"},
      {kHotel, {{"id", "a/../b"}}, "http://h/api/hotels/a%2F..%2Fb/details"},
      {kHotel, {{"id", "/../"}}, "http://h/api/hotels/%2F..%2F/details"},
      {kHotel, {{"id", "%2e%2e"}}, "http://h/api/hotels/%252e%252e/details"},
      {kHotel, {{"id", 12}}, "http://h/api/hotels/12/details"},
      // Two slots in one segment: what counts is the segment they make together.
      {"http://h/api/{a}{b}/x", {{"a", "."}, {"b", "."}}, ""},
      {"http://h/api/{a}{b}/x", {{"a", ".."}, {"b", ""}}, ""},
      {"http://h/api/{a}{b}/x", {{"a", ""}, {"b", "."}}, ""},
      {"http://h/api/{a}{b}/x", {{"a", "."}, {"b", "x"}}, "http://h/api/.x/x"},
      {"http://h/api/{a}{b}/x", {{"a", ".."}, {"b", "."}}, "http://h/api/.../x"},
      // Template text around a slot is part of its segment.
      {"http://h/api/x{a}", {{"a", ".."}}, "http://h/api/x.."},
      {"http://h/api/x{a}", {{"a", "."}}, "http://h/api/x."},
      {"http://h/api/.{a}/y", {{"a", "."}}, ""},
      {"http://h/api/%2E{a}/y", {{"a", "."}}, ""},
      {"http://h/api/{a}", {{"a", ".."}}, ""},
      {"http://h/api/{a}?n=1", {{"a", "."}}, ""},
      {"http://h/api/{a}/{b}", {{"a", "ok"}, {"b", ".."}}, ""},
      // Query values are not path segments.
      {"http://h/api/items?q={q}", {{"q", ".."}}, "http://h/api/items?q=.."},
      {"http://h/api/items?q={q}&r={r}", {{"q", ""}, {"r", "."}}, "http://h/api/items?q=&r=."},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url_template + " " + DumpJson(c.args));
    auto url = ExpandUrlTemplate(c.url_template, c.args);
    if (c.want.empty()) {
      ASSERT_FALSE(url.ok()) << *url;
      EXPECT_EQ(url.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(url.status().reason(), "invalid_arguments");
    } else {
      ASSERT_TRUE(url.ok()) << url.status();
      EXPECT_EQ(*url, c.want);
    }
  }
}

// The probe's call (`{"id": ".."}` on /api/hotels/{id}/details) is refused before any request
// leaves, so the API never sees the token on another path.
TEST(DeclarativeTest, DotSegmentArgumentNeverReachesTheApi) {
  FakeTokenSource tokens("https://hotel.example/api", {"read_hotels"});
  HttpToolConfig config;
  config.name = "hotel_details";
  config.url = "http://127.0.0.1:9/api/hotels/{id}/details";
  config.parameters = {
      {"type", "object"}, {"properties", {{"id", {{"type", "string"}}}}}, {"required", {"id"}}};
  config.auth = ToolRequirement{};
  config.auth->resource = "https://hotel.example/api";
  config.auth->scopes = {"read_hotels"};
  auto tool = MakeHttpTool(config, &tokens);
  ASSERT_TRUE(tool.ok()) << tool.status();
  std::vector<std::string> sent;
  ToolContext ctx;
  ctx.transport = [&sent](const http::ClientRequest& r) -> Result<http::Response> {
    sent.push_back(r.url);
    return http::Response::Json(200, Json::object());
  };
  for (const char* id : {"..", ".", ""}) {
    ToolOutcome out = (*tool)->Invoke({{"id", id}}, ctx);
    EXPECT_EQ(out.status, ToolStatus::kError) << id;
    EXPECT_EQ(out.reason, "invalid_arguments") << id;
  }
  EXPECT_TRUE(sent.empty());
  EXPECT_EQ((*tool)->Invoke({{"id", "h1"}}, ctx).status, ToolStatus::kOk);
  EXPECT_EQ(sent, std::vector<std::string>{"http://127.0.0.1:9/api/hotels/h1/details"});
}

// A fake hotel API recording what it received.
class FakeHotelApi {
 public:
  FakeHotelApi() {
    auto s = http::HttpServer::Start({}, [this](const http::Request& r) {
      MutexLock lock(mu_);
      requests_.push_back(r);
      if (r.path == "/api/hotels") {
        return http::Response::Json(200, Json::array({{{"id", "h1"}, {"name", "Le Grand"}}}));
      }
      if (r.path.starts_with("/api/bookings/")) {
        http::Response denied = http::Response::Json(403, {{"error", "insufficient_scope"}});
        denied.headers.Set("WWW-Authenticate",
                           "Bearer error=\"insufficient_scope\", scope=\"cancel_bookings\"");
        return denied;
      }
      return http::Response::Text(404, "no");
    });
    if (s.ok()) server_ = std::move(s).value();
  }
  std::string BaseUrl() const { return server_->BaseUrl(); }
  std::vector<http::Request> requests() const {
    MutexLock lock(mu_);
    return requests_;
  }

 private:
  mutable Mutex mu_;
  std::vector<http::Request> requests_ ZTA_GUARDED_BY(mu_);
  std::unique_ptr<http::HttpServer> server_;
};

// An HTTP tool attaches the token, sends unused arguments as query or JSON body, and turns the
// upstream's 403 into a denial with the RFC 6750 error code.
TEST(DeclarativeTest, HttpToolsCallTheApi) {
  FakeHotelApi api;
  FakeTokenSource tokens("https://hotel.example/api", {"read_hotels", "cancel_bookings"});
  auto config = ParseAgentConfig(ExampleToml(api.BaseUrl()));
  ASSERT_TRUE(config.ok()) << config.status();
  HttpToolConfig search = config->tools[0];
  search.parameters["properties"]["max"] = {{"type", "integer"}};
  auto tool = MakeHttpTool(search, &tokens);
  ASSERT_TRUE(tool.ok()) << tool.status();
  ToolContext ctx;
  ToolOutcome out = (*tool)->Invoke({{"city", "São Paulo"}, {"max", 3}}, ctx);
  EXPECT_EQ(out.status, ToolStatus::kOk) << out.content;
  EXPECT_EQ(out.content, R"([{"id":"h1","name":"Le Grand"}])");
  auto reqs = api.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].query, "city=S%C3%A3o%20Paulo&max=3");
  EXPECT_EQ(reqs[0].headers.Get("Authorization").value_or(""),
            std::string("Bearer ") + FakeTokenSource::kTokenValue);

  auto cancel = MakeHttpTool(config->tools[1], &tokens);
  ASSERT_TRUE(cancel.ok());
  ToolOutcome denied = (*cancel)->Invoke({{"booking_id", "b/1"}}, ctx);
  EXPECT_EQ(denied.status, ToolStatus::kDenied);
  EXPECT_EQ(denied.reason, "insufficient_scope");
  reqs = api.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].path, "/api/bookings/b%2F1/cancel");
  EXPECT_EQ(reqs[1].method, "POST");
  EXPECT_EQ(reqs[1].body, "{}");

  HttpToolConfig open = config->tools[0];
  open.auth.reset();
  auto plain = MakeHttpTool(open, nullptr);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)->Invoke({{"city", "Oslo"}}, ctx).status, ToolStatus::kOk);
  EXPECT_FALSE(api.requests().back().headers.Has("Authorization"));
  EXPECT_FALSE(MakeHttpTool(config->tools[0], nullptr).ok());
}

// A huge upstream answer is cut before it enters the conversation; a small one stays JSON; an
// upstream error is a short tool error.
TEST(DeclarativeTest, HttpToolResultsAreBounded) {
  HttpToolConfig config;
  config.name = "search_hotels";
  config.url = "http://127.0.0.1:9/api/hotels?city={city}";
  config.parameters = {
      {"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"required", {"city"}}};
  auto tool = MakeHttpTool(config, nullptr);
  ASSERT_TRUE(tool.ok()) << tool.status();
  http::Response answer;
  ToolContext ctx;
  ctx.transport = [&answer](const http::ClientRequest&) { return Result<http::Response>(answer); };

  answer = http::Response::Json(200, Json::array({Json{{"name", std::string(40'000, 'x')}}}));
  ToolOutcome big = (*tool)->Invoke({{"city", "Oslo"}}, ctx);
  EXPECT_EQ(big.status, ToolStatus::kOk);
  EXPECT_LT(big.content.size(), 17u * 1024);
  EXPECT_NE(big.content.find("[truncated, 40013 bytes]"), std::string::npos);

  answer = http::Response::Json(200, Json::array({Json{{"name", "Nord"}}}));
  EXPECT_EQ((*tool)->Invoke({{"city", "Oslo"}}, ctx).content, R"([{"name":"Nord"}])");

  answer = http::Response::Text(500, std::string(2'000, 'e'));
  ToolOutcome failed = (*tool)->Invoke({{"city", "Oslo"}}, ctx);
  EXPECT_EQ(failed.status, ToolStatus::kError);
  EXPECT_EQ(failed.reason, "upstream_500");
  EXPECT_LT(failed.content.size(), 600u);
}

// [model.entra]: Azure OpenAI with a Microsoft Entra ID token. The token comes from the Entra
// token endpoint by client_credentials with the scope "<resource>/.default" and no RFC 8707
// resource parameter (Entra v2.0 refuses it), is sent as a bearer header and never in a body,
// and is cached across completions. Misplaced settings are refused.
TEST(DeclarativeTest, AzureModelWithAnEntraToken) {
  testing::FakeModelServer entra;  // plays login.microsoftonline.com
  testing::FakeModelServer azure;
  ASSERT_TRUE(entra.ok() && azure.ok());
  const std::string kEntraToken = "entra-opaque-token-0123456789abcdef";
  entra.ThenJson(200,
                 {{"access_token", kEntraToken}, {"token_type", "Bearer"}, {"expires_in", 3599}});
  azure.ThenText("one");
  azure.ThenText("two");
  setenv("ZTA_TEST_ENTRA_SECRET", "entra-client-secret-value-42", 1);
  auto config = ParseAgentConfig(
      "[agent]\nname = \"a\"\n[model]\nprovider = \"azure\"\nbase_url = \"" + azure.BaseUrl() +
      "\"\ndeployment = \"gpt-4o\"\napi_version = \"2024-10-21\"\n"
      "[model.entra]\nissuer = \"https://login.microsoftonline.com/tenant-1/v2.0\"\n"
      "token_endpoint = \"" +
      entra.BaseUrl() +
      "/tenant-1/oauth2/v2.0/token\"\n"
      "client_id = \"app-1\"\nclient_secret_env = \"ZTA_TEST_ENTRA_SECRET\"\n"
      "auth_method = \"client_secret_post\"\n");
  ASSERT_TRUE(config.ok()) << config.status();
  std::string secret;
  auto model = MakeChatModel(config->model, &secret);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(secret, "entra-client-secret-value-42");  // handed back for scrubbing
  ChatRequest request;
  request.messages = {Message::User("hi")};
  ASSERT_TRUE((*model)->Complete(request).ok());
  ASSERT_TRUE((*model)->Complete(request).ok());

  ASSERT_EQ(entra.requests().size(), 1u);  // cached for the second completion
  http::Request token_request = entra.requests()[0];
  EXPECT_EQ(token_request.path, "/tenant-1/oauth2/v2.0/token");
  auto form = http::ParseForm(token_request.body);
  ASSERT_TRUE(form.ok());
  std::map<std::string, std::string> fields(form->begin(), form->end());
  EXPECT_EQ(fields["grant_type"], "client_credentials");
  EXPECT_EQ(fields["scope"], "https://cognitiveservices.azure.com/.default");
  EXPECT_EQ(fields["client_id"], "app-1");
  EXPECT_EQ(fields.count("resource"), 0u);
  ASSERT_EQ(azure.requests().size(), 2u);
  for (const auto& r : azure.requests()) {
    EXPECT_EQ(r.path, "/openai/deployments/gpt-4o/chat/completions");
    EXPECT_EQ(r.headers.Get("Authorization").value_or(""), "Bearer " + kEntraToken);
    EXPECT_FALSE(r.headers.Has("api-key"));
    EXPECT_EQ(r.body.find(kEntraToken), std::string::npos);
  }

  ModelConfig openai;
  openai.provider = "openai";
  openai.base_url = azure.BaseUrl();
  openai.model = "m";
  openai.entra = config->model.entra;
  EXPECT_EQ(MakeChatModel(openai).status().code(), StatusCode::kInvalidArgument);
  ModelConfig both = config->model;
  both.api_key_env = "ZTA_TEST_ENTRA_SECRET";
  EXPECT_EQ(MakeChatModel(both).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseAgentConfig("[model]\nprovider = \"azure\"\nentra = 3\n").ok());
}

// End to end with the offline planner: a search runs with a token; a cancel beyond the agent's
// scopes is denied and the hotel API never sees it.
TEST(DeclarativeTest, OfflineAgentEndToEnd) {
  FakeHotelApi api;
  FakeTokenSource tokens("https://hotel.example/api", {"read_hotels"});
  auto config = ParseAgentConfig(ExampleToml(api.BaseUrl()));
  ASSERT_TRUE(config.ok());
  auto model = MakeChatModel(config->model);
  ASSERT_TRUE(model.ok());
  InMemoryAuditSink audit;
  auto agent = AssistantAgent::Create(config->agent, **model, audit);
  ASSERT_TRUE(agent.ok());
  for (const auto& t : config->tools) {
    auto tool = MakeHttpTool(t, &tokens);
    ASSERT_TRUE(tool.ok());
    ASSERT_TRUE((*agent)->AddTool(*tool).ok());
  }
  Conversation c;
  c.Append(Message::User("Find hotels in Paris"));
  auto r = (*agent)->Run(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->text.find("Le Grand"), std::string::npos);
  c.Append(Message::User("Now cancel booking b-9"));
  r = (*agent)->Run(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->denied_calls, 1);
  EXPECT_NE(r->text.find("not authorized"), std::string::npos);
  EXPECT_EQ(api.requests().size(), 1u);  // only the search
  auto events = audit.Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].decision, AuditDecision::kDeny);
  EXPECT_EQ(events[1].attributes["gen_ai.agent.id"], "hotel-reader");
}

}  // namespace
}  // namespace zta::agent

namespace zta::agent {
namespace {

// Every sample agent in examples/agents parses and validates.
TEST(DeclarativeTest, ExamplesParse) {
  for (const char* name : {"hotel-reader.toml", "local-llama.toml", "azure-public-api.toml"}) {
    auto c = LoadAgentConfig(std::string(ZTA_SOURCE_DIR) + "/examples/agents/" + name);
    EXPECT_TRUE(c.ok()) << name << ": " << c.status();
  }
}

}  // namespace
}  // namespace zta::agent
