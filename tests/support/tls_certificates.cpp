#include "tests/support/tls_certificates.hpp"

#include <fstream>
#include <stdexcept>

#include "harness/os/child_process.hpp"
#include "tests/support/harness_process.hpp"

namespace sh::testing {

namespace {
// EC keys: generated in milliseconds, where RSA keys take a noticeable part of a second each.
const std::vector<std::string> new_key = {"-newkey", "ec", "-pkeyopt",
                                          "ec_paramgen_curve:prime256v1", "-nodes"};
}  // namespace

TlsCertificates::TlsCertificates() {
    for (const std::string name : {"ca", "other-ca"}) {
        std::vector<std::string> args = {"req", "-x509"};
        args.insert(args.end(), new_key.begin(), new_key.end());
        args.insert(args.end(), {"-keyout", path(name + ".key"), "-out", path(name + ".pem"),
                                 "-days", "2", "-subj", "/CN=streamharness test " + name, "-addext",
                                 "basicConstraints=critical,CA:TRUE", "-addext",
                                 "keyUsage=critical,keyCertSign,cRLSign"});
        openssl(args);
    }
    sign("server", "/CN=localhost",
         "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    sign("client", "/CN=streamharness test client", "extendedKeyUsage=clientAuth\n");
}

void TlsCertificates::sign(const std::string& name, const std::string& subject,
                           const std::string& extensions) const {
    std::vector<std::string> request = {"req"};
    request.insert(request.end(), new_key.begin(), new_key.end());
    request.insert(request.end(),
                   {"-keyout", path(name + ".key"), "-out", path(name + ".csr"), "-subj", subject});
    openssl(request);
    std::ofstream(path(name + ".ext")) << extensions;
    openssl({"x509", "-req", "-in", path(name + ".csr"), "-CA", ca(), "-CAkey", path("ca.key"),
             "-CAcreateserial", "-days", "2", "-extfile", path(name + ".ext"), "-out",
             path(name + ".pem")});
}

void TlsCertificates::openssl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    os::SpawnOptions options;
    options.output_path = path("openssl.log");
    auto process = os::ChildProcess::spawn(argv, options);
    if (int status = process.wait(); status != 0) {
        throw std::runtime_error("openssl " + args.front() + " " +
                                 os::describe_wait_status(status) + ": " +
                                 read_text_file(options.output_path));
    }
}

redis::EmbeddedServerOptions TlsCertificates::server_options(
    bool require_client_certificates) const {
    redis::EmbeddedServerOptions options;
    options.tls = redis::EmbeddedServerTls{
        server_cert(), server_key(), ca(), require_client_certificates, {}};
    options.tls->client.ca_file = ca();
    options.tls->client.cert_file = client_cert();
    options.tls->client.key_file = client_key();
    return options;
}

}  // namespace sh::testing
