// Tests for the OpenAI-compatible and Azure OpenAI clients against a local fake server.
#include "zta/agent/openai_model.h"

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include "../http/test_util.h"
#include "fake_model_server.h"
#include "testing.h"
#include "zta/agent/assistant_agent.h"
#include "zta/http/protocol.h"

namespace zta::agent {
namespace {

using testing::FakeModelServer;
using testing::FakeTokenSource;

class OpenAiModelTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()); }

  OpenAiOptions Options() {
    OpenAiOptions o;
    o.base_url = server_.BaseUrl() + "/v1";
    o.model = "gpt-test";
    o.api_key = Secret("sk-canary-key-0123456789");
    o.initial_backoff = std::chrono::milliseconds(1);
    o.timeout = std::chrono::milliseconds(5000);
    o.sleep = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); };
    return o;
  }
  std::unique_ptr<OpenAiChatModel> Model(OpenAiOptions o) {
    auto m = OpenAiChatModel::Create(std::move(o));
    EXPECT_TRUE(m.ok()) << m.status();
    return std::move(m).value();
  }
  static ChatRequest RequestWithTool() {
    ChatRequest r;
    r.messages = {Message::System("sys"), Message::User("hotels in Paris")};
    ToolSpec t{"search_hotels", "Search",
               Schema::Object().Property("city", Schema::String()).json(), true};
    r.tools = {t};
    return r;
  }
  static Json Body(const http::Request& r) {
    auto j = ParseJsonStrict(r.body);
    EXPECT_TRUE(j.ok());
    return j.ok() ? *j : Json();
  }

  FakeModelServer server_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

// The request follows Chat Completions (model, messages, tools with strict schemas, tool_choice,
// parallel_tool_calls, bearer key) and parallel tool calls in the reply are parsed in order.
TEST_F(OpenAiModelTest, SendsToolsAndParsesParallelToolCalls) {
  auto model = Model(Options());
  EXPECT_EQ(model->endpoint(), server_.BaseUrl() + "/v1/chat/completions");
  server_.ThenToolCalls({{"call_a", "search_hotels", R"({"city":"Paris"})"},
                         {"call_b", "search_hotels", R"({"city":"Lyon"})"}});
  auto r = model->Complete(RequestWithTool());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->finish_reason, "tool_calls");
  EXPECT_EQ(r->model, "fake-model");
  EXPECT_EQ(r->usage.prompt_tokens, 10);
  ASSERT_EQ(r->message.tool_calls.size(), 2u);
  EXPECT_EQ(r->message.tool_calls[1].id, "call_b");
  EXPECT_EQ(r->message.tool_calls[1].arguments, R"({"city":"Lyon"})");

  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/v1/chat/completions");
  EXPECT_EQ(requests[0].headers.Get("Authorization").value_or(""),
            "Bearer sk-canary-key-0123456789");
  Json body = Body(requests[0]);
  EXPECT_EQ(body["model"], "gpt-test");
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["tools"][0]["type"], "function");
  EXPECT_EQ(body["tools"][0]["function"]["strict"], true);
  EXPECT_EQ(body["tools"][0]["function"]["parameters"]["additionalProperties"], false);
  EXPECT_EQ(body["tool_choice"], "auto");
  EXPECT_EQ(body["parallel_tool_calls"], true);
  EXPECT_FALSE(body.contains("stream"));
}

// A tool named as tool_choice is forced with the object form; no tools → no tool fields.
TEST_F(OpenAiModelTest, ToolChoiceForms) {
  auto model = Model(Options());
  ChatRequest r = RequestWithTool();
  r.tool_choice = "search_hotels";
  r.parallel_tool_calls = false;
  Json body = model->BuildBody(r);
  EXPECT_EQ(body["tool_choice"]["function"]["name"], "search_hotels");
  EXPECT_EQ(body["parallel_tool_calls"], false);
  r.tools.clear();
  body = model->BuildBody(r);
  EXPECT_FALSE(body.contains("tools"));
  EXPECT_FALSE(body.contains("tool_choice"));
  EXPECT_FALSE(body.contains("parallel_tool_calls"));
}

// 429 with Retry-After is retried after waiting as long as the server asked; retry-after-ms too.
TEST_F(OpenAiModelTest, RetriesRateLimitsHonouringRetryAfter) {
  auto model = Model(Options());
  http::Response limited = http::Response::Json(429, {{"error", {{"message", "slow down"}}}});
  limited.headers.Set("Retry-After", "2");
  server_.ThenResponse(limited);
  http::Response limited_ms = http::Response::Json(429, Json::object());
  limited_ms.headers.Set("retry-after-ms", "1500");
  server_.ThenResponse(limited_ms);
  server_.ThenText("ok");
  auto r = model->Complete(RequestWithTool());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->message.content, "ok");
  EXPECT_EQ(server_.requests().size(), 3u);
  ASSERT_EQ(sleeps_.size(), 2u);
  EXPECT_EQ(sleeps_[0], std::chrono::milliseconds(2000));
  EXPECT_EQ(sleeps_[1], std::chrono::milliseconds(1500));
}

// Retry-After may be an HTTP-date (RFC 9110 §10.2.3): the wait is that date minus now; a date in
// the past falls back to the client's own backoff.
TEST_F(OpenAiModelTest, RetryAfterAsHttpDate) {
  FakeClock clock(1'700'000'000);  // Tue, 14 Nov 2023 22:13:20 GMT
  OpenAiOptions o = Options();
  o.clock = &clock;
  o.initial_backoff = std::chrono::milliseconds(250);
  auto model = Model(o);
  http::Response later = http::Response::Json(503, Json::object());
  later.headers.Set("Retry-After", "Tue, 14 Nov 2023 22:13:27 GMT");
  server_.ThenResponse(later);
  http::Response past = http::Response::Json(429, Json::object());
  past.headers.Set("Retry-After", "Tue, 14 Nov 2023 22:00:00 GMT");
  server_.ThenResponse(past);
  server_.ThenText("ok");
  auto r = model->Complete(RequestWithTool());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(sleeps_.size(), 2u);
  EXPECT_EQ(sleeps_[0], std::chrono::milliseconds(7000));
  EXPECT_EQ(sleeps_[1], std::chrono::milliseconds(500));  // the doubled backoff
}

// A server still rate-limiting after every attempt gives kResourceExhausted (model_rate_limited),
// with one wait between each pair of attempts and none after the last.
TEST_F(OpenAiModelTest, RateLimitedAfterEveryAttempt) {
  OpenAiOptions o = Options();
  o.max_attempts = 3;
  auto model = Model(o);
  for (int i = 0; i < 3; ++i) {
    http::Response limited = http::Response::Json(429, {{"error", {{"message", "slow down"}}}});
    limited.headers.Set("Retry-After", "1");
    server_.ThenResponse(limited);
  }
  auto r = model->Complete(RequestWithTool());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().reason(), "model_rate_limited");
  EXPECT_EQ(server_.requests().size(), 3u);
  EXPECT_EQ(sleeps_.size(), 2u);
}

// IMF-fixdate only, checked field by field (the parser now lives in zta/http/protocol.h).
TEST(HttpDateTest, ParsesImfFixdateOnly) {
  using http::ParseHttpDate;
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(ParseHttpDate("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
  EXPECT_EQ(ParseHttpDate("Tue, 29 Feb 2028 12:00:00 GMT"), 1835438400);
  EXPECT_FALSE(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"));  // RFC 850
  EXPECT_FALSE(ParseHttpDate("Sun Nov  6 08:49:37 1994"));        // asctime
  EXPECT_FALSE(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 UTC"));
  EXPECT_FALSE(ParseHttpDate("Sun, 06 Xyz 1994 08:49:37 GMT"));
  EXPECT_FALSE(ParseHttpDate("Sun, 06 Nov 1994 25:49:37 GMT"));
  EXPECT_FALSE(ParseHttpDate("120"));
}

// 5xx is retried up to max_attempts, then kUnavailable; a 400 is not retried.
TEST_F(OpenAiModelTest, GivesUpAfterMaxAttemptsAndDoesNotRetry4xx) {
  OpenAiOptions o = Options();
  o.max_attempts = 2;
  auto model = Model(o);
  server_.ThenJson(503, {{"error", {{"message", "overloaded"}}}});
  server_.ThenJson(502, Json::object());
  auto r = model->Complete(RequestWithTool());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(server_.requests().size(), 2u);

  server_.ThenJson(400, {{"error", {{"message", "bad tool schema"}}}});
  auto bad = model->Complete(RequestWithTool());
  EXPECT_EQ(bad.status().reason(), "model_rejected_request");
  EXPECT_NE(bad.status().message().find("bad tool schema"), std::string::npos);
  EXPECT_EQ(server_.requests().size(), 3u);
}

// A refused key is kUnauthenticated, and the error never repeats the key even if the server does.
TEST_F(OpenAiModelTest, UnauthorizedNeverEchoesTheKey) {
  auto model = Model(Options());
  server_.ThenJson(401, {{"error", {{"message", "Incorrect API key sk-canary-key-0123456789"}}}});
  auto r = model->Complete(RequestWithTool());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().ToString().find("sk-canary-key-0123456789"), std::string::npos);
}

// A server slower than the timeout gives kDeadlineExceeded (retried, then reported).
TEST_F(OpenAiModelTest, TimesOut) {
  OpenAiOptions o = Options();
  o.timeout = std::chrono::milliseconds(200);
  o.max_attempts = 1;
  auto model = Model(o);
  server_.Then([](const http::Request&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    return http::Response::Text(200, "{}");
  });
  auto r = model->Complete(RequestWithTool());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status();
}

// A streamed reply is joined: text deltas in order, tool-call deltas by index, the Azure
// prompt-filter chunk and the usage chunk (both with empty choices) skipped.
TEST_F(OpenAiModelTest, StreamingJoinsToolCallDeltasByIndex) {
  OpenAiOptions o = Options();
  o.stream = true;
  std::string seen;
  o.on_text_delta = [&](std::string_view d) { seen += d; };
  auto model = Model(o);
  server_.ThenStream({
      R"({"choices":[],"prompt_filter_results":[{"prompt_index":0}]})",
      R"({"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Let me "}}]})",
      R"({"choices":[{"index":0,"delta":{"content":"look."}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c0","type":"function","function":{"name":"search_hotels","arguments":""}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"c1","type":"function","function":{"name":"book_room","arguments":"{\"ho"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}},{"index":1,"function":{"arguments":"tel\":\"h1\"}"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
      R"({"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}})",
      "[DONE]",
  });
  auto r = model->Complete(RequestWithTool());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Body(server_.requests()[0])["stream"], true);
  EXPECT_EQ(r->message.content, "Let me look.");
  EXPECT_EQ(seen, "Let me look.");
  EXPECT_EQ(r->finish_reason, "tool_calls");
  EXPECT_EQ(r->usage.completion_tokens, 3);
  ASSERT_EQ(r->message.tool_calls.size(), 2u);
  EXPECT_EQ(r->message.tool_calls[0], (ToolCall{"c0", "search_hotels", R"({"city":"Paris"})"}));
  EXPECT_EQ(r->message.tool_calls[1], (ToolCall{"c1", "book_room", R"({"hotel":"h1"})"}));
}

// Text deltas reach the caller while the model is still writing: the server holds the rest of
// the stream back until the first delta has been reported (or 5 s pass, which fails the test).
TEST(OpenAiStreamingTest, ReportsTextDeltasAsTheyArrive) {
  std::promise<void> first_delta;
  std::future<void> first_delta_future = first_delta.get_future();
  bool delta_before_rest = false;
  http::testing::RawResponder server(
      {"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
       "data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
       // an event split across pieces
       "data: {\"choices\":[{\"index\":0,",
       "\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"},
      [&](size_t) {
        delta_before_rest =
            first_delta_future.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
      });
  OpenAiOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1";
  o.model = "gpt-test";
  o.stream = true;
  o.max_attempts = 1;
  std::vector<std::string> deltas;
  o.on_text_delta = [&](std::string_view d) {
    if (deltas.empty()) first_delta.set_value();
    deltas.emplace_back(d);
  };
  auto model = OpenAiChatModel::Create(std::move(o));
  ASSERT_TRUE(model.ok()) << model.status();
  ChatRequest request;
  request.messages = {Message::User("hi")};
  auto r = (*model)->Complete(request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(delta_before_rest);
  EXPECT_EQ(deltas, (std::vector<std::string>{"Hel", "lo"}));
  EXPECT_EQ(r->message.content, "Hello");
  EXPECT_EQ(r->finish_reason, "stop");
}

// The joiner accepts a stream split at every byte, CRLF line ends included.
TEST(StreamParseTest, JoinsAStreamFedOneByteAtATime) {
  const std::string sse =
      "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r\n"
      ": keep-alive comment\r\n\r\n"
      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"function\":"
      "{\"name\":\"t\",\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}]}\r\n\r\n";
  std::string text;
  ChatStreamJoiner joiner([&](std::string_view d) { text += d; });
  for (char c : sse) ASSERT_TRUE(joiner.Feed(std::string_view(&c, 1)).ok());
  auto r = joiner.Finish();  // no [DONE]: the stream just ended
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(text, "a");
  EXPECT_EQ(r->finish_reason, "tool_calls");
  ASSERT_EQ(r->message.tool_calls.size(), 1u);
  EXPECT_EQ(r->message.tool_calls[0], (ToolCall{"c", "t", "{}"}));
}

// Malformed streams are errors, not half answers.
TEST(StreamParseTest, RefusesMalformedStreams) {
  EXPECT_EQ(ParseChatCompletionStream("").status().reason(), "bad_model_response");
  EXPECT_EQ(ParseChatCompletionStream("data: {nope\n\n").status().reason(), "bad_model_response");
  EXPECT_FALSE(
      ParseChatCompletionStream("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,"
                                "\"function\":{\"arguments\":\"{}\"}}]}}]}\n\n")
          .ok());  // no tool name
  EXPECT_EQ(
      ParseChatCompletionStream("data: {\"error\":{\"message\":\"x\"}}\n\n").status().reason(),
      "model_unavailable");
}

// Azure deployments path: URL with deployment and api-version, api-key header, no model in the
// body; a content_filter finish reason comes through.
TEST_F(OpenAiModelTest, AzureDeploymentsPathWithApiKey) {
  OpenAiOptions o = Options();
  o.provider = ModelProvider::kAzure;
  o.base_url = server_.BaseUrl();
  o.model = "my-gpt4o";
  o.api_version = "2024-10-21";
  auto model = Model(o);
  server_.ThenCompletion({{"role", "assistant"}, {"content", nullptr}}, "content_filter");
  auto r = model->Complete(RequestWithTool());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->finish_reason, "content_filter");
  auto req = server_.requests().at(0);
  EXPECT_EQ(req.path, "/openai/deployments/my-gpt4o/chat/completions");
  EXPECT_EQ(req.query, "api-version=2024-10-21");
  EXPECT_EQ(req.headers.Get("api-key").value_or(""), "sk-canary-key-0123456789");
  EXPECT_FALSE(req.headers.Has("Authorization"));
  EXPECT_FALSE(Body(req).contains("model"));
}

// Azure v1 path with an Entra bearer token from a token source; a filtered prompt (400
// content_filter) is reported with reason content_filter and not retried.
TEST_F(OpenAiModelTest, AzureV1PathWithEntraToken) {
  FakeTokenSource entra("https://cognitiveservices.azure.com",
                        {"https://cognitiveservices.azure.com/.default"});
  OpenAiOptions o = Options();
  o.provider = ModelProvider::kAzure;
  o.base_url = server_.BaseUrl();
  o.api_key = Secret();
  o.token_source = &entra;
  auto model = Model(o);
  EXPECT_EQ(model->endpoint(), server_.BaseUrl() + "/openai/v1/chat/completions");
  server_.ThenJson(400, {{"error",
                          {{"code", "content_filter"},
                           {"message", "The response was filtered"},
                           {"innererror", {{"code", "ResponsibleAIPolicyViolation"}}}}}});
  auto r = model->Complete(RequestWithTool());
  EXPECT_EQ(r.status().reason(), "content_filter");
  auto req = server_.requests().at(0);
  EXPECT_EQ(req.headers.Get("Authorization").value_or(""),
            std::string("Bearer ") + FakeTokenSource::kTokenValue);
  EXPECT_EQ(Body(req)["model"], "gpt-test");
  EXPECT_EQ(server_.requests().size(), 1u);
}

// Azure streaming end to end: the prompt-filter chunk with empty choices is skipped, the answer
// is cut by the content filter mid-stream, and the agent ends its turn with content_filter
// instead of treating the partial answer as final. Nothing runs.
TEST_F(OpenAiModelTest, AzureStreamCutByContentFilterEndsTheTurn) {
  OpenAiOptions o = Options();
  o.provider = ModelProvider::kAzure;
  o.base_url = server_.BaseUrl() + "/openai/v1/";
  o.stream = true;
  auto model = Model(o);
  EXPECT_EQ(model->endpoint(), server_.BaseUrl() + "/openai/v1/chat/completions");
  server_.ThenStream({
      R"({"id":"","object":"","created":0,"model":"","choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}]})",
      R"({"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"Here is how"},"content_filter_results":{}}]})",
      R"({"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"content_filter","content_filter_results":{"violence":{"filtered":true,"severity":"high"}}}]})",
      "[DONE]",
  });
  InMemoryAuditSink audit;
  auto agent = AssistantAgent::Create({.name = "guest"}, *model, audit);
  ASSERT_TRUE(agent.ok());
  Conversation c;
  c.Append(Message::User("something the filter blocks"));
  auto r = (*agent)->Run(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stop_reason, "content_filter");
  EXPECT_EQ(r->text, "Here is how");
  EXPECT_EQ(r->tool_calls, 0);
  EXPECT_TRUE(audit.Events().empty());
  auto req = server_.requests().at(0);
  EXPECT_EQ(req.path, "/openai/v1/chat/completions");
  EXPECT_EQ(req.headers.Get("api-key").value_or(""), "sk-canary-key-0123456789");
  EXPECT_EQ(req.headers.Get("Accept").value_or(""), "text/event-stream");
}

// A non-streamed reply with no choices at all (a filtered or malformed answer) is a model error,
// not an empty answer.
TEST_F(OpenAiModelTest, ReplyWithoutChoicesIsABadResponse) {
  auto model = Model(Options());
  server_.ThenJson(200, {{"id", "x"}, {"choices", Json::array()}});
  auto r = model->Complete(RequestWithTool());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.status().reason(), "bad_model_response");
}

// End to end over HTTP: invalid JSON arguments and an unknown tool go back to the model as tool
// errors; a secure tool's token and the API key never appear in any body sent to the model.
TEST_F(OpenAiModelTest, AgentOverHttpKeepsCredentialsOutOfModelRequests) {
  auto model = Model(Options());
  InMemoryAuditSink audit;
  auto agent = AssistantAgent::Create({.name = "guest", .id = "guest-agent"}, *model, audit);
  ASSERT_TRUE(agent.ok());
  (*agent)->AddSecret("sk-canary-key-0123456789");
  FakeTokenSource tokens("https://hotel.example/api", {"read_hotels"});
  ASSERT_TRUE(
      (*agent)
          ->AddTool(std::make_shared<SecureFunctionTool>(
              "search_hotels", "Search", Schema::Object().Property("city", Schema::String()),
              ToolRequirement{"https://hotel.example/api", {"read_hotels"}}, tokens,
              [](const Json& args, ToolContext& ctx) -> Result<Json> {
                return Json{{"hotels", {"h1"}}, {"auth", ctx.token->AuthorizationHeader()}};
              }))
          .ok());
  server_.ThenToolCalls({{"c1", "search_hotels", R"({"city":)"},
                         {"c2", "nuke", "{}"},
                         {"c3", "search_hotels", R"({"city":"Paris"})"}});
  server_.ThenText("Found h1 in Paris.");
  Conversation c("alice");
  c.Append(Message::User("hotels in Paris"));
  auto r = (*agent)->Run(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->text, "Found h1 in Paris.");
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  Json second = Body(requests[1]);
  const Json& msgs = second["messages"];
  ASSERT_EQ(msgs.size(), 5u);
  EXPECT_NE(msgs[2]["content"].get<std::string>().find("not valid JSON"), std::string::npos);
  EXPECT_NE(msgs[3]["content"].get<std::string>().find("no tool named"), std::string::npos);
  EXPECT_NE(msgs[4]["content"].get<std::string>().find("h1"), std::string::npos);
  for (const auto& req : requests) {
    EXPECT_EQ(req.body.find(FakeTokenSource::kTokenValue), std::string::npos);
    EXPECT_EQ(req.body.find("sk-canary-key-0123456789"), std::string::npos);
    EXPECT_EQ(req.body.find("eyJ"), std::string::npos);
  }
}

// Options are checked at creation.
TEST(OpenAiOptionsTest, Validates) {
  OpenAiOptions o;
  EXPECT_FALSE(o.Validate().ok());
  o.base_url = "ftp://x";
  o.model = "m";
  EXPECT_FALSE(o.Validate().ok());
  o.base_url = "http://127.0.0.1:1/v1";
  EXPECT_TRUE(o.Validate().ok());
  FakeTokenSource t("r", {});
  o.api_key = Secret("k");
  o.token_source = &t;
  EXPECT_FALSE(o.Validate().ok());
}

}  // namespace
}  // namespace zta::agent
