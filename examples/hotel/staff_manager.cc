// The Staff Manager service (staff_manager.h).
#include "hotel/staff_manager.h"

#include "zta/core/trace_context.h"
#include "zta/guard/delegation.h"

namespace zta::hotel {
namespace {

// The staff ids in a list_staff result ({"staff":[{"id":…},…]}), in order.
std::vector<std::string> StaffIds(const std::string& content) {
  std::vector<std::string> ids;
  auto json = ParseJsonStrict(content);
  if (!json.ok() || !json->is_object() || !json->contains("staff")) return ids;
  const Json& staff = (*json)["staff"];
  if (!staff.is_array()) return ids;
  for (const Json& s : staff) {
    if (s.is_object() && s.contains("id") && s["id"].is_string()) ids.push_back(s["id"]);
  }
  return ids;
}

// The content of the last tool result of `tool` in `conversation`, empty when none.
std::string LastToolResult(const agent::Conversation& conversation, const std::string& tool) {
  for (auto it = conversation.messages().rbegin(); it != conversation.messages().rend(); ++it) {
    if (it->role == agent::Role::kTool && it->tool_name == tool) return it->content;
  }
  return "";
}

bool IsBookingId(const std::string& id) {
  if (id.size() < 3 || id.size() > 64 || id.rfind("b-", 0) != 0) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

}  // namespace

StaffManager::StaffManager(StaffManagerOptions options, Clock& clock, AuditSink& audit)
    : options_(std::move(options)), clock_(clock), audit_(audit) {}

Result<std::unique_ptr<StaffManager>> StaffManager::Start(StaffManagerOptions options,
                                                          Clock& clock, AuditSink& audit) {
  if (options.issuer.empty() || options.resource.empty() || options.hotel_client_id.empty() ||
      options.notify_scope.empty()) {
    return InvalidArgument("the staff manager needs an issuer, a resource, a scope and the "
                           "hotel API's client id");
  }
  std::unique_ptr<StaffManager> staff(new StaffManager(options, clock, audit));
  guard::ValidatorOptions v;
  guard::TrustedIssuer issuer;
  issuer.issuer = options.issuer;
  v.issuers.push_back(issuer);
  v.audience = options.resource;
  v.audit_component = "staff_manager";
  ZTA_ASSIGN_OR_RETURN(staff->validator_, guard::Validator::Create(std::move(v), clock, audit));
  StaffManager* self = staff.get();
  ZTA_ASSIGN_OR_RETURN(staff->server_,
                       http::HttpServer::Start(options.server, [self](const http::Request& r) {
                         return self->Handle(r);
                       }));
  return staff;
}

StaffManager::~StaffManager() { Stop(); }

std::string StaffManager::BaseUrl() const { return server_->BaseUrl(); }

http::Response StaffManager::Handle(const http::Request& request) {
  if (request.path != "/notify") {
    return http::Response::Json(404, {{"error", "not_found"}});
  }
  if (request.method != "POST") {
    http::Response r = http::Response::Json(405, {{"error", "method_not_allowed"}});
    r.headers.Set("Allow", "POST");
    return r;
  }
  const std::vector<std::string> scopes = {options_.notify_scope};
  guard::AuthorizeOptions authorize;
  authorize.required_scopes = scopes;
  auto principal = validator_->Authorize(request, authorize);
  if (!principal.ok()) return validator_->DenialResponse(principal.status(), scopes);
  // Only the hotel API itself, as itself: an agent acting for someone, or another client with
  // the scope, may not make the Staff Manager act.
  if (principal->client_id != options_.hotel_client_id || !principal->actor_chain.empty() ||
      principal->subject != principal->client_id) {
    return http::Response::Json(403, {{"error", "insufficient_scope"}});
  }
  auto body = ParseJsonStrict(request.body);
  if (!body.ok() || !body->is_object() || !body->contains("booking_id") ||
      !(*body)["booking_id"].is_string() || !IsBookingId((*body)["booking_id"])) {
    return http::Response::Json(400, {{"error", "invalid_request"},
                                      {"error_description", "booking_id is required"}});
  }
  Job job{(*body)["booking_id"], body->value("trace_id", "")};
  if (!IsTraceId(job.trace_id)) job.trace_id.clear();
  {
    MutexLock lock(mu_);
    jobs_.push_back(std::move(job));
  }
  changed_.notify_all();
  return http::Response::Json(202, {{"status", "queued"}});
}

void StaffManager::Attach(std::unique_ptr<BuiltAgent> agent) {
  agent_ = std::move(agent);
  worker_ = std::thread([this] { Work(); });
}

void StaffManager::Work() {
  for (;;) {
    Job job;
    {
      MutexLock lock(mu_);
      while (jobs_.empty() && !stopping_) lock.Wait(changed_);
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    bool ok = Assign(job);
    {
      MutexLock lock(mu_);
      ++handled_;
      if (ok) ++assigned_;
    }
    changed_.notify_all();
  }
}

// Two turns of the agent: read the roster, then assign the next staff member in turn.
bool StaffManager::Assign(const Job& job) {
  agent::Conversation conversation;  // acting for nobody
  std::string trace = job.trace_id;
  if (trace.empty()) {
    auto fresh = NewTraceId();
    if (fresh.ok()) trace = *fresh;
  }
  conversation.set_trace_id(trace);
  conversation.Append(agent::Message::User("List the staff"));
  if (!agent_->agent->Run(conversation).ok()) return false;
  std::vector<std::string> staff = StaffIds(LastToolResult(conversation, "list_staff"));
  if (staff.empty()) return false;
  std::string chosen;
  {
    MutexLock lock(mu_);
    chosen = staff[next_staff_++ % staff.size()];
  }
  conversation.Append(
      agent::Message::User("Assign staff " + chosen + " to booking " + job.booking_id));
  auto turn = agent_->agent->Run(conversation);
  if (!turn.ok()) return false;
  std::string result = LastToolResult(conversation, "assign_staff");
  auto json = ParseJsonStrict(result);
  return json.ok() && json->is_object() && json->value("staff", Json()).is_string();
}

int64_t StaffManager::WaitForHandled(int64_t count, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  MutexLock lock(mu_);
  while (handled_ < count) {
    if (!lock.WaitUntil(changed_, deadline)) break;
  }
  return handled_;
}

int64_t StaffManager::assigned() const {
  MutexLock lock(mu_);
  return assigned_;
}

void StaffManager::Stop() {
  if (server_) server_->Stop();
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

}  // namespace zta::hotel
