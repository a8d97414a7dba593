// FunctionTool, SecureFunctionTool and the Scrubber: argument validation, just-in-time tokens,
// and keeping credentials out of what goes back to the model.
#include "zta/agent/tool.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <utility>

namespace zta::agent {
namespace {

bool IsB64Url(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}
bool IsToken68(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("-._~+/").find(c) != std::string_view::npos;
}

bool StartsWithIgnoreCase(std::string_view s, size_t at, std::string_view prefix) {
  if (s.size() - at < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[at + i])) != prefix[i]) return false;
  }
  return true;
}

// Names of JSON members whose string values are credentials.
bool IsCredentialKey(std::string_view key) {
  std::string k(key);
  std::transform(k.begin(), k.end(), k.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (k == "token" || k.ends_with("_token") || k.ends_with("-token")) return true;
  for (std::string_view word : {"secret", "password", "passwd", "api_key", "apikey", "api-key",
                                "authorization", "assertion", "private_key"}) {
    if (k.find(word) != std::string::npos) return true;
  }
  return false;
}

// "key": "value" with a credential key → "key": "[redacted]".
std::string RedactCredentialMembers(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t quote = text.find('"', i);
    if (quote == std::string_view::npos) break;
    size_t key_end = text.find('"', quote + 1);
    if (key_end == std::string_view::npos) break;
    std::string_view key = text.substr(quote + 1, key_end - quote - 1);
    size_t j = key_end + 1;
    while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j >= text.size() || text[j] != ':' || !IsCredentialKey(key)) {
      out.append(text.substr(i, key_end - i));
      i = key_end;  // the closing quote may open the next string
      out.push_back('"');
      ++i;
      continue;
    }
    ++j;
    while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j >= text.size() || text[j] != '"') {
      out.append(text.substr(i, j - i));
      i = j;
      continue;
    }
    size_t end = j + 1;
    while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
    out.append(text.substr(i, j + 1 - i));
    out.append(Scrubber::kRedacted);
    if (end >= text.size()) return out;  // unterminated: the rest was the value
    out.push_back('"');
    i = end + 1;
  }
  if (i < text.size()) out.append(text.substr(i));
  return out;
}

// Compact JWS (3 segments) and JWE (5): "eyJ" starts the base64url of a JSON header.
// "Bearer x" / "Basic x" / "DPoP x": the credential after the scheme.
std::string RedactTokenShapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool boundary = i == 0 || !IsB64Url(text[i - 1]);
    if (boundary && text.compare(i, 3, "eyJ") == 0) {
      size_t j = i;
      int dots = 0;
      size_t first_segment = 0;
      while (j < text.size() && (IsB64Url(text[j]) || text[j] == '.')) {
        if (text[j] == '.') {
          if (dots == 0) first_segment = j - i;
          ++dots;
        }
        ++j;
      }
      if (dots >= 2 && first_segment >= 10) {
        out.append(Scrubber::kRedacted);
        i = j;
        continue;
      }
    }
    if (boundary) {
      for (std::string_view scheme : {"bearer ", "basic ", "dpop "}) {
        if (!StartsWithIgnoreCase(text, i, scheme)) continue;
        size_t j = i + scheme.size();
        while (j < text.size() && text[j] == ' ') ++j;
        size_t start = j;
        while (j < text.size() && IsToken68(text[j])) ++j;
        while (j < text.size() && text[j] == '=') ++j;
        if (j - start >= 8) {
          out.append(text.substr(i, start - i));
          out.append(Scrubber::kRedacted);
          i = j;
        }
        break;
      }
    }
    if (i < text.size()) out.push_back(text[i++]);
  }
  return out;
}

void ReplaceAll(std::string& text, std::string_view needle) {
  if (needle.empty()) return;
  size_t at = 0;
  while ((at = text.find(needle, at)) != std::string::npos) {
    text.replace(at, needle.size(), Scrubber::kRedacted);
    at += Scrubber::kRedacted.size();
  }
}

// A token source's reason code as the model may see it: RFC 6749 §5.2 error codes are short
// snake_case words, but an IdP may send any text as "error". Anything else becomes "no_token".
std::string SafeReason(const std::string& reason) {
  bool ok = !reason.empty() && reason.size() <= 64 &&
            std::all_of(reason.begin(), reason.end(), [](unsigned char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
            });
  return ok ? reason : "no_token";
}

std::string ContentOf(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  return DumpJson(value);
}

}  // namespace

void Scrubber::AddSecret(std::string value) {
  if (value.size() < 6) return;
  secrets_.push_back(std::move(value));
}

std::string Scrubber::Scrub(std::string_view text) const { return Scrub(text, {}); }

std::string Scrubber::Scrub(std::string_view text, std::string_view extra) const {
  // Verbatim secrets first: they may not look like anything.
  std::string s(text);
  if (extra.size() >= 6) ReplaceAll(s, extra);
  for (const std::string& secret : secrets_) ReplaceAll(s, secret);
  return RedactTokenShapes(RedactCredentialMembers(s));
}

Result<http::Response> ToolContext::Send(http::ClientRequest request) const {
  if (token != nullptr) request.headers.Set("Authorization", token->AuthorizationHeader());
  Result<http::Response> response = transport ? transport(request) : http::Send(request);
  ++requests_sent;
  if (requests_sent == 1 && token != nullptr && response.ok() && response->status == 401) {
    first_request_refused_token = true;
  }
  return response;
}

std::string_view ToolStatusName(ToolStatus status) {
  switch (status) {
    case ToolStatus::kOk:
      return "ok";
    case ToolStatus::kError:
      return "error";
    case ToolStatus::kDenied:
      return "denied";
  }
  return "error";
}

FunctionTool::FunctionTool(std::string name, std::string description, const Schema& parameters,
                           ToolHandler handler)
    : handler_(std::move(handler)) {
  spec_.name = std::move(name);
  spec_.description = std::move(description);
  spec_.parameters = parameters.json();
  spec_.strict = IsStrictSchema(spec_.parameters);
  assert(ValidateToolName(spec_.name).ok());
}

FunctionTool::FunctionTool(ToolSpec spec, ToolHandler handler)
    : spec_(std::move(spec)), handler_(std::move(handler)) {}

Result<std::unique_ptr<FunctionTool>> FunctionTool::Create(std::string name,
                                                           std::string description, Json parameters,
                                                           ToolHandler handler) {
  ZTA_RETURN_IF_ERROR(ValidateToolName(name));
  if (!parameters.is_object() || parameters.value("type", "") != "object") {
    return InvalidArgument("tool " + name + ": parameters must be an object schema");
  }
  ToolSpec spec{std::move(name), std::move(description), CloseObjects(std::move(parameters))};
  spec.strict = IsStrictSchema(spec.parameters);
  return std::unique_ptr<FunctionTool>(new FunctionTool(std::move(spec), std::move(handler)));
}

Status FunctionTool::ValidateArguments(const Json& args) const {
  if (!args.is_object()) {
    return Status(StatusCode::kInvalidArgument, "$: arguments must be a JSON object",
                  "invalid_arguments");
  }
  return ValidateJson(spec_.parameters, args);
}

ToolOutcome FunctionTool::RunHandler(const Json& args, ToolContext& context) const {
  ToolOutcome outcome;
  Result<Json> result = Internal("tool handler did not run");
  try {
    result = handler_(args, context);
  } catch (const std::exception&) {
    // A handler's exception text might hold anything; the model gets only the fact.
    result = Status(StatusCode::kInternal, "the tool failed", "tool_exception");
  } catch (...) {
    result = Status(StatusCode::kInternal, "the tool failed", "tool_exception");
  }
  if (result.ok()) {
    outcome.content = ContentOf(*result);
    return outcome;
  }
  const Status& s = result.status();
  bool denied =
      s.code() == StatusCode::kPermissionDenied || s.code() == StatusCode::kUnauthenticated;
  outcome.status = denied ? ToolStatus::kDenied : ToolStatus::kError;
  outcome.reason = !s.reason().empty() ? s.reason() : denied ? "upstream_denied" : "tool_failed";
  outcome.content = std::string(denied ? "denied: " : "error: ") + s.message();
  return outcome;
}

ToolOutcome FunctionTool::Invoke(const Json& args, ToolContext& context) const {
  if (Status valid = ValidateArguments(args); !valid.ok()) {
    return ToolOutcome::Failure(ToolStatus::kError, "error: invalid arguments: " + valid.message(),
                                "invalid_arguments");
  }
  return RunHandler(args, context);
}

SecureFunctionTool::SecureFunctionTool(std::string name, std::string description,
                                       const Schema& parameters, ToolRequirement requirement,
                                       auth::TokenSource& tokens, ToolHandler handler)
    : FunctionTool(std::move(name), std::move(description), parameters, std::move(handler)),
      requirement_(std::move(requirement)),
      tokens_(tokens) {
  assert(!requirement_.resource.empty());
}

SecureFunctionTool::SecureFunctionTool(ToolSpec spec, ToolRequirement requirement,
                                       auth::TokenSource& tokens, ToolHandler handler)
    : FunctionTool(std::move(spec), std::move(handler)),
      requirement_(std::move(requirement)),
      tokens_(tokens) {}

Result<std::unique_ptr<SecureFunctionTool>> SecureFunctionTool::Create(
    std::string name, std::string description, Json parameters, ToolRequirement requirement,
    auth::TokenSource& tokens, ToolHandler handler) {
  if (requirement.resource.empty()) {
    return InvalidArgument("tool " + name + ": the requirement has no resource");
  }
  ZTA_ASSIGN_OR_RETURN(auto plain, FunctionTool::Create(std::move(name), std::move(description),
                                                        std::move(parameters), nullptr));
  return std::unique_ptr<SecureFunctionTool>(
      new SecureFunctionTool(plain->spec(), std::move(requirement), tokens, std::move(handler)));
}

ToolOutcome SecureFunctionTool::Invoke(const Json& args, ToolContext& context) const {
  ToolOutcome outcome;
  outcome.secured = true;
  outcome.resource = requirement_.resource;
  outcome.scopes_requested = requirement_.scopes;
  auto fail = [&outcome](ToolStatus status, std::string reason, std::string content) {
    outcome.status = status;
    outcome.reason = std::move(reason);
    outcome.content = std::move(content);
    return outcome;
  };
  if (Status valid = ValidateArguments(args); !valid.ok()) {
    return fail(ToolStatus::kError, "invalid_arguments",
                "error: invalid arguments: " + valid.message());
  }
  if (requirement_.resource_id) outcome.resource_id = requirement_.resource_id(args);

  auth::TokenRequest request;
  request.resource = requirement_.resource;
  request.scopes = requirement_.scopes;
  if (requirement_.acting == Acting::kOnBehalfOfUser) {
    if (context.user.empty()) {
      return fail(ToolStatus::kDenied, "no_user",
                  "denied: " + spec().name + " acts for a signed-in user and there is none");
    }
    request.on_behalf_of = context.user;
    outcome.subject = context.user;
  }
  if (requirement_.authorization_details) {
    Result<Json> details = requirement_.authorization_details(args);
    if (!details.ok()) {
      return fail(ToolStatus::kError, "invalid_arguments",
                  "error: invalid arguments: " + details.status().message());
    }
    request.authorization_details = std::move(details).value();
  }

  Result<auth::AccessToken> token = tokens_.GetToken(request);
  if (!token.ok()) {
    // Only the reason code reaches the model: an IdP's error_description could say anything.
    std::string reason = SafeReason(token.status().reason());
    return fail(
        ToolStatus::kDenied, reason,
        "denied: this agent is not authorized to call " + spec().name + " (" + reason + ")");
  }
  outcome.jti = token->jti;
  outcome.scopes_granted = token->scopes.empty() ? requirement_.scopes : token->scopes;

  auto run = [&] {
    context.requests_sent = 0;
    context.first_request_refused_token = false;
    context.token = &*token;
    ToolOutcome ran = RunHandler(args, context);
    context.token = nullptr;
    return ran;
  };
  ToolOutcome ran = run();
  if (ran.status == ToolStatus::kDenied && context.first_request_refused_token &&
      context.requests_sent == 1) {
    // A cached token the resource server no longer accepts: one retry with a fresh token.
    tokens_.Invalidate(request);
    Result<auth::AccessToken> fresh = tokens_.GetToken(request);
    if (fresh.ok()) {
      token = std::move(fresh);
      outcome.jti = token->jti;
      outcome.scopes_granted = token->scopes.empty() ? requirement_.scopes : token->scopes;
      ran = run();
    }
  }
  outcome.status = ran.status;
  outcome.reason = std::move(ran.reason);
  // The handler may echo what the upstream sent back, Authorization header included.
  Scrubber none;
  outcome.content = none.Scrub(ran.content, token->value.Reveal());
  if (outcome.status == ToolStatus::kDenied) outcome.scopes_granted.clear();
  return outcome;
}

Json ToolSpec::ToJson() const {
  Json function = {{"name", name}, {"description", description}, {"parameters", parameters}};
  if (strict) function["strict"] = true;
  return {{"type", "function"}, {"function", std::move(function)}};
}

Status ValidateToolName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) ok = ok && (IsB64Url(c));
  if (!ok) {
    return InvalidArgument("tool name '" + name +
                           "' must be 1-64 characters of a-z, A-Z, 0-9, _ and -");
  }
  return Status::Ok();
}

}  // namespace zta::agent
