// A private redis-server on a free loopback port, in a temporary directory, for one run or one
// test. Stopping it (or destroying the value) leaves no process and no directory behind.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/os/child_process.hpp"
#include "harness/os/temp_dir.hpp"
#include "harness/redis/persistence.hpp"
#include "harness/redis/url.hpp"

namespace sh::redis {

// A TLS-only server (no plain port), for testing rediss://.
struct EmbeddedServerTls {
    std::string certificate_file;             // --tls-cert-file
    std::string key_file;                     // --tls-key-file
    std::string ca_file;                      // --tls-ca-cert-file: verifies client certificates
    bool require_client_certificates = true;  // --tls-auth-clients yes|no
    TlsSettings client;  // how endpoint() connects (enabled is implied): CA, client certificate
};

struct EmbeddedServerOptions {
    EmbeddedServerOptions() = default;
    // Callers that name persistence and executable only need not name tls (-Wextra would flag
    // an aggregate initializer that leaves it out).
    EmbeddedServerOptions(Persistence persistence, std::string executable)
        : persistence(persistence), executable(std::move(executable)) {}

    Persistence persistence = Persistence::none;
    std::string executable = "redis-server";
    std::optional<EmbeddedServerTls> tls;
    // Appended to the command line: --replicaof, --min-replicas-to-write... (a topology's nodes).
    std::vector<std::string> extra_args;
};

// The last non-empty lines of a log file joined with " | ", or "(no log output)": for errors.
std::string log_tail_of(const std::filesystem::path& log, std::size_t lines);

class EmbeddedServer {
  public:
    // Starts the server and waits until it answers PING; throws EnvironmentError with the
    // server's own log when it cannot start (missing executable, bad config).
    explicit EmbeddedServer(EmbeddedServerOptions options);
    ~EmbeddedServer();
    EmbeddedServer(const EmbeddedServer&) = delete;
    EmbeddedServer& operator=(const EmbeddedServer&) = delete;

    Endpoint endpoint() const;  // rediss:// with options.tls.client when the server is TLS
    int port() const { return port_; }
    pid_t pid() const { return process_.pid(); }
    std::string version() const;

    // SIGKILL (hard) or SIGTERM (graceful) and start again on the same port and data directory;
    // while_down runs after the old server has exited and before the new one starts.
    void restart(bool hard, const std::function<void()>& while_down = {});
    // SIGCONTs a stalled server first: a stopped process acts on SIGTERM only once continued.
    void stop();

    // For a replicated topology (embedded_topology.hpp): signals (SIGSTOP/SIGCONT), SIGKILL with
    // the reap, and a start again on the same port and directory with other extra arguments
    // (a killed primary rejoins as a replica). start_again throws when the server still runs.
    bool running() const { return process_.running(); }
    bool stopped() const { return process_.stopped(); }
    void signal(int signo) const { process_.signal(signo); }
    void kill();
    void start_again(std::vector<std::string> extra_args);
    const std::filesystem::path& directory() const { return dir_.path(); }
    // The last non-empty lines of the server's log, joined with " | " (for error messages).
    std::string log_tail(std::size_t lines = 1) const;

  private:
    void start();
    void wait_until_ready();

    EmbeddedServerOptions options_;
    os::TempDir dir_;
    int port_ = 0;
    os::ChildProcess process_;
};

}  // namespace sh::redis
