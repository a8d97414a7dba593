// The offline planner's rules: keyword intents → tools, argument slots filled from the text by
// the schema's parameter names. Deterministic: the same conversation gives the same reply.
#include "zta/agent/offline_planner.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <vector>

#include "injected_instructions.h"

namespace zta::agent {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// Words with their original spelling, punctuation stripped at the ends ('-', '#' kept inside).
std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  std::string w;
  auto flush = [&] {
    while (!w.empty() && std::string_view(".,;:!?()\"'").find(w.back()) != std::string::npos) {
      w.pop_back();
    }
    while (!w.empty() && std::string_view("(\"'").find(w.front()) != std::string::npos) {
      w.erase(w.begin());
    }
    if (!w.empty()) words.push_back(w);
    w.clear();
  };
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      flush();
    } else {
      w.push_back(c);
    }
  }
  flush();
  return words;
}

bool IsCapitalized(const std::string& w) {
  return !w.empty() && std::isupper(static_cast<unsigned char>(w[0]));
}
bool HasDigit(const std::string& w) {
  return std::any_of(w.begin(), w.end(), [](unsigned char c) { return std::isdigit(c); });
}
bool IsNumber(const std::string& w) {
  return !w.empty() &&
         std::all_of(w.begin(), w.end(), [](unsigned char c) { return std::isdigit(c); });
}
bool IsIsoDate(const std::string& w) {
  if (w.size() != 10 || w[4] != '-' || w[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(w[i]))) return false;
  }
  return true;
}
bool IsIdLike(const std::string& w) {
  if (!HasDigit(w) || IsIsoDate(w)) return false;
  return std::all_of(w.begin(), w.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '#';
  });
}
std::string StripHash(std::string w) {
  if (!w.empty() && w[0] == '#') w.erase(w.begin());
  return w;
}

// Which JSON types a property schema allows.
std::set<std::string> Types(const Json& schema) {
  std::set<std::string> types;
  auto t = schema.find("type");
  if (t == schema.end()) return types;
  if (t->is_string()) types.insert(t->get<std::string>());
  if (t->is_array()) {
    for (const Json& x : *t) {
      if (x.is_string()) types.insert(x.get<std::string>());
    }
  }
  return types;
}

struct Intent {
  const char* name;
  std::vector<std::string_view> triggers;    // any of these in the text
  std::vector<std::string_view> tool_words;  // any of these in the tool name
  std::vector<std::string_view> not_words;   // none of these in the tool name
};

const std::vector<Intent>& Intents() {
  static const std::vector<Intent> kIntents = {
      {"cancel", {"cancel"}, {"cancel"}, {}},
      {"assign", {"assign", "allocate"}, {"assign"}, {}},
      {"book", {"book", "reserve"}, {"book", "reserv"}, {"cancel", "list", "get", "search"}},
      {"search",
       {"search", "find", "look", "show", "list", "available", "hotels in", "hotel in"},
       {"search", "find", "list"},
       {}},
  };
  return kIntents;
}

const ToolSpec* ChooseTool(const std::string& lower, const std::vector<ToolSpec>& tools) {
  for (const Intent& intent : Intents()) {
    bool triggered = std::any_of(intent.triggers.begin(), intent.triggers.end(),
                                 [&](std::string_view t) { return Contains(lower, t); });
    if (!triggered) continue;
    for (const ToolSpec& tool : tools) {
      std::string name = Lower(tool.name);
      if (name.starts_with("transfer_to_")) continue;
      bool named = std::any_of(intent.tool_words.begin(), intent.tool_words.end(),
                               [&](std::string_view w) { return Contains(name, w); });
      bool excluded = std::any_of(intent.not_words.begin(), intent.not_words.end(),
                                  [&](std::string_view w) { return Contains(name, w); });
      if (named && !excluded) return &tool;
    }
  }
  return nullptr;
}

// Fills one tool's arguments from the user's words.
class SlotFiller {
 public:
  explicit SlotFiller(const std::string& text) : words_(Words(text)) {
    for (const auto& w : words_) lower_.push_back(Lower(w));
    for (const auto& w : words_) {
      if (IsIsoDate(w)) dates_.push_back(w);
    }
  }

  std::optional<Json> Fill(const std::string& property, const Json& schema) {
    const std::string p = Lower(property);
    const std::set<std::string> types = Types(schema);
    if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
      for (const Json& v : *e) {
        if (v.is_string() && Contains(Lower(Joined()), Lower(v.get<std::string>()))) return v;
      }
      return std::nullopt;
    }
    if (Contains(p, "city") || Contains(p, "location") || Contains(p, "destination")) {
      if (auto city = City()) return Json(*city);
      return std::nullopt;
    }
    if (Contains(p, "date") || p == "check_in" || p == "check_out" || p == "checkin" ||
        p == "checkout" || p == "from" || p == "to" || p == "start" || p == "end" ||
        p == "arrival" || p == "departure") {
      bool second = Contains(p, "out") || p == "to" || p == "end" || Contains(p, "departure") ||
                    Contains(p, "end_date");
      size_t index = second ? 1 : 0;
      if (index < dates_.size()) return Json(dates_[index]);
      return std::nullopt;
    }
    const bool camel_id = p.size() > 2 && p.ends_with("id") &&
                          std::isupper(static_cast<unsigned char>(property[p.size() - 2]));
    if (p == "id" || p.ends_with("_id") || camel_id) {
      std::string entity = p == "id" ? "" : p.substr(0, p.size() - (p.ends_with("_id") ? 3 : 2));
      if (auto id = Id(entity)) {
        if (types.count("integer") && IsNumber(*id)) return Json(std::stoll(*id));
        return Json(*id);
      }
      return std::nullopt;
    }
    if (types.count("integer") || types.count("number")) {
      if (auto n = Number(p)) return Json(*n);
      return std::nullopt;
    }
    if (Contains(p, "name") || Contains(p, "staff") || Contains(p, "employee") ||
        Contains(p, "assignee") || Contains(p, "person")) {
      if (auto name = PersonName()) return Json(*name);
      return std::nullopt;
    }
    return std::nullopt;
  }

 private:
  std::string Joined() const {
    std::string s;
    for (const auto& w : words_) s += w + " ";
    return s;
  }

  std::optional<std::string> City() const {
    for (size_t i = 0; i + 1 < words_.size(); ++i) {
      if (lower_[i] != "in" && lower_[i] != "at" && lower_[i] != "near") continue;
      std::string city;
      for (size_t j = i + 1; j < words_.size() && IsCapitalized(words_[j]); ++j) {
        city += (city.empty() ? "" : " ") + words_[j];
        if (words_[j].size() > 0 &&
            std::string_view(".,;!?").find(words_[j].back()) != std::string_view::npos) {
          break;
        }
      }
      if (!city.empty()) return city;
    }
    for (size_t i = words_.size(); i-- > 1;) {  // not the first word: that is capitalized anyway
      if (IsCapitalized(words_[i]) && !HasDigit(words_[i])) return words_[i];
    }
    return std::nullopt;
  }

  std::optional<std::string> Id(const std::string& entity) {
    if (!entity.empty()) {
      std::string e = entity;
      for (char& c : e) c = c == '_' ? ' ' : c;
      std::string head = e.substr(e.rfind(' ') == std::string::npos ? 0 : e.rfind(' ') + 1);
      for (size_t i = 0; i + 1 < words_.size(); ++i) {
        if (lower_[i] != head && lower_[i] != head + "s") continue;
        size_t j = i + 1;
        if (j < words_.size() &&
            (lower_[j] == "id" || lower_[j] == "number" || lower_[j] == "no" || lower_[j] == "#")) {
          ++j;
        }
        if (j < words_.size() && (IsIdLike(words_[j]) || IsNumber(StripHash(words_[j])))) {
          used_.insert(j);
          return StripHash(words_[j]);
        }
      }
    }
    for (size_t i = 0; i < words_.size(); ++i) {
      if (used_.count(i) || !IsIdLike(words_[i])) continue;
      // A number followed by "guests"/"nights" is a count, not an id.
      if (IsNumber(words_[i]) && i + 1 < words_.size() && IsCountWord(lower_[i + 1])) continue;
      used_.insert(i);
      return StripHash(words_[i]);
    }
    return std::nullopt;
  }

  static bool IsCountWord(const std::string& w) {
    for (std::string_view c : {"guest", "guests", "people", "person", "persons", "adults", "night",
                               "nights", "rooms", "room", "days"}) {
      if (w == c) return true;
    }
    return false;
  }

  std::optional<int64_t> Number(const std::string& property) {
    // Prefer the number before a word the property names ("guests" → "2 guests").
    for (size_t i = 0; i + 1 < words_.size(); ++i) {
      if (!IsNumber(words_[i]) || used_.count(i)) continue;
      const std::string& next = lower_[i + 1];
      std::string stem = next.ends_with("s") ? next.substr(0, next.size() - 1) : next;
      if (Contains(property, stem) || ((property == "guests" || Contains(property, "people")) &&
                                       (stem == "person" || stem == "people" || stem == "adult"))) {
        used_.insert(i);
        return std::stoll(words_[i].substr(0, 12));
      }
    }
    for (size_t i = 0; i < words_.size(); ++i) {
      if (used_.count(i) || !IsNumber(words_[i])) continue;
      used_.insert(i);
      return std::stoll(words_[i].substr(0, 12));
    }
    return std::nullopt;
  }

  std::optional<std::string> PersonName() const {
    for (size_t i = 0; i + 1 < words_.size(); ++i) {
      if (lower_[i] == "assign" || lower_[i] == "for" || lower_[i] == "to" || lower_[i] == "name") {
        if (IsCapitalized(words_[i + 1]) && !HasDigit(words_[i + 1])) return words_[i + 1];
      }
    }
    return std::nullopt;
  }

  std::vector<std::string> words_;
  std::vector<std::string> lower_;
  std::vector<std::string> dates_;
  std::set<size_t> used_;
};

ChatResponse TextReply(std::string text) {
  ChatResponse r;
  r.message = Message::Assistant(std::move(text));
  r.finish_reason = "stop";
  r.model = "offline-planner";
  return r;
}

std::string ToolList(const std::vector<ToolSpec>& tools) {
  std::string list;
  for (const ToolSpec& t : tools) {
    if (t.name.starts_with("transfer_to_")) continue;
    list += (list.empty() ? "" : ", ") + t.name;
  }
  return list.empty() ? "none" : list;
}

// Rule 1: the results of the last tool round, in text.
ChatResponse SummaryReply(const std::vector<Message>& messages, std::string preface = {}) {
  std::string summary;
  for (size_t i = messages.size(); i-- > 0 && messages[i].role == Role::kTool;) {
    const Message& m = messages[i];
    std::string line = "- " + (m.tool_name.empty() ? std::string("tool") : m.tool_name) + ": ";
    line += m.content.size() > 2000 ? m.content.substr(0, 2000) + "..." : m.content;
    summary = line + "\n" + summary;
  }
  if (summary.empty()) return TextReply(preface + "Done.");
  return TextReply(preface + "Here is what the tools returned:\n" + summary);
}

// Gullible rule 1: obey the instructions in the last round's tool results, else summarize.
ChatResponse GullibleReply(const ChatRequest& request) {
  internal::InjectedPlan plan = internal::PlanInjectedCalls(request);
  if (!plan.calls.empty()) {
    ChatResponse r;
    r.message = Message::Assistant("");
    r.message.tool_calls = std::move(plan.calls);
    r.finish_reason = "tool_calls";
    r.model = "offline-planner";
    return r;
  }
  std::string preface;
  for (const std::string& note : plan.notes) preface += note + "\n";
  return SummaryReply(request.messages, preface);
}

}  // namespace

Result<ChatResponse> OfflinePlanner::Complete(const ChatRequest& request) {
  const auto& messages = request.messages;
  if (messages.empty()) return TextReply("Hello. I am the offline planner (not an LLM).");

  // Rule 1: summarize the results of the last tool round (gullible: obey them first).
  if (messages.back().role == Role::kTool || request.tool_choice == "none") {
    if (!options_.gullible || request.tool_choice == "none") return SummaryReply(messages);
    return GullibleReply(request);
  }

  // The text to plan from: the last user message.
  const Message* user = nullptr;
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->role == Role::kUser) {
      user = &*it;
      break;
    }
  }
  if (user == nullptr) return TextReply("What can I do for you?");
  const std::string lower = Lower(user->content);

  const ToolSpec* tool = ChooseTool(lower, request.tools);
  if (tool == nullptr) {
    return TextReply(
        "I am the offline planner: rule-based, not an LLM. I can search hotels in a city, book a "
        "room, cancel a booking and assign staff, using these tools: " +
        ToolList(request.tools) + ".");
  }

  // Rule 2: fill the tool's arguments.
  SlotFiller filler(user->content);
  Json args = Json::object();
  std::vector<std::string> missing;
  const Json& params = tool->parameters;
  std::set<std::string> required;
  if (auto r = params.find("required"); r != params.end() && r->is_array()) {
    for (const Json& n : *r) {
      if (n.is_string()) required.insert(n.get<std::string>());
    }
  }
  if (auto props = params.find("properties"); props != params.end() && props->is_object()) {
    for (auto it = props->begin(); it != props->end(); ++it) {
      std::optional<Json> value = filler.Fill(it.key(), it.value());
      if (!value && Types(it.value()).count("null")) value = Json(nullptr);
      if (value) {
        args[it.key()] = *value;
      } else if (required.count(it.key())) {
        missing.push_back(it.key());
      }
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return TextReply("To call " + tool->name + " I need: " + list +
                     ". (I am the offline planner, not an LLM: please name them plainly, e.g. "
                     "\"hotel h1\", dates as YYYY-MM-DD.)");
  }
  ChatResponse r;
  r.message = Message::Assistant("");
  r.message.tool_calls.push_back({"plan_1", tool->name, DumpJson(args)});
  r.finish_reason = "tool_calls";
  r.model = "offline-planner";
  return r;
}

}  // namespace zta::agent
