// Registry lookups and the polled snapshot cache.
#include "registry_cache.h"

namespace zta::idp {

const Agent* RegistrySnapshot::FindAgent(const std::string& client_id) const {
  auto it = agents.find(client_id);
  return it == agents.end() ? nullptr : &it->second;
}

const Resource* RegistrySnapshot::FindResource(const std::string& uri) const {
  auto it = resources.find(uri);
  return it == resources.end() ? nullptr : &it->second;
}

const User* RegistrySnapshot::FindUser(const std::string& id) const {
  auto it = users.find(id);
  return it == users.end() ? nullptr : &it->second;
}

const User* RegistrySnapshot::FindUserByName(const std::string& username) const {
  // Linear: users are few per idp and lookups by name happen only at login.
  for (const auto& [id, user] : users) {
    if (user.username == username) return &user;
  }
  return nullptr;
}

const App* RegistrySnapshot::FindApp(const std::string& client_id) const {
  auto it = apps.find(client_id);
  return it == apps.end() ? nullptr : &it->second;
}

const DelegationRule* RegistrySnapshot::FindDelegationRule(const std::string& from,
                                                           const std::string& to) const {
  auto it = delegation_rules.find(std::make_pair(from, to));
  return it == delegation_rules.end() ? nullptr : &it->second;
}

const FederatedIssuer* RegistrySnapshot::FindFederatedIssuer(const std::string& issuer) const {
  auto it = federated_issuers.find(issuer);
  return it == federated_issuers.end() ? nullptr : &it->second;
}

RegistryCache::RegistryCache(RegistryStore& store, KeyManager& keys, const Clock& clock,
                             int64_t refresh_millis)
    : store_(store), keys_(keys), clock_(clock), refresh_micros_(refresh_millis * 1000) {}

std::shared_ptr<const RegistrySnapshot> RegistryCache::Get(bool force_check) {
  MutexLock lock(mu_);
  int64_t now = clock_.NowMicros();
  bool due = !registry_ || force_check || now - checked_micros_ >= refresh_micros_;
  if (due) {
    checked_micros_ = now;
    auto version = store_.RegistryVersion();
    bool reachable = version.ok();
    if (version.ok() && (!registry_ || *version != registry_->version)) {
      auto loaded = store_.LoadRegistry();
      reachable = loaded.ok();
      if (loaded.ok()) {
        // Key rotations by the CLI bump the same version: pick up new keys as well.
        if (registry_) (void)keys_.Reload();
        registry_ = *loaded;
      }
    }
    reachable_.store(reachable, std::memory_order_relaxed);
  }
  if (!registry_) registry_ = std::make_shared<const RegistrySnapshot>();
  return registry_;
}

}  // namespace zta::idp
