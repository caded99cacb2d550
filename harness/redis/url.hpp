// Where a Redis lives and how to log in: parsed from redis://, rediss://, unix:// and
// redis-sentinel:// URLs.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sh::redis {

// TLS for a rediss:// endpoint. The comments name the URL query parameters that carry each
// setting: redis-py's, so that one URL serves the harness's workers and Python consumers alike.
struct TlsSettings {
    bool enabled = false;        // rediss://
    std::string ca_file;         // ssl_ca_certs; empty: the system's trust store
    std::string cert_file;       // ssl_certfile: client certificate, for mutual TLS
    std::string key_file;        // ssl_keyfile: its private key
    std::string server_name;     // ssl_server_name (not redis-py's); empty: the URL host
    bool verify_peer = true;     // ssl_cert_reqs=none (--tls-insecure) turns verification off
    bool check_hostname = true;  // ssl_check_hostname=false: verify the chain, not the name

    // The name sent as SNI and checked against the server's certificate.
    const std::string& name_for(const std::string& host) const {
        return server_name.empty() ? host : server_name;
    }
};

// A Sentinel's address (redis-sentinel:// URLs list one or more).
struct HostPort {
    std::string host;
    int port = 26379;
};

// Whether a Connection routes over a Redis Cluster (URL parameter cluster=yes|no, absent:
// automatic, which asks the node on the first open).
enum class ClusterMode { automatic, on, off };

struct Endpoint {
    std::string host = "127.0.0.1";  // an IPv6 address without its URL brackets
    int port = 6379;
    std::string unix_path;  // non-empty: connect over a unix socket instead of TCP
    std::string user;       // empty with a password: legacy AUTH password
    std::string password;
    int db = 0;
    TlsSettings tls;
    // Set: the primary is found through these Sentinels (SENTINEL get-master-addr-by-name
    // master_name), on every connect and after a failover; host and port are then the primary
    // last found. The credentials, db and TLS settings above apply to the data nodes.
    std::vector<HostPort> sentinels;
    std::string master_name;
    ClusterMode cluster = ClusterMode::automatic;

    bool through_sentinel() const { return !master_name.empty(); }

    // The URL again, with the password replaced by "***" so it can go into logs and reports.
    std::string redacted() const;
    // The URL again, password included: for handing the endpoint to a child process. TLS
    // settings become query parameters, file paths absolute (a child may run elsewhere).
    std::string to_url() const;
};

// redis://[user[:password]@]host[:port][/db] (host may be [IPv6]),
// rediss://...[?ssl_ca_certs=F&ssl_certfile=F&ssl_keyfile=F&ssl_cert_reqs=none|required
// &ssl_check_hostname=B&ssl_server_name=N], unix://[user[:password]@]/path[?db=N] or
// redis-sentinel://[user[:password]@]host[:port][,host[:port]...]/master-name[?db=N] (port
// 26379 by default; plain TCP only; the credentials and db are the data nodes'). Each also takes
// cluster=yes|no (yes is refused for unix sockets and Sentinel: both reach a single node);
// throws std::invalid_argument with the reason (never the password) when the URL is malformed.
Endpoint parse_url(const std::string& url);

// "host:port", an IPv6 host in brackets ("[::1]:6379"): for URLs and messages.
std::string format_host_port(const std::string& host, int port);

}  // namespace sh::redis
