// JWKS fetching and caching for the resource-server validator (see jwks_cache.h).
#include "zta/guard/jwks_cache.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "zta/http/discovery.h"

namespace zta::guard {
namespace {

constexpr char kJwksUnavailable[] = "jwks_unavailable";

Status Unusable(std::string message) {
  return Status(StatusCode::kUnavailable, std::move(message), kJwksUnavailable);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsHttpUrl(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

Result<Json> FetchJson(const http::Transport& fetcher, const std::string& url,
                       std::chrono::milliseconds timeout, http::Response* raw) {
  http::ClientRequest request;
  request.url = url;
  request.timeout = timeout;
  request.max_response_bytes = 512 * 1024;
  request.headers.Set("Accept", "application/json");
  ZTA_ASSIGN_OR_RETURN(http::Response response, fetcher(request));
  if (response.status != 200) {
    return Unavailable("HTTP " + std::to_string(response.status) + " from " + url);
  }
  JsonLimits limits;
  limits.max_bytes = request.max_response_bytes;
  auto json = ParseJsonStrict(response.body, limits);
  if (!json.ok()) return Unavailable("bad JSON from " + url + ": " + json.status().message());
  if (!json->is_object()) return Unavailable("JSON from " + url + " is not an object");
  if (raw != nullptr) *raw = std::move(response);
  return std::move(json).value();
}

}  // namespace

std::optional<int64_t> CacheControlMaxAge(std::string_view cache_control) {
  std::optional<int64_t> max_age;
  size_t i = 0;
  while (i <= cache_control.size()) {
    size_t j = cache_control.find(',', i);
    if (j == std::string_view::npos) j = cache_control.size();
    std::string directive = Lower(http::TrimOws(cache_control.substr(i, j - i)));
    // RFC 9111 §5.2.2.4/§5.2.2.5: the response must not be reused without revalidation.
    if (directive == "no-store" || directive == "no-cache") return int64_t{0};
    if (directive.rfind("max-age=", 0) == 0) {
      std::string_view value = std::string_view(directive).substr(8);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      int64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec == std::errc() && end == value.data() + value.size() && n >= 0) max_age = n;
    }
    i = j + 1;
  }
  return max_age;
}

Status JwksCacheOptions::Validate() const {
  if (issuer.empty() && jwks_uri.empty()) return InvalidArgument("issuer or jwks_uri required");
  if (!jwks_uri.empty() && !IsHttpUrl(jwks_uri)) {
    return InvalidArgument("jwks_uri is not an http(s) URL: " + jwks_uri);
  }
  if (min_refresh_seconds < 0 || max_refresh_seconds < min_refresh_seconds) {
    return InvalidArgument("JWKS refresh bounds must satisfy 0 <= min <= max");
  }
  if (max_staleness_seconds < 0 || unknown_kid_refetch_interval_seconds < 0 ||
      failure_retry_seconds < 0) {
    return InvalidArgument("JWKS intervals must not be negative");
  }
  return Status::Ok();
}

JwksCache::JwksCache(JwksCacheOptions options, const Clock& clock, http::Transport fetcher)
    : options_(std::move(options)),
      clock_(clock),
      fetcher_(std::move(fetcher)),
      jwks_uri_(options_.jwks_uri) {}

Result<std::shared_ptr<const jose::Jwks>> JwksCache::Usable(
    const std::shared_ptr<const State>& state, int64_t now) const {
  if (!state || !state->keys) return Unusable("no key set fetched yet");
  if (now >= state->usable_until) {
    return Unusable("the key set is older than the maximum staleness and cannot be refreshed");
  }
  return state->keys;
}

std::shared_ptr<const jose::Jwks> JwksCache::Published() const {
  auto state = std::atomic_load(&state_);
  return state ? state->keys : nullptr;
}

Result<std::shared_ptr<const jose::Jwks>> JwksCache::Get() {
  const int64_t now = clock_.NowSeconds();
  auto state = std::atomic_load(&state_);
  if (state && now < state->refresh_at) return state->keys;  // the fast path: fresh

  auto usable = Usable(state, now);
  if (usable.ok()) {
    // Stale but usable: one caller refreshes, the others carry on with what they have.
    if (!fetch_mu_.TryLock()) return usable;
    MutexLock lock(fetch_mu_, std::adopt_lock);
    auto current = std::atomic_load(&state_);
    if (current != state) return Usable(current, now);  // someone else refreshed
    if (now < last_failure_ + options_.failure_retry_seconds) return usable;
    (void)FetchLocked(now);  // on failure the last good set stays
    return Usable(std::atomic_load(&state_), now);
  }

  // Nothing usable: wait for the fetcher (or fetch), then fail closed if still nothing.
  MutexLock lock(fetch_mu_);
  auto current = std::atomic_load(&state_);
  if (current != state) {
    auto again = Usable(current, now);
    if (again.ok()) return again;
  }
  if (now < last_failure_ + options_.failure_retry_seconds) return usable.status();
  Status fetched = FetchLocked(now);
  auto result = Usable(std::atomic_load(&state_), now);
  if (!result.ok() && !fetched.ok()) return Unusable(fetched.message());
  return result;
}

Result<std::shared_ptr<const jose::Jwks>> JwksCache::RefreshForUnknownKid(
    const std::shared_ptr<const jose::Jwks>& seen) {
  MutexLock lock(fetch_mu_);
  const int64_t now = clock_.NowSeconds();
  auto current = std::atomic_load(&state_);
  // Another caller already published a newer set: retry with that, no fetch needed.
  if (current && current->keys != seen) return Usable(current, now);
  if (now < last_unknown_kid_fetch_ + options_.unknown_kid_refetch_interval_seconds) {
    return Usable(current, now);
  }
  last_unknown_kid_fetch_ = now;
  (void)FetchLocked(now);
  return Usable(std::atomic_load(&state_), now);
}

Status JwksCache::FetchLocked(int64_t now) {
  fetch_count_.fetch_add(1);
  auto fail = [&](const Status& status) ZTA_REQUIRES(fetch_mu_) {
    last_failure_ = now;
    return status;
  };
  if (jwks_uri_.empty()) {
    auto metadata = http::DiscoverMetadata(fetcher_, options_.issuer, options_.fetch_timeout);
    if (!metadata.ok()) return fail(metadata.status());
    auto it = metadata->find("jwks_uri");
    if (it == metadata->end() || !it->is_string() || !IsHttpUrl(it->get<std::string>())) {
      return fail(Unavailable("metadata of " + options_.issuer + " has no http(s) jwks_uri"));
    }
    jwks_uri_ = it->get<std::string>();
  }
  http::Response response;
  auto json = FetchJson(fetcher_, jwks_uri_, options_.fetch_timeout, &response);
  if (!json.ok()) return fail(json.status());
  // Only public asymmetric keys: a JWKS served over the network never carries HMAC secrets.
  auto keys = jose::Jwks::Parse(*json);
  if (!keys.ok()) return fail(keys.status().WithContext("key set at " + jwks_uri_));

  int64_t ttl = options_.default_refresh_seconds;
  if (auto cc = response.headers.Get("Cache-Control")) {
    if (auto max_age = CacheControlMaxAge(*cc)) ttl = *max_age;
  }
  ttl = std::clamp(ttl, options_.min_refresh_seconds, options_.max_refresh_seconds);
  auto state = std::make_shared<State>();
  state->keys = std::make_shared<const jose::Jwks>(std::move(keys).value());
  state->refresh_at = now + ttl;
  state->usable_until = now + ttl + options_.max_staleness_seconds;
  std::atomic_store(&state_, std::shared_ptr<const State>(std::move(state)));
  last_failure_ = INT64_MIN;
  return Status::Ok();
}

}  // namespace zta::guard
