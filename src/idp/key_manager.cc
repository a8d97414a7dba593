// Signing key lifecycle. Rows (timing) live in the KeyStore; private keys in files under
// keys_dir, written 0600 from creation (never briefly world-readable).
#include "zta/idp/key_manager.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "zta/core/base64url.h"
#include "zta/core/random.h"
#include "zta/core/sha256.h"

namespace zta::idp {
namespace {

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};

std::string KeyFromSecret(const Secret& secret) {
  return Sha256(secret.Reveal());
}

// AES-256-GCM, 96-bit random IV, the kid as associated data so files cannot be swapped.
Result<Json> Encrypt(const Secret& secret, const std::string& kid, const std::string& plaintext) {
  std::string key = KeyFromSecret(secret);
  ZTA_ASSIGN_OR_RETURN(std::string iv, RandomBytes(12));
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  std::string out(plaintext.size() + 16, '\0');
  int len = 0, total = 0;
  unsigned char tag[16];
  auto u = [](std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); };
  auto cu = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, cu(key), cu(iv)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, cu(kid), static_cast<int>(kid.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), u(out), &len, cu(plaintext),
                        static_cast<int>(plaintext.size())) != 1) {
    return Internal("key encryption failed");
  }
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), u(out) + total, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag) != 1) {
    return Internal("key encryption failed");
  }
  out.resize(static_cast<size_t>(total + len));
  OPENSSL_cleanse(key.data(), key.size());
  return Json{{"enc", "A256GCM"},
              {"kid", kid},
              {"iv", Base64UrlEncode(iv)},
              {"ciphertext", Base64UrlEncode(out)},
              {"tag", Base64UrlEncode(std::string_view(reinterpret_cast<char*>(tag), 16))}};
}

Result<std::string> Decrypt(const Secret& secret, const std::string& kid, const Json& box) {
  auto field = [&](const char* name) -> Result<std::string> {
    if (!box.contains(name) || !box[name].is_string()) {
      return Status(StatusCode::kDataLoss, std::string("encrypted key lacks ") + name);
    }
    return Base64UrlDecode(box[name].get<std::string>());
  };
  ZTA_ASSIGN_OR_RETURN(std::string iv, field("iv"));
  ZTA_ASSIGN_OR_RETURN(std::string ct, field("ciphertext"));
  ZTA_ASSIGN_OR_RETURN(std::string tag, field("tag"));
  if (iv.size() != 12 || tag.size() != 16) {
    return Status(StatusCode::kDataLoss, "encrypted key is damaged");
  }
  std::string key = KeyFromSecret(secret);
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  std::string out(ct.size() + 16, '\0');
  int len = 0, total = 0;
  auto u = [](std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); };
  auto cu = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, cu(key), cu(iv)) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, cu(kid), static_cast<int>(kid.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), u(out), &len, cu(ct), static_cast<int>(ct.size())) == 1;
  total = len;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1 &&
       EVP_DecryptFinal_ex(ctx.get(), u(out) + total, &len) == 1;
  OPENSSL_cleanse(key.data(), key.size());
  if (!ok) {
    return Status(StatusCode::kPermissionDenied,
                  "cannot decrypt signing key " + kid + " (wrong ZTA_IDP_KEY_ENCRYPTION_KEY?)");
  }
  out.resize(static_cast<size_t>(total + len));
  return out;
}

}  // namespace

KeyManager::KeyManager(KeyStore& store, KeyManagerOptions options, const Clock& clock)
    : store_(store), options_(std::move(options)), clock_(clock) {}

Result<std::unique_ptr<KeyManager>> KeyManager::Open(KeyStore& store, KeyManagerOptions options,
                                                     const Clock& clock) {
  if (options.keys_in_store) {
    // Several nodes share these keys through the database; sealed is the only way they go in.
    if (!options.encryption_key) {
      return Status(StatusCode::kFailedPrecondition,
                    "a shared (PostgreSQL) store keeps the signing keys sealed in the database: "
                    "set ZTA_IDP_KEY_ENCRYPTION_KEY (the same on every node)");
    }
  } else if (options.keys_dir.empty()) {
    return InvalidArgument("keys_dir is required");
  } else if (mkdir(options.keys_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status(StatusCode::kFailedPrecondition,
                  "cannot create " + options.keys_dir + ": " + std::strerror(errno));
  }
  std::unique_ptr<KeyManager> km(new KeyManager(store, std::move(options), clock));
  MutexLock lock(km->mu_);
  ZTA_RETURN_IF_ERROR(km->LoadLocked());
  if (km->rows_.empty()) {
    // First start: a key that signs at once.
    ZTA_ASSIGN_OR_RETURN(auto row, km->CreateKeyLocked(clock.NowSeconds()));
    (void)row;
  }
  return km;
}

Status KeyManager::LoadLocked() {
  ZTA_ASSIGN_OR_RETURN(auto rows, store_.ListKeys());
  std::map<std::string, jose::Jwk> keys;
  for (const auto& row : rows) {
    if (row.retired) continue;
    auto it = private_keys_.find(row.kid);
    if (it != private_keys_.end()) {
      keys.emplace(row.kid, it->second);
      continue;
    }
    ZTA_ASSIGN_OR_RETURN(jose::Jwk key, ReadPrivateKey(row.kid));
    keys.emplace(row.kid, std::move(key));
  }
  rows_ = std::move(rows);
  std::sort(rows_.begin(), rows_.end(),
            [](const auto& a, const auto& b) { return a.activate_at < b.activate_at; });
  private_keys_ = std::move(keys);
  published_.reset();
  return Status::Ok();
}

Status KeyManager::Reload() {
  MutexLock lock(mu_);
  return LoadLocked();
}

Result<std::string> KeyManager::ReadPrivateKeyText(const std::string& kid) const {
  if (options_.keys_in_store) {
    ZTA_ASSIGN_OR_RETURN(auto sealed, store_.FindKeyMaterial(kid));
    if (!sealed) return Status(StatusCode::kDataLoss, "signing key " + kid + " missing in the store");
    return *std::move(sealed);
  }
  std::string path = options_.keys_dir + "/" + kid + ".json";
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kDataLoss, "signing key file missing: " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<jose::Jwk> KeyManager::ReadPrivateKey(const std::string& kid) const {
  ZTA_ASSIGN_OR_RETURN(std::string text, ReadPrivateKeyText(kid));
  ZTA_ASSIGN_OR_RETURN(Json doc, ParseJsonStrict(text));
  std::string jwk_text;
  if (doc.is_object() && doc.contains("enc")) {
    if (!options_.encryption_key) {
      return Status(StatusCode::kFailedPrecondition,
                    "signing key " + kid + " is encrypted; set ZTA_IDP_KEY_ENCRYPTION_KEY");
    }
    ZTA_ASSIGN_OR_RETURN(jwk_text, Decrypt(*options_.encryption_key, kid, doc));
  } else {
    jwk_text = doc.dump();
  }
  jose::JwkParseOptions sign;
  sign.role = jose::KeyRole::kSign;
  auto key = jose::Jwk::ParseText(jwk_text, sign);
  OPENSSL_cleanse(jwk_text.data(), jwk_text.size());
  if (!key.ok()) return key.status().WithContext("signing key " + kid);
  return key;
}

Status KeyManager::WritePrivateKey(const jose::Jwk& key) const {
  std::string text = key.ToPrivateJson().dump();
  if (options_.encryption_key) {
    ZTA_ASSIGN_OR_RETURN(Json box, Encrypt(*options_.encryption_key, key.kid(), text));
    OPENSSL_cleanse(text.data(), text.size());
    text = box.dump();
  }
  if (options_.keys_in_store) return store_.PutKeyMaterial(key.kid(), text);  // sealed (Open)
  std::string path = options_.keys_dir + "/" + key.kid() + ".json";
  std::string tmp = path + ".tmp";
  // O_EXCL + 0600: the file is never readable by others, not even for a moment.
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot create " + tmp + ": " + std::strerror(errno));
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            fsync(fd) == 0;
  close(fd);
  OPENSSL_cleanse(text.data(), text.size());
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return Internal("cannot write " + path);
  }
  return Status::Ok();
}

Result<KeyRow> KeyManager::CreateKeyLocked(int64_t activate_at) {
  ZTA_ASSIGN_OR_RETURN(jose::Jwk key, jose::Jwk::Generate(options_.alg));
  ZTA_RETURN_IF_ERROR(WritePrivateKey(key));
  KeyRow row;
  row.kid = key.kid();
  row.alg = std::string(jose::AlgorithmName(options_.alg));
  row.created_at = clock_.NowSeconds();
  row.activate_at = activate_at;
  ZTA_RETURN_IF_ERROR(store_.PutKey(row));
  private_keys_.emplace(row.kid, std::move(key));
  rows_.push_back(row);
  std::sort(rows_.begin(), rows_.end(),
            [](const auto& a, const auto& b) { return a.activate_at < b.activate_at; });
  return row;
}

Result<KeyManager::SigningKey> KeyManager::CurrentSigningKey() const {
  MutexLock lock(mu_);
  const int64_t now = clock_.NowSeconds();
  const KeyRow* active = nullptr;
  for (const auto& row : rows_) {
    if (!row.retired && row.activate_at <= now) active = &row;  // rows sorted by activate_at
  }
  if (!active) return FailedPrecondition("no active signing key");
  auto it = private_keys_.find(active->kid);
  auto alg = jose::AlgorithmFromName(active->alg);
  if (it == private_keys_.end() || !alg) return FailedPrecondition("signing key unavailable");
  return SigningKey{it->second, *alg};
}

std::shared_ptr<const jose::Jwks> KeyManager::PublishedKeys() const {
  MutexLock lock(mu_);
  const int64_t now = clock_.NowSeconds();
  const KeyRow* active = nullptr;
  for (const auto& row : rows_) {
    if (!row.retired && row.activate_at <= now) active = &row;
  }
  std::vector<const jose::Jwk*> published;
  std::string kids;  // identifies the set, to reuse the last one built
  for (const auto& row : rows_) {
    if (row.retired) continue;
    bool next = row.activate_at > now;
    bool still_covering = row.publish_until == 0 || row.publish_until > now;
    if (&row == active || next || still_covering) {
      auto it = private_keys_.find(row.kid);
      if (it == private_keys_.end()) continue;
      published.push_back(&it->second);
      kids += row.kid;
      kids += '\n';
    }
  }
  // Every /jwks request and every introspection asks for this; deriving public halves means
  // re-parsing each key, so the set is rebuilt only when its members change. Private keys are
  // replaced only together with their kid (Reload), which also clears the cache.
  if (published_ && published_kids_ == kids) return published_;
  std::vector<jose::Jwk> keys;
  keys.reserve(published.size());
  for (const jose::Jwk* key : published) keys.push_back(key->PublicKey());
  published_ = std::make_shared<const jose::Jwks>(std::move(keys));
  published_kids_ = std::move(kids);
  return published_;
}

Result<KeyRow> KeyManager::Rotate() {
  MutexLock lock(mu_);
  const int64_t now = clock_.NowSeconds();
  const int64_t activate_at = now + options_.rotation_overlap_seconds;
  // Every key signing until then stays published until its last token has expired.
  for (auto& row : rows_) {
    if (row.retired || row.activate_at > now) continue;
    if (row.publish_until == 0 || row.publish_until > activate_at) {
      row.publish_until = activate_at + options_.max_token_lifetime_seconds;
      ZTA_RETURN_IF_ERROR(store_.PutKey(row));
    }
  }
  return CreateKeyLocked(activate_at);
}

std::vector<KeyRow> KeyManager::List() const {
  MutexLock lock(mu_);
  return rows_;
}

}  // namespace zta::idp
