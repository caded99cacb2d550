// Redis URLs: redis://[user[:password]@]host[:port][/db], rediss://... with redis-py's ssl_*
// parameters, and unix://[user[:password]@]/path[?db=N].
#include "harness/redis/url.hpp"

#include <gtest/gtest.h>

#include <filesystem>
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
    EXPECT_EQ(a.tls.enabled, b.tls.enabled);
    EXPECT_EQ(a.tls.ca_file, b.tls.ca_file);
    EXPECT_EQ(a.tls.cert_file, b.tls.cert_file);
    EXPECT_EQ(a.tls.key_file, b.tls.key_file);
    EXPECT_EQ(a.tls.server_name, b.tls.server_name);
    EXPECT_EQ(a.tls.verify_peer, b.tls.verify_peer);
    EXPECT_EQ(a.tls.check_hostname, b.tls.check_hostname);
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

// As in RFC 3986 and redis-py (and as the README says): the password may come from
// STREAMHARNESS_REDIS_PASSWORD or a file instead.
TEST(RedisUrl, LoneWordBeforeAtIsAUserName) {
    auto endpoint = parse_url("redis://harness@localhost");
    EXPECT_EQ(endpoint.user, "harness");
    EXPECT_TRUE(endpoint.password.empty());
    EXPECT_EQ(endpoint.host, "localhost");
}

TEST(RedisUrl, BracketedIpv6HostLosesItsBrackets) {
    auto endpoint = parse_url("redis://[::1]:6380/2");
    EXPECT_EQ(endpoint.host, "::1");
    EXPECT_EQ(endpoint.port, 6380);
    EXPECT_EQ(endpoint.db, 2);
    EXPECT_EQ(parse_url("redis://alice:pw@[fe80::1]").host, "fe80::1");
    EXPECT_EQ(parse_url("redis://[::1]").port, 6379);
    EXPECT_NE(error_of("redis://[::1:6379").find("IPv6"), std::string::npos);
    EXPECT_NE(error_of("redis://[]:6379").find("IPv6"), std::string::npos);
    // Found by tests/fuzz/url_fuzz.cpp: "[" read back as a host that to_url() wrote bare.
    EXPECT_NE(error_of("redis://[[]").find("not an IPv6 address"), std::string::npos);
    EXPECT_NE(error_of("redis://[x]:6").find("not an IPv6 address"), std::string::npos);
    EXPECT_NE(error_of("redis://dis:]").find("port"), std::string::npos);
    EXPECT_NE(error_of("redis://a]b").find("IPv6 address needs brackets"), std::string::npos);
    EXPECT_NE(error_of("redis://::1:6379").find("IPv6 address needs brackets"), std::string::npos);
    EXPECT_NE(error_of("redis://[::1]x").find("after the IPv6 address"), std::string::npos);
}

// RFC 3986, as redis-py reads it: children (Python consumers among them) get the same
// credentials back.
TEST(RedisUrl, CredentialsArePercentDecodedAndEncoded) {
    auto endpoint = parse_url("redis://us%40er:p%2Fa%3Fs%23s%25@h:6400");
    EXPECT_EQ(endpoint.user, "us@er");
    EXPECT_EQ(endpoint.password, "p/a?s#s%");
    EXPECT_EQ(endpoint.host, "h");
    EXPECT_EQ(endpoint.to_url(), "redis://us%40er:p%2Fa%3Fs%23s%25@h:6400");
    EXPECT_EQ(endpoint.redacted(), "redis://us%40er:***@h:6400");
    EXPECT_NE(error_of("redis://u:50%@h").find("percent-encoding"), std::string::npos);
    EXPECT_NE(error_of("redis://u:%zz@h").find("percent-encoding"), std::string::npos);
}

// A typo in the scheme must not print the password into CI logs.
TEST(RedisUrl, AnUnsupportedUrlIsNotEchoed) {
    auto error = error_of("Redis://:s3cret-pw@host");
    EXPECT_NE(error.find("unsupported URL scheme 'Redis'"), std::string::npos) << error;
    EXPECT_EQ(error.find("s3cret-pw"), std::string::npos) << error;
    EXPECT_EQ(error_of("s3cret-pw@host").find("s3cret-pw"), std::string::npos);
}

TEST(RedisUrl, UnixSocketTakesCredentials) {
    auto endpoint = parse_url("unix://alice:s3cret@/run/redis.sock?db=1");
    EXPECT_EQ(endpoint.user, "alice");
    EXPECT_EQ(endpoint.password, "s3cret");
    EXPECT_EQ(endpoint.unix_path, "/run/redis.sock");
    EXPECT_EQ(endpoint.db, 1);
    EXPECT_EQ(parse_url("unix:///tmp/a@b.sock").unix_path, "/tmp/a@b.sock");
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
    auto redacted = parse_url("redis://:hunter2@localhost").redacted();
    EXPECT_EQ(redacted, "redis://:***@localhost:6379");
    EXPECT_EQ(parse_url("unix://u:pw@/tmp/r.sock").redacted(), "unix://u:***@/tmp/r.sock");
}

TEST(RedisUrlFormat, RedactedKeepsAUserWithoutPassword) {
    EXPECT_EQ(parse_url("redis://harness@h").redacted(), "redis://harness@h:6379");
}

TEST(RedisUrlFormat, RedactedWithoutPasswordHasNoCredentials) {
    EXPECT_EQ(parse_url("redis://localhost").redacted(), "redis://localhost:6379");
    EXPECT_EQ(parse_url("unix:///tmp/r.sock?db=2").redacted(), "unix:///tmp/r.sock?db=2");
}

TEST(RedisUrlFormat, ToUrlRoundTripsThroughParseUrl) {
    for (const std::string url :
         {"redis://localhost", "redis://10.1.2.3:7001/4", "redis://alice:s3cret@h:6400/1",
          "redis://hunter2@h", "redis://:pw@h:1", "redis://bob:p@ss@host/9",
          "redis://carol:a:b@host", "unix:///tmp/r.sock", "unix:///tmp/r.sock?db=3",
          "redis://[::1]:7000/1", "redis://u:p@[fe80::2]", "unix://u:p/w@/tmp/r.sock"}) {
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

TEST(RedisUrlTls, RedissWithoutParametersVerifiesAgainstTheSystemStoreAndTheHost) {
    auto endpoint = parse_url("rediss://alice:pw@cache.example:6380/2");
    EXPECT_TRUE(endpoint.tls.enabled);
    EXPECT_EQ(endpoint.host, "cache.example");
    EXPECT_EQ(endpoint.port, 6380);
    EXPECT_EQ(endpoint.db, 2);
    EXPECT_EQ(endpoint.user, "alice");
    EXPECT_TRUE(endpoint.tls.ca_file.empty());
    EXPECT_TRUE(endpoint.tls.verify_peer);
    EXPECT_TRUE(endpoint.tls.check_hostname);
    EXPECT_EQ(endpoint.tls.name_for(endpoint.host), "cache.example");
    EXPECT_FALSE(parse_url("redis://cache.example").tls.enabled);
}

TEST(RedisUrlTls, ReadsRedisPyParameters) {
    auto endpoint = parse_url(
        "rediss://h:1?ssl_ca_certs=/etc/ca.pem&ssl_certfile=/c/client.pem&ssl_keyfile=/c/"
        "client%20key.pem&ssl_cert_reqs=required&ssl_check_hostname=False&ssl_server_name=redis."
        "internal");
    EXPECT_EQ(endpoint.host, "h");
    EXPECT_EQ(endpoint.port, 1);
    EXPECT_EQ(endpoint.tls.ca_file, "/etc/ca.pem");
    EXPECT_EQ(endpoint.tls.cert_file, "/c/client.pem");
    EXPECT_EQ(endpoint.tls.key_file, "/c/client key.pem");
    EXPECT_TRUE(endpoint.tls.verify_peer);
    EXPECT_FALSE(endpoint.tls.check_hostname);
    EXPECT_EQ(endpoint.tls.name_for(endpoint.host), "redis.internal");
    EXPECT_FALSE(parse_url("rediss://h?ssl_cert_reqs=none").tls.verify_peer);
    EXPECT_TRUE(parse_url("rediss://h?ssl_cert_reqs=optional").tls.verify_peer);
}

TEST(RedisUrlTls, APasswordMayHoldAQuestionMarkBeforeTheParameters) {
    auto endpoint = parse_url("rediss://u:p?w/x@h:7?ssl_cert_reqs=none");
    EXPECT_EQ(endpoint.password, "p?w/x");
    EXPECT_EQ(endpoint.host, "h");
    EXPECT_EQ(endpoint.port, 7);
    EXPECT_FALSE(endpoint.tls.verify_peer);
}

TEST(RedisUrlTls, RejectsUnknownRepeatedOrInvalidParametersNamingThem) {
    EXPECT_NE(error_of("rediss://h?ssl_ca=/x").find("unknown URL parameter 'ssl_ca'"),
              std::string::npos);
    EXPECT_NE(error_of("rediss://h?ssl_ca=/x").find("ssl_ca_certs"), std::string::npos);
    EXPECT_NE(error_of("rediss://h?ssl_ca_certs=/a&ssl_ca_certs=/b").find("given twice"),
              std::string::npos);
    EXPECT_NE(error_of("rediss://h?ssl_ca_certs=").find("'ssl_ca_certs' has no value"),
              std::string::npos);
    EXPECT_NE(error_of("rediss://h?ssl_cert_reqs=maybe").find("ssl_cert_reqs"), std::string::npos);
    EXPECT_NE(error_of("rediss://h?ssl_check_hostname=perhaps").find("ssl_check_hostname"),
              std::string::npos);
    EXPECT_NE(error_of("rediss://h?ssl_ca_certs=/a%2").find("two hex digits"), std::string::npos);
    EXPECT_NE(error_of("rediss://h?ssl_certfile=/c.pem").find("go together"), std::string::npos);
    EXPECT_NE(error_of("redis://h?ssl_ca_certs=/a").find("need a rediss:// URL"),
              std::string::npos);
    EXPECT_NE(error_of("redis://h:1?timeout=3").find("takes no parameters"), std::string::npos);
}

TEST(RedisUrlTls, ToUrlHandsEverySettingOnWithAbsolutePaths) {
    auto endpoint = parse_url(
        "rediss://:pw@h:6390?ssl_ca_certs=ca.pem&ssl_certfile=/c/a%26b.pem"
        "&ssl_keyfile=/c/k.pem");
    auto cwd = std::filesystem::current_path().string();
    EXPECT_EQ(endpoint.to_url(), "rediss://:pw@h:6390?ssl_ca_certs=" + cwd +
                                     "/ca.pem&ssl_certfile=/c/a%26b.pem&ssl_keyfile=/c/k.pem"
                                     "&ssl_check_hostname=true");
    EXPECT_EQ(parse_url(endpoint.to_url()).tls.ca_file, cwd + "/ca.pem");
    EXPECT_EQ(endpoint.redacted().find("pw"), std::string::npos);
    EXPECT_EQ(endpoint.redacted().rfind("rediss://:***@h:6390?ssl_ca_certs=", 0), 0u);
    EXPECT_EQ(parse_url("rediss://h?ssl_cert_reqs=none").to_url(),
              "rediss://h:6379?ssl_cert_reqs=none");
    EXPECT_EQ(parse_url("rediss://h?ssl_server_name=n.example").to_url(),
              "rediss://h:6379?ssl_server_name=n.example");
}

TEST(RedisUrlTls, ToUrlRoundTripsThroughParseUrl) {
    for (const std::string url :
         {"rediss://h", "rediss://u:p@[::1]:7000/3?ssl_ca_certs=/ca.pem",
          "rediss://h?ssl_certfile=/c.pem&ssl_keyfile=/k.pem&ssl_cert_reqs=none",
          "rediss://h?ssl_check_hostname=false",
          "rediss://h?ssl_server_name=n&ssl_check_hostname=0",
          "rediss://h?ssl_ca_certs=/odd%20dir/a+b%2Bc%40d.pem"}) {
        SCOPED_TRACE(url);
        auto endpoint = parse_url(url);
        auto again = parse_url(endpoint.to_url());
        expect_same(again, endpoint);
        EXPECT_EQ(again.to_url(), endpoint.to_url());
    }
}

TEST(RedisUrlSentinel, ParsesSentinelsMasterNameCredentialsAndDb) {
    auto endpoint =
        parse_url("redis-sentinel://app:s%40cret@s1.example:26380,[::1],10.0.0.3/orders?db=2");
    ASSERT_EQ(endpoint.sentinels.size(), 3u);
    EXPECT_EQ(endpoint.sentinels[0].host, "s1.example");
    EXPECT_EQ(endpoint.sentinels[0].port, 26380);
    EXPECT_EQ(endpoint.sentinels[1].host, "::1");
    EXPECT_EQ(endpoint.sentinels[1].port, 26379);
    EXPECT_EQ(endpoint.sentinels[2].host, "10.0.0.3");
    EXPECT_EQ(endpoint.sentinels[2].port, 26379);
    EXPECT_EQ(endpoint.master_name, "orders");
    EXPECT_TRUE(endpoint.through_sentinel());
    EXPECT_EQ(endpoint.user, "app");
    EXPECT_EQ(endpoint.password, "s@cret");
    EXPECT_EQ(endpoint.db, 2);
    EXPECT_FALSE(endpoint.tls.enabled);
    EXPECT_TRUE(endpoint.unix_path.empty());
}

TEST(RedisUrlSentinel, OtherSchemesAreNotThroughSentinel) {
    EXPECT_FALSE(parse_url("redis://127.0.0.1:6379").through_sentinel());
    EXPECT_TRUE(parse_url("redis://127.0.0.1:6379").sentinels.empty());
    EXPECT_FALSE(parse_url("unix:///run/redis.sock").through_sentinel());
}

TEST(RedisUrlSentinel, AMissingMasterNameIsAnErrorNamingIt) {
    for (const auto* url : {"redis-sentinel://127.0.0.1:26379", "redis-sentinel://127.0.0.1:26379/",
                            "redis-sentinel://127.0.0.1:26379/?db=1"}) {
        auto error = error_of(url);
        EXPECT_NE(error.find("master name"), std::string::npos) << url << ": " << error;
    }
}

TEST(RedisUrlSentinel, RejectsBadHostsAndParametersWithoutEchoingThePassword) {
    EXPECT_NE(error_of("redis-sentinel://a:26379,,b:26379/m").find("empty host"),
              std::string::npos);
    EXPECT_NE(error_of("redis-sentinel://a:0/m").find("invalid port"), std::string::npos);
    EXPECT_NE(error_of("redis-sentinel://::1/m").find("IPv6 address needs brackets"),
              std::string::npos);
    EXPECT_NE(error_of("redis-sentinel://a/m?db=x").find("invalid database number"),
              std::string::npos);
    EXPECT_NE(error_of("redis-sentinel://a/m/3").find("?db=N"), std::string::npos);
    EXPECT_NE(error_of("redis-sentinel://a/m?timeout=3").find("only ?db=N"), std::string::npos);
    auto tls = error_of("redis-sentinel://u:topsecret@a/m?ssl_ca_certs=/ca.pem");
    EXPECT_NE(tls.find("TLS"), std::string::npos) << tls;
    EXPECT_NE(tls.find("plain"), std::string::npos) << tls;
    for (const auto* url : {"redis-sentinel://u:topsecret@a:99999/m",
                            "redis-sentinel://u:topsecret@a/m?ssl_certfile=x",
                            "redis-sentinel://u:topsecret@a", "redis-sentinel://u:topsecret@,/m"}) {
        auto error = error_of(url);
        EXPECT_FALSE(error.empty()) << url;
        EXPECT_EQ(error.find("topsecret"), std::string::npos) << error;
    }
}

TEST(RedisUrlSentinel, UnsupportedSchemeMessageNamesTheSentinelForm) {
    EXPECT_NE(error_of("sentinel://a/m").find("redis-sentinel://"), std::string::npos);
}

TEST(RedisUrlSentinel, RedactedAndToUrlWriteTheSentinelFormBack) {
    auto endpoint = parse_url("redis-sentinel://app:p%2Fw@s1:26380,[::1]:26381,s3/orders?db=4");
    EXPECT_EQ(endpoint.redacted(),
              "redis-sentinel://app:***@s1:26380,[::1]:26381,s3:26379/orders?db=4");
    EXPECT_EQ(endpoint.to_url(),
              "redis-sentinel://app:p%2Fw@s1:26380,[::1]:26381,s3:26379/orders?db=4");
    EXPECT_EQ(parse_url("redis-sentinel://s1/orders").to_url(), "redis-sentinel://s1:26379/orders");
}

TEST(RedisUrlSentinel, ToUrlRoundTripsThroughParseUrlAfterResolving) {
    auto endpoint = parse_url("redis-sentinel://:pw@s1:26380,s2:26381/my-master?db=1");
    // A resolved endpoint names the primary in host/port; its URL still names the Sentinels.
    auto resolved = endpoint;
    resolved.host = "10.1.2.3";
    resolved.port = 7000;
    auto again = parse_url(resolved.to_url());
    expect_same(again, endpoint);
    ASSERT_EQ(again.sentinels.size(), 2u);
    EXPECT_EQ(again.sentinels[1].host, "s2");
    EXPECT_EQ(again.sentinels[1].port, 26381);
    EXPECT_EQ(again.master_name, "my-master");
}

TEST(RedisUrlCluster, AbsentIsAutomaticAndYesNoAreReadOnEveryTcpScheme) {
    using sh::redis::ClusterMode;
    EXPECT_EQ(parse_url("redis://h:7000").cluster, ClusterMode::automatic);
    EXPECT_EQ(parse_url("redis://h:7000?cluster=yes").cluster, ClusterMode::on);
    EXPECT_EQ(parse_url("redis://h:7000/0?cluster=no").cluster, ClusterMode::off);
    auto tls = parse_url("rediss://h?ssl_cert_reqs=none&cluster=yes");
    EXPECT_EQ(tls.cluster, ClusterMode::on);
    EXPECT_FALSE(tls.tls.verify_peer);
    EXPECT_EQ(parse_url("unix:///tmp/r.sock?db=2&cluster=no").cluster, ClusterMode::off);
    EXPECT_EQ(parse_url("unix:///tmp/r.sock?db=2&cluster=no").db, 2);
    EXPECT_EQ(parse_url("redis-sentinel://s/m?cluster=no").cluster, ClusterMode::off);
}

TEST(RedisUrlCluster, ToUrlAndRedactedCarryTheParameter) {
    auto endpoint = parse_url("redis://:pw@h:7000?cluster=yes");
    EXPECT_EQ(endpoint.to_url(), "redis://:pw@h:7000?cluster=yes");
    EXPECT_EQ(endpoint.redacted(), "redis://:***@h:7000?cluster=yes");
    EXPECT_EQ(parse_url("redis://h:7000").to_url(), "redis://h:7000");
    auto tls = parse_url("rediss://h:7000?ssl_cert_reqs=none&cluster=no");
    EXPECT_EQ(tls.to_url(), "rediss://h:7000?ssl_cert_reqs=none&cluster=no");
    EXPECT_EQ(parse_url(tls.to_url()).cluster, sh::redis::ClusterMode::off);
    EXPECT_EQ(parse_url("redis-sentinel://s/m?db=3&cluster=no").to_url(),
              "redis-sentinel://s:26379/m?db=3&cluster=no");
}

TEST(RedisUrlCluster, ErrorsNameTheParameter) {
    EXPECT_NE(error_of("redis://h?cluster=maybe").find("'cluster'"), std::string::npos);
    EXPECT_NE(error_of("redis://h?cluster=").find("'cluster'"), std::string::npos);
    EXPECT_NE(error_of("redis://h?cluster=yes&cluster=no").find("'cluster' given twice"),
              std::string::npos);
    auto sentinel = error_of("redis-sentinel://s/m?cluster=yes");
    EXPECT_NE(sentinel.find("'cluster'"), std::string::npos) << sentinel;
    EXPECT_NE(sentinel.find("Sentinel"), std::string::npos) << sentinel;
    EXPECT_NE(error_of("unix:///tmp/r.sock?cluster=yes").find("'cluster'"), std::string::npos);
    EXPECT_NE(error_of("redis://h?cluster=yes&timeout=3").find("takes no parameters"),
              std::string::npos);
}
