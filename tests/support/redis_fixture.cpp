#include "tests/support/redis_fixture.hpp"

namespace sh::testing {

std::unique_ptr<redis::EmbeddedServer> RedisTest::server_;

void RedisTest::SetUpTestSuite() {
    server_ = std::make_unique<redis::EmbeddedServer>(redis::EmbeddedServerOptions{});
}

void RedisTest::TearDownTestSuite() {
    server_.reset();
}

std::string RedisTest::url() {
    return server_->endpoint().to_url();
}

redis::Connection RedisTest::connect() {
    return redis::Connection(server_->endpoint(), {});
}

std::int64_t RedisTest::integer(redis::Connection& connection, const redis::Args& args) {
    auto reply = connection.command(args);
    return redis::ReplyView(reply.get()).integer_text();
}

std::string RedisTest::text(redis::Connection& connection, const redis::Args& args) {
    auto reply = connection.command(args);
    redis::ReplyView view(reply.get());
    return view.is_nil() ? std::string() : std::string(view.text());
}

}  // namespace sh::testing
