// A real redis-server for a test suite: started on a free loopback port before the suite's
// first test, stopped after its last. Tests talk to it with the harness's own connection layer.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "harness/redis/connection.hpp"
#include "harness/redis/embedded_server.hpp"

namespace sh::testing {

class RedisTest : public ::testing::Test {
  public:
    static void SetUpTestSuite();
    static void TearDownTestSuite();

  protected:
    static redis::EmbeddedServer& server() { return *server_; }
    static std::string url();
    static redis::Connection connect();
    // Runs a command and returns the reply as text/integer for assertions.
    static std::int64_t integer(redis::Connection& connection, const redis::Args& args);
    static std::string text(redis::Connection& connection, const redis::Args& args);

  private:
    static std::unique_ptr<redis::EmbeddedServer> server_;
};

}  // namespace sh::testing
