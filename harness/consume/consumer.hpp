// One consumer of a group (DESIGN §5): own-PEL replay, XREADGROUP ">" without sleeping, the
// group's ack mode, the claim loop with dead letters, and housekeeping of idle consumers.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/consume/acknowledger.hpp"
#include "harness/consume/consumer_sweeper.hpp"
#include "harness/consume/dead_letterer.hpp"
#include "harness/consume/service_time.hpp"
#include "harness/measure/consumer_stats.hpp"
#include "harness/model/agent_share.hpp"
#include "harness/model/keys.hpp"
#include "harness/redis/connection.hpp"
#include "harness/redis/streams.hpp"
#include "harness/workload/workload.hpp"

namespace sh::consume {

struct ConsumerConfig {
    redis::Endpoint endpoint;
    model::RunKeys keys;
    workload::GroupSpec group;
    std::string name;         // consumer name inside the group
    std::string client_name;  // CLIENT SETNAME, so a fault can find this connection
    std::uint64_t rng_seed = 1;
    // Where the group starts when it has to be created again (after a Redis restart without
    // persistence): the ID the supervisor created it at, so a stream shared with other writers
    // is not read from its beginning.
    std::string group_start_id = "0";
    // groups[].effect_store separate: the server that holds the ledger (DESIGN §7.1).
    std::optional<redis::Endpoint> effect_store;
    // The orders whose end-to-end latency it takes: those produced under its own clock.
    model::SharedClock clock;
    // A consumer reading several shards runs a loop per shard in one process, sharing its
    // slot: the process resets the slot once (reset_slot), and one loop counts the start.
    bool shares_slot = false;
    bool counts_start = true;
};

class Consumer {
  public:
    Consumer(ConsumerConfig config, measure::ConsumerSlot& slot);

    // Runs until stop_requested() turns true between batches; a batch in hand is finished and
    // acknowledged first. Throws EnvironmentError when Redis stays unreachable.
    void run(const std::function<bool()>& stop_requested);
    // A clean slot for a new process (what a killed predecessor left is not its).
    static void reset_slot(measure::ConsumerSlot& slot);

  private:
    bool ensure_group();  // true when it created the group
    void replay_own_pending();
    void claim_pass();
    void claim_with_delivery_limit();
    void autoclaim();
    void sweep_idle_consumers();
    // Processes delivered entries; recovered: they were delivered before (replay or claim).
    void handle(const std::vector<redis::StreamEntry>& entries, bool recovered);
    void apply_batch(const std::vector<ProcessedEntry>& batch, bool recovered);
    void record_latency(const std::vector<ProcessedEntry>& batch,
                        const std::vector<AckStatus>& statuses, bool recovered);
    void sleep_service_time(std::size_t orders);
    void recover_from(const std::exception& error);
    // Publishes where in the batch this consumer is; stops here when a fault is aimed at it.
    void enter(model::ConsumerWindow window);
    void skip_foreign(const std::vector<std::string>& ids);
    void count_move(DeadLetterer::Moved moved);
    // Where effects are applied: the separate store, or the stream's own connection.
    redis::Connection& ledger() { return store_ ? *store_ : connection_; }
    // groups[].ack_wait after an acknowledgement; a short answer is counted, not an error.
    void wait_for_replicas();
    // Adds the time the connections spent without a server, their not-primary replies and the
    // cluster layer's redirections since the last call.
    void account_outage();

    ConsumerConfig config_;
    measure::ConsumerSlot& slot_;
    redis::Connection connection_;
    std::optional<redis::Connection> store_;
    Acknowledger acknowledger_;
    DeadLetterer dead_letterer_;
    ConsumerSweeper sweeper_;
    ServiceTimeSampler sampler_;
    std::int64_t next_claim_ns_ = 0;
    std::int64_t next_sweep_ns_ = 0;
    bool unfinished_batch_ = false;  // an I/O error may have left our own entries pending
    std::int64_t outage_reported_ms_ = 0;
    std::int64_t refusals_reported_ = 0;
    redis::ClusterCounters cluster_reported_;
};

}  // namespace sh::consume
