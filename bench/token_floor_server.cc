// token_floor_server: the ceiling for `make bench-idp` on this machine. A one-thread
// Boost.Beast server with keep-alive that answers every request with a freshly signed ES256
// JWT (a new jti and iat each time, raw OpenSSL with a reused signing context) and does nothing
// else: no client authentication, no registry, no scope checks, no audit record. No token
// endpoint that does the work an authorization server must do can be faster than this on the
// same core, so scripts/bench-idp.sh prints it beside the idp and the peer (docs/bench-idp.md).
//
// Usage: token_floor_server   (prints "listening on http://127.0.0.1:PORT", runs until killed)
// GET /jwks answers with its public key; any other request gets a new token.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string Base64Url(const unsigned char* data, size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < size; i += 3) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < size) {
    uint32_t v = data[i] << 16;
    if (i + 1 < size) v |= data[i + 1] << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    if (i + 1 < size) out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string Base64Url(std::string_view text) {
  return Base64Url(reinterpret_cast<const unsigned char*>(text.data()), text.size());
}

// ES256 (RFC 7518 §3.4): SHA-256 of the signing input, ECDSA P-256, r||s of 32 bytes each.
class Es256Signer {
 public:
  Es256Signer() {
    key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    sha256_ = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    ctx_ = key_ ? EVP_PKEY_CTX_new_from_pkey(nullptr, key_, nullptr) : nullptr;
    ok_ = key_ && sha256_ && ctx_ && EVP_PKEY_sign_init(ctx_) == 1;
  }
  ~Es256Signer() {
    EVP_PKEY_CTX_free(ctx_);
    EVP_MD_free(sha256_);
    EVP_PKEY_free(key_);
  }
  Es256Signer(const Es256Signer&) = delete;
  Es256Signer& operator=(const Es256Signer&) = delete;

  bool ok() const { return ok_; }

  // The public key as a JWK Set (RFC 7517 §5, RFC 7518 §6.2.1), so the floor's tokens can be
  // checked by any verifier (scripts/bench-idp.sh checks one with `zta jwt verify`).
  std::string PublicJwks() const {
    BIGNUM* x = nullptr;
    BIGNUM* y = nullptr;
    std::string jwks;
    if (EVP_PKEY_get_bn_param(key_, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
        EVP_PKEY_get_bn_param(key_, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1) {
      unsigned char xb[32], yb[32];
      if (BN_bn2binpad(x, xb, 32) == 32 && BN_bn2binpad(y, yb, 32) == 32) {
        jwks = R"({"keys":[{"alg":"ES256","crv":"P-256","kid":"floor","kty":"EC","use":"sig","x":")" +
               Base64Url(xb, 32) + R"(","y":")" + Base64Url(yb, 32) + R"("}]})";
      }
    }
    BN_free(x);
    BN_free(y);
    return jwks;
  }

  // The JWS signature over `input`, base64url; empty on failure.
  std::string Sign(std::string_view input) {
    unsigned char digest[32];
    unsigned int digest_size = sizeof digest;
    unsigned char der[80];
    size_t der_size = sizeof der;
    if (EVP_Digest(input.data(), input.size(), digest, &digest_size, sha256_, nullptr) != 1 ||
        EVP_PKEY_sign(ctx_, der, &der_size, digest, digest_size) != 1) {
      return {};
    }
    // DER SEQUENCE { INTEGER r, INTEGER s } → fixed-size r||s.
    unsigned char raw[64] = {};
    const unsigned char* p = der + 2;
    for (int part = 0; part < 2; ++part) {
      size_t len = p[1];
      const unsigned char* value = p + 2;
      while (len > 32) {
        ++value;
        --len;
      }
      std::copy(value, value + len, raw + part * 32 + (32 - len));
      p = value + len;
    }
    return Base64Url(raw, sizeof raw);
  }

 private:
  EVP_PKEY* key_ = nullptr;
  EVP_MD* sha256_ = nullptr;
  EVP_PKEY_CTX* ctx_ = nullptr;
  bool ok_ = false;
};

Es256Signer* signer = nullptr;
uint64_t issued = 0;

// The same shape as the idp's token response: header and claims of an RFC 9068 access token.
std::string TokenResponse() {
  long long now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  std::string claims = R"({"aud":"https://hotel.example/api","client_id":"floor-agent",)"
                       R"("exp":)" +
                       std::to_string(now + 300) + R"(,"iat":)" + std::to_string(now) +
                       R"(,"iss":"http://127.0.0.1","jti":"floor-)" + std::to_string(++issued) +
                       R"(","scope":"read_hotels","sub":"floor-agent"})";
  std::string input =
      Base64Url(R"({"alg":"ES256","kid":"floor","typ":"at+jwt"})") + "." + Base64Url(claims);
  std::string token = input + "." + signer->Sign(input);
  return R"({"access_token":")" + token +
         R"(","expires_in":300,"scope":"read_hotels","token_type":"Bearer"})";
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : stream_(std::move(socket)) {}

  void Read() {
    request_ = {};
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->Answer();
                     });
  }

 private:
  void Answer() {
    response_ = {};
    response_.version(11);
    response_.result(http::status::ok);
    response_.keep_alive(request_.keep_alive());
    response_.set(http::field::content_type, "application/json");
    response_.set(http::field::cache_control, "no-store");
    response_.body() = request_.target() == "/jwks" ? signer->PublicJwks() : TokenResponse();
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (!ec && self->response_.keep_alive()) self->Read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

void Accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket socket) {
    if (!ec) std::make_shared<Session>(std::move(socket))->Read();
    Accept(acceptor);
  });
}

}  // namespace

int main() {
  Es256Signer es256;
  if (!es256.ok()) {
    std::fprintf(stderr, "token_floor_server: cannot set up an ES256 key\n");
    return 1;
  }
  signer = &es256;
  net::io_context io(1);
  tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), 0});
  std::printf("listening on http://127.0.0.1:%u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  Accept(acceptor);
  io.run();
}
