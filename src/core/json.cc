// Strict JSON parsing on nlohmann's SAX interface: the DOM builder is wrapped so depth and
// duplicate names are checked as the parser goes, and it stops at the first violation.
#include "zta/core/json.h"

#include <string>
#include <unordered_set>
#include <vector>

namespace zta {
namespace {

using DomParser = nlohmann::detail::json_sax_dom_parser<Json>;

class StrictSax {
 public:
  StrictSax(Json& root, int max_depth) : dom_(root, /*allow_exceptions=*/false),
                                         max_depth_(max_depth) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(Json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(Json::number_float_t v, const std::string& s) {
    return dom_.number_float(v, s);
  }
  bool string(std::string& v) { return dom_.string(v); }
  bool binary(Json::binary_t& v) { return dom_.binary(v); }

  bool start_object(std::size_t n) {
    if (!Enter()) return false;
    keys_.emplace_back();
    return dom_.start_object(n);
  }
  bool key(std::string& k) {
    // A set, not a list: a header with thousands of members must not cost quadratic time
    // before its signature is even checked.
    if (!keys_.back().insert(k).second) {
      duplicate_ = true;
      return false;
    }
    return dom_.key(k);
  }
  bool end_object() {
    keys_.pop_back();
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    if (!Enter()) return false;
    return dom_.start_array(n);
  }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t pos, const std::string& tok, const nlohmann::detail::exception& e) {
    syntax_error_ = true;
    return dom_.parse_error(pos, tok, e);
  }

  bool too_deep() const { return too_deep_; }
  bool duplicate() const { return duplicate_; }

 private:
  bool Enter() {
    if (++depth_ > max_depth_) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  DomParser dom_;
  int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
  bool duplicate_ = false;
  bool syntax_error_ = false;
  std::vector<std::unordered_set<std::string>> keys_;
};

}  // namespace

Result<Json> ParseJsonStrict(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status(StatusCode::kResourceExhausted, "JSON text too large", "too_large");
  }
  Json root;
  StrictSax sax(root, limits.max_depth);
  bool ok = false;
  try {
    ok = Json::sax_parse(text.begin(), text.end(), &sax, nlohmann::detail::input_format_t::json,
                         /*strict=*/true);
  } catch (...) {
    ok = false;
  }
  if (sax.too_deep()) {
    return Status(StatusCode::kResourceExhausted, "JSON nested too deeply", "too_large");
  }
  if (sax.duplicate()) {
    return Status(StatusCode::kInvalidArgument, "JSON object has a duplicate member name",
                  "malformed");
  }
  if (!ok || root.is_discarded()) {
    return Status(StatusCode::kInvalidArgument, "invalid JSON", "malformed");
  }
  return root;
}

std::string DumpJson(const Json& value, int indent) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace zta
