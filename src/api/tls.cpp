#include "api/tls.hpp"

#include <cstdio>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace acmezone::api {

struct TlsCertificates::Pair {
    X509* cert = nullptr;
    STACK_OF(X509)* chain = nullptr;
    EVP_PKEY* key = nullptr;
    Pair() = default;
    Pair(const Pair&) = delete;
    Pair& operator=(const Pair&) = delete;
    ~Pair() {
        X509_free(cert);
        sk_X509_pop_free(chain, X509_free);
        EVP_PKEY_free(key);
    }
};

namespace {

using Pair = TlsCertificates::Pair;

// OpenSSL's error queue as one line (and emptied).
std::string openssl_reason() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? "unknown error" : out;
}

struct BioCloser {
    void operator()(BIO* b) const noexcept { BIO_free(b); }
};

core::Error tls_error(const std::string& what) {
    return core::make_error(core::Errc::invalid_argument, what + ": " + openssl_reason());
}

core::Result<std::shared_ptr<const Pair>> read_pair(const std::string& cert_path, const std::string& key_path) {
    ERR_clear_error();
    auto pair = std::make_shared<Pair>();
    std::unique_ptr<BIO, BioCloser> cert_bio(BIO_new_file(cert_path.c_str(), "r"));
    if (!cert_bio) return tls_error("api.tls_cert: cannot read " + cert_path);
    pair->cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
    if (!pair->cert) return tls_error("api.tls_cert: no PEM certificate in " + cert_path);
    pair->chain = sk_X509_new_null();
    if (!pair->chain) return tls_error("api.tls_cert: out of memory");
    // The rest of the file is the chain (intermediates), in order.
    while (X509* extra = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
        if (sk_X509_push(pair->chain, extra) == 0) {
            X509_free(extra);
            return tls_error("api.tls_cert: out of memory");
        }
    }
    ERR_clear_error();  // the loop ends with a "no start line" error: expected

    std::unique_ptr<BIO, BioCloser> key_bio(BIO_new_file(key_path.c_str(), "r"));
    if (!key_bio) return tls_error("api.tls_key: cannot read " + key_path);
    pair->key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
    if (!pair->key) return tls_error("api.tls_key: no PEM private key in " + key_path);
    if (X509_check_private_key(pair->cert, pair->key) != 1)
        return tls_error("api.tls_key: the key in " + key_path + " does not match the certificate in " + cert_path);
    return std::shared_ptr<const Pair>(std::move(pair));
}

}  // namespace

TlsCertificates::TlsCertificates(std::string cert_path, std::string key_path)
    : cert_path_(std::move(cert_path)), key_path_(std::move(key_path)) {}

TlsCertificates::~TlsCertificates() = default;

core::Result<std::shared_ptr<TlsCertificates>> TlsCertificates::load(std::string cert_path, std::string key_path) {
    std::shared_ptr<TlsCertificates> out(new TlsCertificates(std::move(cert_path), std::move(key_path)));
    if (auto st = out->reload(); !st) return std::move(st).error();
    return out;
}

core::Status TlsCertificates::reload() {
    auto pair = read_pair(cert_path_, key_path_);
    if (!pair) return std::move(pair).error();
    current_.store(std::move(pair.value()));
    return core::Ok{};
}

int TlsCertificates::on_handshake(SSL* ssl, void* arg) {
    auto* self = static_cast<TlsCertificates*>(arg);
    const std::shared_ptr<const Pair> pair = self->current_.load();
    if (!pair) return 0;
    // Up-refs the certificate, key and chain: the handshake keeps them even if a reload
    // replaces the pair meanwhile.
    return SSL_use_cert_and_key(ssl, pair->cert, pair->key, pair->chain, 1) == 1 ? 1 : 0;
}

bool TlsCertificates::configure(SSL_CTX& ctx) {
    if (SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) != 1) return false;
    SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_cert_cb(&ctx, &TlsCertificates::on_handshake, this);
    return true;
}

std::string TlsCertificates::describe() const {
    const auto pair = current_.load();
    if (!pair) return "none";
    std::string out = "serial=";
    if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(pair->cert), nullptr)) {
        if (char* hex = BN_bn2hex(bn)) {
            out += hex;
            OPENSSL_free(hex);
        }
        BN_free(bn);
    }
    char subject[256] = {};
    X509_NAME_oneline(X509_get_subject_name(pair->cert), subject, sizeof subject);
    out += " subject=\"";
    out += subject;
    out += "\"";
    if (BIO* bio = BIO_new(BIO_s_mem())) {
        if (ASN1_TIME_print(bio, X509_get0_notAfter(pair->cert)) == 1) {
            char* data = nullptr;
            const long n = BIO_get_mem_data(bio, &data);
            out += " not_after=\"" + std::string(data, static_cast<std::size_t>(n)) + "\"";
        }
        BIO_free(bio);
    }
    return out;
}

}  // namespace acmezone::api
