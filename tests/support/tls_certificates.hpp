// Certificates for TLS tests, made with the openssl CLI in a temporary directory: a CA, a
// server certificate it signed for 127.0.0.1 and localhost (subjectAltName), a client
// certificate it signed, and a second CA that signed nothing here (the "wrong CA").
#pragma once

#include <string>

#include "harness/os/temp_dir.hpp"
#include "harness/redis/embedded_server.hpp"

namespace sh::testing {

class TlsCertificates {
  public:
    // Generates them all; throws std::runtime_error with openssl's output when it fails.
    TlsCertificates();

    std::string path(const std::string& name) const { return (dir_.path() / name).string(); }
    std::string ca() const { return path("ca.pem"); }
    std::string other_ca() const { return path("other-ca.pem"); }
    std::string server_cert() const { return path("server.pem"); }
    std::string server_key() const { return path("server.key"); }
    std::string client_cert() const { return path("client.pem"); }
    std::string client_key() const { return path("client.key"); }

    // A TLS-only embedded server with these certificates, whose endpoint() trusts the CA and
    // presents the client certificate.
    redis::EmbeddedServerOptions server_options(bool require_client_certificates) const;

  private:
    void openssl(const std::vector<std::string>& args) const;
    // A key and a certificate signed by the CA: name.key, name.pem.
    void sign(const std::string& name, const std::string& subject,
              const std::string& extensions) const;

    os::TempDir dir_{"streamharness-tls"};
};

}  // namespace sh::testing
