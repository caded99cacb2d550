// A producer thread: open-loop schedule (constant or Poisson arrivals, or as fast as possible),
// pipelined XADD, every order's outcome recorded in the run's outcome table.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "harness/measure/histogram.hpp"
#include "harness/model/agent_share.hpp"
#include "harness/model/order.hpp"
#include "harness/model/outcome_table.hpp"
#include "harness/produce/order_sequencer.hpp"
#include "harness/redis/url.hpp"
#include "harness/workload/workload.hpp"

namespace sh::produce {

struct ProducerConfig {
    redis::Endpoint endpoint;
    // One stream per shard: an order goes to its user's (model::shard_of_user).
    std::vector<std::string> stream_keys;
    std::string stamp;  // the run's stamp, written in every entry's `run` field
    workload::ProducerSpec spec;
    std::size_t payload_bytes = 64;
    enum class Pace {
        scheduled,            // open loop at rate_per_producer
        controlled,           // open loop at *controlled_rate, which the max-rate controller moves
        as_fast_as_possible,  // no schedule: each pipeline as soon as the last one is answered
    };
    Pace pace = Pace::scheduled;
    double rate_per_producer = 0;                          // orders/s for this thread
    const std::atomic<double>* controlled_rate = nullptr;  // read for every order
    std::int64_t start_ns = 0;                             // schedule origin (monotonic)
    std::int64_t end_ns = 0;                               // no intended send time at or after this
    std::uint64_t rng_seed = 1;
    std::string client_name;
    model::AgentShare agent;  // whose order numbers the sequencer's numbers map to
};

struct ProducerTotals {
    std::atomic<std::uint64_t> ok{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<std::uint64_t> indeterminate{0};
    std::atomic<std::uint64_t> reconnects{0};
    // producers.wait: WAITs that returned fewer replicas than asked.
    std::atomic<std::uint64_t> wait_short{0};
    // Time without a server (a failover: until Sentinel named the new primary), summed, and
    // the longest any one producer went without.
    std::atomic<std::uint64_t> no_primary_ms{0};
    std::atomic<std::uint64_t> no_primary_max_ms{0};
    // READONLY, MASTERDOWN or UNBLOCKED replies: the node was no longer the primary.
    std::atomic<std::uint64_t> not_primary_replies{0};
    // On a Redis Cluster: what the connection layer absorbed (MOVED, ASK, TRYAGAIN,
    // CLUSTERDOWN replies), added when a producer ends.
    std::atomic<std::uint64_t> cluster_moved{0};
    std::atomic<std::uint64_t> cluster_ask{0};
    std::atomic<std::uint64_t> cluster_tryagain{0};
    std::atomic<std::uint64_t> cluster_down{0};
    std::atomic<std::uint64_t> cluster_readonly_unblocked{0};
};

class Producer {
  public:
    Producer(ProducerConfig config, const model::OrderAttributes& attributes,
             OrderSequencer& sequencer, model::OutcomeTable& outcomes, ProducerTotals& totals);

    // Runs until the schedule ends, the sequencer is exhausted or stop is set. Connection loss
    // marks the in-flight orders indeterminate and reconnects; throws only when Redis stays away.
    void run(const std::atomic<bool>& stop);
    // The schedule's origin and end (monotonic ns), set when the pool starts.
    void set_window(std::int64_t start_ns, std::int64_t end_ns) {
        config_.start_ns = start_ns;
        config_.end_ns = end_ns;
        next_intended_ns_.store(start_ns);
    }

    // How far the producer is behind its schedule (0 when on time): the open-loop schedule's
    // next intended send time against now.
    std::int64_t behind_ns(std::int64_t now_ns) const {
        return std::max<std::int64_t>(0,
                                      now_ns - next_intended_ns_.load(std::memory_order_relaxed));
    }

    const measure::Histogram& xadd_latency() const { return *xadd_latency_; }
    // Redis's first error reply to an XADD (WRONGTYPE, OOM...), empty if none; read it after
    // run() returned.
    const std::string& first_error() const { return first_error_; }

  private:
    void record(model::OutcomeTable::Writer& outcomes, std::uint64_t seq, model::Outcome outcome);
    ProducerConfig config_;
    const model::OrderAttributes& attributes_;
    OrderSequencer& sequencer_;
    model::OutcomeTable& outcomes_;
    ProducerTotals& totals_;
    std::unique_ptr<measure::Histogram> xadd_latency_;
    std::atomic<std::int64_t> next_intended_ns_{0};
    std::string first_error_;
};

}  // namespace sh::produce
