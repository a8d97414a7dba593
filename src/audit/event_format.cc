// Canonical JSON of audit events, the SHA-256 chain, and RFC 3339 time stamps.
#include "zta/audit/event_format.h"

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <cstring>

#include "zta/core/civil_time.h"

namespace zta::audit {
namespace {

Status Malformed(std::string what) {
  return Status(StatusCode::kDataLoss, "audit event: " + std::move(what), "malformed_event");
}

Result<std::string> GetString(const Json& json, const char* name) {
  auto it = json.find(name);
  if (it == json.end() || !it->is_string()) {
    return Malformed(std::string("member \"") + name + "\" missing or not a string");
  }
  return it->get<std::string>();
}

Result<std::vector<std::string>> GetStringArray(const Json& json, const char* name) {
  auto it = json.find(name);
  if (it == json.end() || !it->is_array()) {
    return Malformed(std::string("member \"") + name + "\" missing or not an array");
  }
  std::vector<std::string> out;
  for (const Json& v : *it) {
    if (!v.is_string()) return Malformed(std::string("\"") + name + "\" holds a non-string");
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

RenderedEvent RenderEvent(const AuditEvent& event) {
  // Members in byte order of their names, written directly (no intermediate Json; every
  // request renders one): those before "seq" in head, those after it in tail.
  auto member = [](std::string& out, const char* name) {
    if (!out.empty() && out.back() != '{') out += ',';
    out += '"';
    out += name;
    out += "\":";
  };
  auto string_member = [&](std::string& out, const char* name, std::string_view value) {
    member(out, name);
    AppendJsonString(out, value);
  };
  auto array_member = [&](std::string& out, const char* name,
                          const std::vector<std::string>& values) {
    member(out, name);
    out += '[';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += ',';
      AppendJsonString(out, values[i]);
    }
    out += ']';
  };
  RenderedEvent out;
  out.id = event.id;
  out.time_micros = event.time_micros;
  std::string& head = out.head;
  head.reserve(512);
  head += '{';
  string_member(head, "action", event.action);
  array_member(head, "actor_chain", event.actor_chain);
  member(head, "attributes");
  if (event.attributes.is_object()) {
    AppendJson(head, event.attributes);
  } else {
    head += "{}";
  }
  string_member(head, "client_id", event.client_id);
  string_member(head, "component", event.component);
  string_member(head, "decision", AuditDecisionName(event.decision));
  string_member(head, "id", event.id);
  string_member(head, "jti", event.jti);
  string_member(head, "reason", event.reason);
  string_member(head, "resource", event.resource);
  array_member(head, "scopes_granted", event.scopes_granted);
  array_member(head, "scopes_requested", event.scopes_requested);
  std::string& tail = out.tail;
  string_member(tail, "subject", event.subject);
  string_member(tail, "time", FormatTime(event.time_micros));
  string_member(tail, "trace_id", event.trace_id);
  tail += '}';  // CanonicalText writes the "," before "subject"
  return out;
}

std::string CanonicalText(const RenderedEvent& rendered, uint64_t seq) {
  std::string text;
  text.reserve(rendered.head.size() + rendered.tail.size() + 32);
  text += rendered.head;
  text += ",\"seq\":";
  text += std::to_string(seq);
  text += ',';
  text += rendered.tail;
  return text;
}

Json CanonicalJson(const AuditEvent& event, uint64_t seq) {
  Result<Json> parsed = ParseJsonStrict(CanonicalText(RenderEvent(event), seq),
                                        JsonLimits{.max_depth = 64, .max_bytes = 1 << 24});
  return parsed.ok() ? *parsed : Json::object();
}

Result<LoggedEvent> ParseLoggedEvent(std::string_view canonical_text) {
  // Attributes are the caller's JSON, so allow deeper nesting than a token header.
  Result<Json> json =
      ParseJsonStrict(canonical_text, JsonLimits{.max_depth = 64, .max_bytes = 1 << 24});
  if (!json.ok()) return Malformed("not valid JSON: " + json.status().message());
  return LoggedEventFromJson(*json);
}

Result<LoggedEvent> LoggedEventFromJson(const Json& json) {
  static const std::array<const char*, 16> kMembers = {
      "action", "actor_chain", "attributes", "client_id", "component",      "decision",
      "id",     "jti",         "reason",     "resource",  "scopes_granted", "scopes_requested",
      "seq",    "subject",     "time",       "trace_id"};
  if (!json.is_object()) return Malformed("not a JSON object");
  if (json.size() != kMembers.size()) return Malformed("unexpected set of members");
  for (const char* name : kMembers) {
    if (!json.contains(name)) return Malformed(std::string("member \"") + name + "\" missing");
  }
  LoggedEvent out;
  const Json& seq = json["seq"];
  if (!seq.is_number_unsigned()) return Malformed("\"seq\" is not a positive integer");
  out.seq = seq.get<uint64_t>();
  AuditEvent& e = out.event;
  ZTA_ASSIGN_OR_RETURN(e.id, GetString(json, "id"));
  ZTA_ASSIGN_OR_RETURN(std::string time, GetString(json, "time"));
  ZTA_ASSIGN_OR_RETURN(e.time_micros, ParseTime(time));
  ZTA_ASSIGN_OR_RETURN(e.trace_id, GetString(json, "trace_id"));
  ZTA_ASSIGN_OR_RETURN(e.component, GetString(json, "component"));
  ZTA_ASSIGN_OR_RETURN(e.action, GetString(json, "action"));
  ZTA_ASSIGN_OR_RETURN(e.subject, GetString(json, "subject"));
  ZTA_ASSIGN_OR_RETURN(e.actor_chain, GetStringArray(json, "actor_chain"));
  ZTA_ASSIGN_OR_RETURN(e.client_id, GetString(json, "client_id"));
  ZTA_ASSIGN_OR_RETURN(e.resource, GetString(json, "resource"));
  ZTA_ASSIGN_OR_RETURN(e.scopes_requested, GetStringArray(json, "scopes_requested"));
  ZTA_ASSIGN_OR_RETURN(e.scopes_granted, GetStringArray(json, "scopes_granted"));
  ZTA_ASSIGN_OR_RETURN(std::string decision, GetString(json, "decision"));
  if (decision == "allow") {
    e.decision = AuditDecision::kAllow;
  } else if (decision == "deny") {
    e.decision = AuditDecision::kDeny;
  } else if (decision == "error") {
    e.decision = AuditDecision::kError;
  } else {
    return Malformed("unknown decision \"" + decision + "\"");
  }
  ZTA_ASSIGN_OR_RETURN(e.reason, GetString(json, "reason"));
  ZTA_ASSIGN_OR_RETURN(e.jti, GetString(json, "jti"));
  if (!json["attributes"].is_object()) return Malformed("\"attributes\" is not an object");
  e.attributes = json["attributes"];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Hashing

struct ChainHasher::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  // Fetched once: EVP_sha256() would look the implementation up on every init.
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  ~Impl() {
    EVP_MD_free(sha256);
    EVP_MD_CTX_free(ctx);
  }
};

ChainHasher::ChainHasher() : impl_(std::make_unique<Impl>()) {}
ChainHasher::~ChainHasher() = default;

void ChainHasher::Hash(std::string_view prev_hash, std::string_view canonical_text,
                       unsigned char* out) {
  unsigned int n = 0;
  // These calls fail only on allocation failure inside OpenSSL; the output is then garbage and
  // the chain check fails closed.
  EVP_DigestInit_ex2(impl_->ctx, impl_->sha256, nullptr);
  EVP_DigestUpdate(impl_->ctx, prev_hash.data(), prev_hash.size());
  EVP_DigestUpdate(impl_->ctx, canonical_text.data(), canonical_text.size());
  EVP_DigestFinal_ex(impl_->ctx, out, &n);
}

std::string ChainHasher::Hash(std::string_view prev_hash, std::string_view canonical_text) {
  std::string out(kHashBytes, '\0');
  Hash(prev_hash, canonical_text, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string GenesisHash() { return std::string(kHashBytes, '\0'); }

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

Result<std::string> HexDecode(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return InvalidArgument("hex string of odd length");
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("not a hex string");
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Time

std::string FormatTime(int64_t unix_micros) {
  int64_t secs = unix_micros / 1'000'000;
  int64_t micros = unix_micros % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%06lldZ",
                static_cast<long long>(date.year), date.month, date.day, static_cast<int>(sod / 3600),
                static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60),
                static_cast<long long>(micros));
  return buf;
}

Result<int64_t> ParseTime(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument("not an RFC 3339 time (e.g. 2024-05-01T12:00:00Z): \"" +
                           std::string(text) + "\"");
  };
  size_t pos = 0;
  auto digits = [&](size_t n, int& out) {
    if (pos + n > text.size()) return false;
    out = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = text[pos + i];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    pos += n;
    return true;
  };
  auto expect = [&](char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!digits(4, year) || !expect('-') || !digits(2, month) || !expect('-') || !digits(2, day)) {
    return bad();
  }
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDaysIn[month - 1]) return bad();
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  if (pos == text.size()) return days * 86400 * 1'000'000;  // a plain date: midnight UTC
  if (!(expect('T') || expect('t') || expect(' '))) return bad();
  if (!digits(2, hour) || !expect(':') || !digits(2, minute) || !expect(':') ||
      !digits(2, second)) {
    return bad();
  }
  // RFC 3339 allows second 60 (a leap second); Unix time has none, so it folds into :59.
  if (hour > 23 || minute > 59 || second > 60) return bad();
  if (second == 60) second = 59;
  int64_t micros = 0;
  if (expect('.')) {
    int n = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (n < 6) micros = micros * 10 + (text[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return bad();
    for (int i = n; i < 6; ++i) micros *= 10;
  }
  int offset_minutes = 0;
  if (expect('Z') || expect('z')) {
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh, om;
    if (!digits(2, oh) || !expect(':') || !digits(2, om) || oh > 23 || om > 59) return bad();
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return bad();
  }
  if (pos != text.size()) return bad();
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return secs * 1'000'000 + micros;
}

}  // namespace zta::audit
