// What a run does on the target Redis around its load: checks that the server can hold an
// honest verdict, creates the run's consumer groups without ever taking over one it did not
// create, and afterwards removes exactly what it created and nothing else (DESIGN §10).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "harness/model/keys.hpp"
#include "harness/redis/connection.hpp"
#include "harness/run/run_result.hpp"

namespace sh::run {

struct ServerFacts {
    std::string version;
    std::string maxmemory_policy;
    RedisConfig config;  // the first node's (a cluster's nodes are started alike)
};

// Refuses (EnvironmentError) a Redis older than 6.2, and one whose maxmemory-policy may evict
// the run's ledger (allkeys-* or volatile-*) unless allow_eviction. `embedded`: the harness
// started the server, so it may read its configuration with CONFIG GET; a user's server is
// sent only the commands the README's least-privilege grant lists, so there appendfsync and
// io-threads stay unknown.
ServerFacts check_server(redis::Connection& connection, bool allow_eviction, bool embedded);
// Keys evicted while the run goes, counted per server process (INFO `run_id`): a node that
// restarted or was promoted during the run has a count of its own, a demoted one is still read
// as a replica. Only what a process evicted after its last reading and before it died is not
// seen, so read() is called every second.
class EvictionCount {
  public:
    explicit EvictionCount(redis::Connection& connection);  // the baseline
    // From baselines taken before (per server run_id): `merge` counts from its agents' first.
    explicit EvictionCount(std::map<std::string, std::int64_t> baselines)
        : first_(baselines), last_(std::move(baselines)) {}
    // Adds what every node evicted since it was last read; a node that cannot be read now is
    // read next time.
    void read(redis::Connection& connection);
    std::int64_t total() const { return total_; }
    const std::map<std::string, std::int64_t>& baselines() const { return first_; }

  private:
    std::map<std::string, std::int64_t> first_;  // run_id -> evicted_keys when first read
    std::map<std::string, std::int64_t> last_;   // run_id -> evicted_keys when last read
    std::int64_t total_ = 0;
};

// Disconnect faults and external consumers find connections with CLIENT LIST and end them with
// CLIENT KILL, which a least-privilege ACL user lacks unless granted: refused (EnvironmentError
// naming the grant) before anything is created, rather than half-way through the run.
void require_client_commands(redis::Connection& connection);

// The record of what the run created, filled in as it goes so that a failure half-way still
// cleans up exactly what exists.
struct CreatedOnRedis {
    bool stream = false;               // the stream did not exist before the run
    std::vector<std::string> groups;   // groups the run created
    std::string group_start_id = "0";  // the ID the groups start at
};

// Creates the groups before the first XADD. On a stream that already exists they start at its
// last ID (the run judges only entries it produces), and a group that already exists there is
// refused with EnvironmentError: it belongs to someone else.
// On every shard: the record is the first shard's (the others are run-scoped, new streams).
void create_run_groups(redis::Connection& connection, const model::StreamShards& shards,
                       const std::vector<std::string>& groups, CreatedOnRedis& record);

// Deletes the run's own keys, the stream only if the run created it and nobody else has put a
// group or an entry in it since, and destroys only the groups the run created; the run's
// record last, and only when every group went. Returns what it kept or could not remove, and
// why, for the report: notes starting with could_not_destroy are failures.
inline constexpr const char* could_not_destroy = "could not destroy the run's group ";
std::vector<std::string> remove_created(redis::Connection& connection,
                                        const model::StreamShards& shards,
                                        const std::vector<std::string>& groups,
                                        const CreatedOnRedis& record);

// Removes what the run created when the run ends by an error (best effort: the error that
// ended the run is the one to report); a run that ends normally calls remove() itself.
class CreatedCleanup {
  public:
    CreatedCleanup(redis::Connection& connection, const model::StreamShards& shards,
                   std::vector<std::string> groups, bool enabled);
    ~CreatedCleanup();
    CreatedCleanup(const CreatedCleanup&) = delete;
    CreatedCleanup& operator=(const CreatedCleanup&) = delete;

    CreatedOnRedis& record() { return record_; }
    std::vector<std::string> remove();
    // From now on the keys stay, also on an error (agent 1 once its record names them).
    void keep() { enabled_ = false; }

  private:
    redis::Connection& connection_;
    const model::StreamShards& shards_;
    std::vector<std::string> groups_;
    bool enabled_;
    CreatedOnRedis record_;
};

}  // namespace sh::run
