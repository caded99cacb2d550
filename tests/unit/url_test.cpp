// Redis URLs: redis://[user[:password]@]host[:port][/db] and unix:///path[?db=N].
#include "harness/redis/url.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using sh::redis::Endpoint;
using sh::redis::parse_url;

namespace {

void expect_same(const Endpoint& a, const Endpoint& b) {
    EXPECT_EQ(a.host, b.host);
    EXPECT_EQ(a.port, b.port);
    EXPECT_EQ(a.unix_path, b.unix_path);
    EXPECT_EQ(a.user, b.user);
    EXPECT_EQ(a.password, b.password);
    EXPECT_EQ(a.db, b.db);
}

std::string error_of(const std::string& url) {
    try {
        parse_url(url);
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "";
}

}  // namespace

TEST(RedisUrl, ParsesHostPortAndDb) {
    auto endpoint = parse_url("redis://cache.example:6380/3");
    EXPECT_EQ(endpoint.host, "cache.example");
    EXPECT_EQ(endpoint.port, 6380);
    EXPECT_EQ(endpoint.db, 3);
    EXPECT_TRUE(endpoint.unix_path.empty());
    EXPECT_TRUE(endpoint.user.empty());
    EXPECT_TRUE(endpoint.password.empty());
}

TEST(RedisUrl, DefaultsToPort6379AndDbZero) {
    auto endpoint = parse_url("redis://10.0.0.7");
    EXPECT_EQ(endpoint.host, "10.0.0.7");
    EXPECT_EQ(endpoint.port, 6379);
    EXPECT_EQ(endpoint.db, 0);
}

TEST(RedisUrl, TrailingSlashKeepsDbZero) {
    auto endpoint = parse_url("redis://localhost:7000/");
    EXPECT_EQ(endpoint.host, "localhost");
    EXPECT_EQ(endpoint.port, 7000);
    EXPECT_EQ(endpoint.db, 0);
}

TEST(RedisUrl, ParsesUserAndPassword) {
    auto endpoint = parse_url("redis://alice:s3cret@redis.local:6400/1");
    EXPECT_EQ(endpoint.user, "alice");
    EXPECT_EQ(endpoint.password, "s3cret");
    EXPECT_EQ(endpoint.host, "redis.local");
    EXPECT_EQ(endpoint.port, 6400);
    EXPECT_EQ(endpoint.db, 1);
}

TEST(RedisUrl, LoneWordBeforeAtIsThePassword) {
    auto endpoint = parse_url("redis://hunter2@localhost");
    EXPECT_TRUE(endpoint.user.empty());
    EXPECT_EQ(endpoint.password, "hunter2");
    EXPECT_EQ(endpoint.host, "localhost");
}

TEST(RedisUrl, EmptyUserBeforeColonGivesPasswordOnly) {
    auto endpoint = parse_url("redis://:hunter2@localhost:6390");
    EXPECT_TRUE(endpoint.user.empty());
    EXPECT_EQ(endpoint.password, "hunter2");
    EXPECT_EQ(endpoint.port, 6390);
}

TEST(RedisUrl, PasswordMayContainAt) {
    auto endpoint = parse_url("redis://bob:p@ss@host");
    EXPECT_EQ(endpoint.user, "bob");
    EXPECT_EQ(endpoint.password, "p@ss");
    EXPECT_EQ(endpoint.host, "host");
}

TEST(RedisUrl, ParsesUnixSocketPath) {
    auto endpoint = parse_url("unix:///var/run/redis.sock");
    EXPECT_EQ(endpoint.unix_path, "/var/run/redis.sock");
    EXPECT_EQ(endpoint.db, 0);
}

TEST(RedisUrl, ParsesUnixSocketDbQuery) {
    auto endpoint = parse_url("unix:///tmp/r.sock?db=5");
    EXPECT_EQ(endpoint.unix_path, "/tmp/r.sock");
    EXPECT_EQ(endpoint.db, 5);
}

TEST(RedisUrl, RejectsUnixSocketWithRelativePathOrOtherQuery) {
    EXPECT_THROW(parse_url("unix://relative.sock"), std::invalid_argument);
    EXPECT_THROW(parse_url("unix://"), std::invalid_argument);
    EXPECT_THROW(parse_url("unix:///tmp/r.sock?timeout=1"), std::invalid_argument);
    EXPECT_THROW(parse_url("unix:///tmp/r.sock?db=x"), std::invalid_argument);
}

TEST(RedisUrl, RejectsBadPort) {
    EXPECT_NE(error_of("redis://host:abc").find("port"), std::string::npos);
    EXPECT_NE(error_of("redis://host:0").find("port"), std::string::npos);
    EXPECT_NE(error_of("redis://host:65536").find("port"), std::string::npos);
    EXPECT_NE(error_of("redis://host:").find("port"), std::string::npos);
    EXPECT_NE(error_of("redis://host:63 79").find("port"), std::string::npos);
}

TEST(RedisUrl, RejectsBadDb) {
    EXPECT_THROW(parse_url("redis://host/abc"), std::invalid_argument);
    EXPECT_THROW(parse_url("redis://host/-1"), std::invalid_argument);
}

TEST(RedisUrl, RejectsUnknownScheme) {
    EXPECT_NE(error_of("http://host:6379").find("unsupported URL"), std::string::npos);
    EXPECT_THROW(parse_url("rediss://host"), std::invalid_argument);
    EXPECT_THROW(parse_url("host:6379"), std::invalid_argument);
    EXPECT_THROW(parse_url(""), std::invalid_argument);
}

TEST(RedisUrl, RejectsMissingHost) {
    EXPECT_NE(error_of("redis://").find("no host"), std::string::npos);
    EXPECT_NE(error_of("redis://:6379").find("no host"), std::string::npos);
    EXPECT_NE(error_of("redis://user:pw@/2").find("no host"), std::string::npos);
}

TEST(RedisUrlFormat, RedactedHidesThePassword) {
    auto endpoint = parse_url("redis://alice:s3cret@redis.local:6400/1");
    auto redacted = endpoint.redacted();
    EXPECT_EQ(redacted, "redis://alice:***@redis.local:6400/1");
    EXPECT_EQ(redacted.find("s3cret"), std::string::npos);
}

TEST(RedisUrlFormat, RedactedHidesALonePassword) {
    auto redacted = parse_url("redis://hunter2@localhost").redacted();
    EXPECT_EQ(redacted, "redis://:***@localhost:6379");
}

TEST(RedisUrlFormat, RedactedWithoutPasswordHasNoCredentials) {
    EXPECT_EQ(parse_url("redis://localhost").redacted(), "redis://localhost:6379");
    EXPECT_EQ(parse_url("unix:///tmp/r.sock?db=2").redacted(), "unix:///tmp/r.sock?db=2");
}

TEST(RedisUrlFormat, ToUrlRoundTripsThroughParseUrl) {
    for (const std::string url :
         {"redis://localhost", "redis://10.1.2.3:7001/4", "redis://alice:s3cret@h:6400/1",
          "redis://hunter2@h", "redis://:pw@h:1", "redis://bob:p@ss@host/9",
          "redis://carol:a:b@host", "unix:///tmp/r.sock", "unix:///tmp/r.sock?db=3"}) {
        SCOPED_TRACE(url);
        auto endpoint = parse_url(url);
        auto again = parse_url(endpoint.to_url());
        expect_same(again, endpoint);
        EXPECT_EQ(again.to_url(), endpoint.to_url());
    }
}

TEST(RedisUrlFormat, ToUrlIncludesThePassword) {
    EXPECT_EQ(parse_url("redis://alice:s3cret@h:6400/1").to_url(), "redis://alice:s3cret@h:6400/1");
}

// A legacy password containing ':' (no user) must survive the trip to a child process.
TEST(RedisUrlFormat, ToUrlRoundTripsAPasswordWithColonAndNoUser) {
    auto endpoint = parse_url("redis://:a:b@host");
    ASSERT_TRUE(endpoint.user.empty());
    ASSERT_EQ(endpoint.password, "a:b");
    auto again = parse_url(endpoint.to_url());
    EXPECT_EQ(again.user, "");
    EXPECT_EQ(again.password, "a:b");
}
