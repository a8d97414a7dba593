// AuthProvider's backchannel approval (OpenID CIBA Core 1.0, poll mode): ask the identity
// provider to get the user's approval on their own device (§7.1), then poll the token endpoint
// (§7.3, §10.1) at the interval it sets, slower on slow_down, until the request expires. The
// auth_req_id is a bearer handle to the user's approval: never logged.
#include <algorithm>
#include <thread>

#include "oauth_answer.h"
#include "zta/auth/auth_provider.h"
#include "zta/auth/reasons.h"
#include "zta/core/json.h"
#include "zta/core/scopes.h"
#include "zta/http/discovery.h"

namespace zta::auth {
namespace {

constexpr char kCibaGrant[] = "urn:openid:params:grant-type:ciba";
constexpr int64_t kDefaultInterval = 5;  // CIBA §7.3: interval absent → 5 s
constexpr int64_t kSlowDownStep = 5;     // CIBA §11 / RFC 8628 §3.5: slow_down adds 5 s

// CIBA §7.1: binding_message is short text for a person; no control characters (they could
// hide or fake text on the approval screen), at most 64 characters.
Status CheckBindingMessage(std::string_view message) {
  size_t chars = 0;
  for (unsigned char c : message) {
    if (c < 0x20 || c == 0x7f) {
      return Status(StatusCode::kInvalidArgument, "binding_message has a control character",
                    "invalid_binding_message");
    }
    if ((c & 0xC0) != 0x80) ++chars;  // count UTF-8 code points, not bytes
  }
  if (chars > 64) {
    return Status(StatusCode::kInvalidArgument, "binding_message is longer than 64 characters",
                  "invalid_binding_message");
  }
  return Status::Ok();
}

struct BackchannelAnswer {
  std::string auth_req_id;
  int64_t expires_in = 0;
  int64_t interval = kDefaultInterval;
};

// CIBA §7.3: the successful authentication request answer.
Result<BackchannelAnswer> ParseBackchannelAnswer(std::string_view body) {
  auto bad = [](std::string what) {
    return Status(StatusCode::kFailedPrecondition, "backchannel authentication response: " + what,
                  kReasonBadTokenResponse);
  };
  auto json = ParseJsonStrict(body);
  if (!json.ok() || !json->is_object()) return bad("not a JSON object");
  BackchannelAnswer answer;
  auto id = json->find("auth_req_id");
  if (id == json->end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    return bad("no auth_req_id");
  }
  answer.auth_req_id = id->get<std::string>();
  auto expires = json->find("expires_in");
  if (expires == json->end() || !expires->is_number() || expires->get<double>() <= 0) {
    return bad("no positive expires_in");
  }
  answer.expires_in = static_cast<int64_t>(expires->get<double>());
  if (auto it = json->find("interval"); it != json->end()) {
    if (!it->is_number() || it->get<double>() < 0) return bad("interval is not a number");
    answer.interval = std::max<int64_t>(1, static_cast<int64_t>(it->get<double>()));
  }
  return answer;
}

// The token endpoint's OAuth error code in a non-200 answer; empty when it has none.
std::string ErrorCode(const http::Response& response) {
  auto json = ParseJsonStrict(response.body);
  if (!json.ok() || !json->is_object()) return {};
  auto it = json->find("error");
  return it != json->end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<std::string> AuthProvider::BackchannelEndpoint(
    std::chrono::steady_clock::time_point deadline) {
  {
    MutexLock lock(mu_);
    if (!backchannel_endpoint_.empty()) return backchannel_endpoint_;
  }
  // Discovery records it beside the token endpoint; a configured token endpoint skipped it.
  auto metadata = http::DiscoverMetadata(transport_, options_.issuer, options_.request_timeout);
  if (!metadata.ok()) {
    if (metadata.status().reason() == http::kReasonMetadataUnavailable) {
      return Status(StatusCode::kUnavailable, metadata.status().message(), kReasonIdpUnavailable);
    }
    return metadata.status();
  }
  (void)deadline;
  auto it = metadata->find("backchannel_authentication_endpoint");
  if (it == metadata->end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return Status(StatusCode::kFailedPrecondition,
                  "metadata has no backchannel_authentication_endpoint (CIBA)", kReasonBadMetadata);
  }
  MutexLock lock(mu_);
  backchannel_endpoint_ = it->get<std::string>();
  return backchannel_endpoint_;
}

Result<AccessToken> AuthProvider::Backchannel(const TokenRequest& request,
                                              const std::vector<std::string>& scopes) {
  ZTA_RETURN_IF_ERROR(CheckBindingMessage(request.binding_message));
  const auto deadline = std::chrono::steady_clock::now() + options_.deadline;
  // The token endpoint first: discovery also learns the backchannel endpoint.
  ZTA_RETURN_IF_ERROR(TokenEndpoint(deadline).status());
  ZTA_ASSIGN_OR_RETURN(std::string endpoint, BackchannelEndpoint(deadline));
  std::vector<std::pair<std::string, std::string>> form = {
      {"login_hint", request.on_behalf_of},  // CIBA §7.1: exactly one hint
  };
  // CIBA §7.1: scope is REQUIRED and carries openid for OIDC; here it is the API's scopes.
  if (!scopes.empty()) form.emplace_back("scope", JoinSpaceDelimited(scopes));
  if (options_.send_resource_indicator) form.emplace_back("resource", request.resource);
  if (!request.binding_message.empty()) {
    form.emplace_back("binding_message", request.binding_message);
  }
  if (!request.authorization_details.is_null()) {
    form.emplace_back("authorization_details", DumpJson(request.authorization_details));
  }
  if (options_.backchannel_requested_expiry > 0) {
    form.emplace_back("requested_expiry", std::to_string(options_.backchannel_requested_expiry));
  }
  ZTA_ASSIGN_OR_RETURN(http::Response response,
                       PostForm(endpoint, form, deadline, false, request.trace_id));
  if (response.status != 200) {
    return internal::OAuthErrorFromResponse("backchannel authentication endpoint", response);
  }
  ZTA_ASSIGN_OR_RETURN(BackchannelAnswer answer, ParseBackchannelAnswer(response.body));
  return PollBackchannel(request, scopes, answer.auth_req_id,
                         clock_.NowSeconds() + answer.expires_in, answer.interval);
}

Result<AccessToken> AuthProvider::PollBackchannel(const TokenRequest& request,
                                                  const std::vector<std::string>& scopes,
                                                  const std::string& auth_req_id,
                                                  int64_t expires_at, int64_t interval) {
  auto timeout = [&] {
    return Status(StatusCode::kDeadlineExceeded,
                  request.on_behalf_of + " did not answer the backchannel request in time",
                  kReasonApprovalTimeout);
  };
  const std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", kCibaGrant},
      {"auth_req_id", auth_req_id},
  };
  while (true) {
    // CIBA §7.3: wait at least `interval` seconds before each token request.
    if (clock_.NowSeconds() + interval > expires_at) return timeout();
    const std::chrono::milliseconds wait{interval * 1000};
    if (options_.sleep) {
      options_.sleep(wait);
    } else {
      std::this_thread::sleep_for(wait);
    }
    const auto deadline = std::chrono::steady_clock::now() + options_.deadline;
    ZTA_ASSIGN_OR_RETURN(std::string endpoint, TokenEndpoint(deadline));
    ZTA_ASSIGN_OR_RETURN(http::Response response,
                         PostForm(endpoint, form, deadline, true, request.trace_id));
    if (response.status == 200) {
      return internal::ParseTokenResponse(response.body, request.resource, scopes,
                                          clock_.NowSeconds(), dpop_key_);
    }
    // CIBA §11: the poll's answers while the user has not approved.
    const std::string error = ErrorCode(response);
    if (error == "authorization_pending") continue;
    if (error == "slow_down") {
      interval += kSlowDownStep;
      continue;
    }
    if (error == "expired_token") return timeout();
    if (error == "access_denied") {
      return Status(StatusCode::kPermissionDenied,
                    request.on_behalf_of + " denied the backchannel request",
                    kReasonApprovalDenied);
    }
    return internal::OAuthErrorFromResponse("token endpoint", response);
  }
}

}  // namespace zta::auth
