// A private redis-server on a free loopback port, in a temporary directory, for one run or one
// test. Stopping it (or destroying the value) leaves no process and no directory behind.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "harness/os/child_process.hpp"
#include "harness/os/temp_dir.hpp"
#include "harness/redis/persistence.hpp"
#include "harness/redis/url.hpp"

namespace sh::redis {

struct EmbeddedServerOptions {
    Persistence persistence = Persistence::none;
    std::string executable = "redis-server";
};

class EmbeddedServer {
  public:
    // Starts the server and waits until it answers PING; throws EnvironmentError with the
    // server's own log when it cannot start (missing executable, bad config).
    explicit EmbeddedServer(EmbeddedServerOptions options);
    ~EmbeddedServer();
    EmbeddedServer(const EmbeddedServer&) = delete;
    EmbeddedServer& operator=(const EmbeddedServer&) = delete;

    Endpoint endpoint() const;
    int port() const { return port_; }
    pid_t pid() const { return process_.pid(); }
    std::string version() const;

    // SIGKILL (hard) or SIGTERM (graceful) and start again on the same port and data directory;
    // while_down runs after the old server has exited and before the new one starts.
    void restart(bool hard, const std::function<void()>& while_down = {});
    void stop();

  private:
    void start();
    void wait_until_ready();
    std::string log_tail() const;

    EmbeddedServerOptions options_;
    os::TempDir dir_;
    int port_ = 0;
    os::ChildProcess process_;
};

}  // namespace sh::redis
