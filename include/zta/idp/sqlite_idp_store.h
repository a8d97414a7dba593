// IdpStore on one SQLite file (WAL): registry, revocations, assertion ids, key rows.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "zta/idp/stores.h"
#include "zta/store/sqlite.h"

namespace zta::idp {

// Thread-safe: one connection, serialized by a mutex (idp writes are small and rare; token
// issuance reads the registry from an in-memory snapshot).
class SqliteIdpStore final : public IdpStore {
 public:
  // Opens or creates `path` (WAL, synchronous=FULL, busy timeout 5 s) and its schema.
  static Result<std::unique_ptr<SqliteIdpStore>> Open(const std::string& path);
  ~SqliteIdpStore() override;

  Result<uint64_t> RegistryVersion() override;
  Result<std::shared_ptr<const RegistrySnapshot>> LoadRegistry() override;
  Status PutResource(const Resource& resource) override;
  Status PutAgent(const Agent& agent) override;
  Status DeleteAgent(const std::string& client_id) override;
  Status Revoke(const std::string& jti, int64_t expires_at) override;
  Result<bool> IsRevoked(const std::string& jti) override;
  Result<bool> RecordAssertionJti(const std::string& client_id, const std::string& jti,
                                  int64_t expires_at) override;
  Result<std::vector<KeyRow>> ListKeys() override;
  Status PutKey(const KeyRow& row) override;

 private:
  explicit SqliteIdpStore(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}
  // Runs `sql` with `bind` applied, inside one write transaction that also bumps the registry
  // version when `bump_version`.
  Status Write(std::string_view sql, const std::function<Status(store::Statement&)>& bind,
               bool bump_version, std::string_view what);

  std::mutex mu_;
  std::unique_ptr<store::Database> db_;  // GUARDED_BY(mu_)
};

}  // namespace zta::idp
