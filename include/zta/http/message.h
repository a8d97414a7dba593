// HTTP requests and responses as plain values, shared by the server, the client and handlers.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/status.h"

namespace zta::http {

// Header fields with case-insensitive names (RFC 9110 §5.1). Keeps every value, in order.
class Headers {
 public:
  void Add(std::string name, std::string value);
  void Set(std::string name, std::string value);  // replaces every field of that name
  void Remove(std::string_view name);
  // The first value, if any.
  std::optional<std::string> Get(std::string_view name) const;
  // Every value of `name`, in order (e.g. two Authorization fields).
  std::vector<std::string> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// `s` without the optional whitespace (RFC 9110 §5.6.3 OWS: spaces and tabs) at either end.
std::string_view TrimOws(std::string_view s);

// RFC 9110 §5.6.2: token = 1*tchar (methods, field names, auth schemes, cookie names).
bool IsToken(std::string_view s);

struct Request {
  std::string method;          // "GET", "POST", ...
  std::string target;          // as received: path and query, e.g. "/token?x=1"
  std::string path;            // target without the query, not percent-decoded
  std::string query;           // after '?', without it
  Headers headers;
  std::string body;
  std::string remote_address;  // peer IP, for rate limits and audit
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  // A JSON body with Content-Type application/json.
  static Response Json(int status, const zta::Json& body);
  static Response Text(int status, std::string body);
};

// application/x-www-form-urlencoded (HTML §4.10.21.6, as RFC 6749 §3.2 uses it).
// Fails on bad percent-escapes. Repeated names keep every value.
Result<std::vector<std::pair<std::string, std::string>>> ParseForm(std::string_view body);
// Content-Type's media type, lower-cased ("application/json"), or "" when absent. RFC 9110
// §8.3.1: type and subtype are case-insensitive; parameters (";charset=...") and whitespace
// around them are not part of it.
std::string MediaType(const Headers& headers);
// True when that media type is application/x-www-form-urlencoded.
bool IsFormUrlEncoded(const Headers& headers);
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);
std::string PercentEncode(std::string_view s);  // RFC 3986 unreserved kept as-is
Result<std::string> PercentDecode(std::string_view s, bool plus_is_space);

// An absolute http(s) URL split into parts.
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;
  int port = 0;        // filled from the scheme when absent
  std::string target;  // path and query, at least "/"
  std::string Origin() const;  // scheme://host[:port]
};
Result<Url> ParseUrl(std::string_view url);

}  // namespace zta::http
