// Merging several audit logs in time order and picking the events of one story.
#include "zta/audit/trace.h"

#include <algorithm>
#include <set>

#include "zta/audit/reader.h"

namespace zta::audit {
namespace {

using Logs = std::vector<std::vector<AuditEvent>>;

// The merged events that `keep` accepts, still in time order.
template <typename Keep>
std::vector<EventRef> Filter(const Logs& logs, const std::vector<EventRef>& merged, Keep keep) {
  std::vector<EventRef> out;
  for (const EventRef& ref : merged) {
    if (keep(logs[ref.log][ref.index])) out.push_back(ref);
  }
  return out;
}

std::vector<EventRef> ByBooking(const Logs& logs, const std::vector<EventRef>& merged,
                                const std::string& booking_id) {
  std::set<std::string> traces;
  for (const EventRef& ref : merged) {
    const AuditEvent& e = logs[ref.log][ref.index];
    if (!e.trace_id.empty() && StringAttribute(e, kResourceIdAttribute) == booking_id) {
      traces.insert(e.trace_id);
    }
  }
  return Filter(logs, merged, [&](const AuditEvent& e) {
    return StringAttribute(e, kResourceIdAttribute) == booking_id ||
           (!e.trace_id.empty() && traces.count(e.trace_id) > 0);
  });
}

// Grows the sets of trace ids and token ids until no event adds one: the consent that produced
// a token, the tool call that used it and the API decision on it each share one of them.
std::vector<EventRef> ByTokenOrResource(const Logs& logs, const std::vector<EventRef>& merged,
                                        const TraceQuery& query) {
  std::set<std::string> traces, jtis;
  if (!query.jti.empty()) jtis.insert(query.jti);
  auto joins = [&](const AuditEvent& e) {
    return (!query.resource_id.empty() &&
            StringAttribute(e, kResourceIdAttribute) == query.resource_id) ||
           (!e.jti.empty() && jtis.count(e.jti) > 0) ||
           (!e.trace_id.empty() && traces.count(e.trace_id) > 0);
  };
  for (bool grew = true; grew;) {
    size_t before = traces.size() + jtis.size();
    for (const EventRef& ref : merged) {
      const AuditEvent& e = logs[ref.log][ref.index];
      if (!joins(e)) continue;
      if (!e.trace_id.empty()) traces.insert(e.trace_id);
      if (!e.jti.empty()) jtis.insert(e.jti);
    }
    grew = traces.size() + jtis.size() != before;
  }
  return Filter(logs, merged, joins);
}

}  // namespace

std::string StringAttribute(const AuditEvent& event, const char* name) {
  auto it = event.attributes.find(name);
  return it != event.attributes.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<EventRef> MergeInTimeOrder(const Logs& logs) {
  std::vector<EventRef> merged;
  for (size_t log = 0; log < logs.size(); ++log) {
    for (size_t i = 0; i < logs[log].size(); ++i) merged.push_back({log, i});
  }
  // Stable, and the refs start in (log, index) order: ties keep log order, then chain order.
  std::stable_sort(merged.begin(), merged.end(), [&](const EventRef& a, const EventRef& b) {
    return logs[a.log][a.index].time_micros < logs[b.log][b.index].time_micros;
  });
  return merged;
}

Result<std::vector<EventRef>> SelectStory(const Logs& logs, const TraceQuery& query) {
  int set = !query.trace_id.empty() + !query.booking_id.empty() + !query.jti.empty() +
            !query.resource_id.empty();
  if (set != 1) {
    return InvalidArgument(
        "trace needs exactly one of a trace id, a booking id, a jti or a "
        "resource id");
  }
  std::vector<EventRef> merged = MergeInTimeOrder(logs);
  if (!query.trace_id.empty()) {
    return Filter(logs, merged, [&](const AuditEvent& e) { return e.trace_id == query.trace_id; });
  }
  if (!query.booking_id.empty()) return ByBooking(logs, merged, query.booking_id);
  return ByTokenOrResource(logs, merged, query);
}

}  // namespace zta::audit
