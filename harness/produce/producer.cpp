#include "harness/produce/producer.hpp"

#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "harness/errors.hpp"
#include "harness/measure/clock.hpp"
#include "harness/model/keys.hpp"
#include "harness/redis/connection.hpp"
#include "harness/redis/replication_wait.hpp"

namespace sh::produce {

namespace {

std::uint64_t outage_ms(const redis::Connection& connection) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(connection.time_without_server())
            .count());
}

// Intended send times of the open-loop schedule, at a fixed rate or at the rate controller's
// current one; as fast as possible, "now" whenever asked.
class Schedule {
  public:
    Schedule(const ProducerConfig& config)
        : pace_(config.pace),
          rate_(config.rate_per_producer),
          controlled_rate_(config.controlled_rate),
          poisson_(config.spec.arrival == workload::Arrival::poisson),
          next_ns_(config.start_ns),
          rng_(config.rng_seed) {}

    bool open_loop() const { return pace_ != ProducerConfig::Pace::as_fast_as_possible; }
    std::int64_t peek() const { return next_ns_; }
    std::int64_t take(std::int64_t now_ns) {
        if (!open_loop()) return now_ns;
        auto intended = next_ns_;
        double rate = pace_ == ProducerConfig::Pace::controlled
                          ? controlled_rate_->load(std::memory_order_relaxed)
                          : rate_;
        // A zero rate would put the next send time at infinity (undefined as an integer): the
        // producer would then find every order due and never reach the end of its window.
        if (!(rate > 0)) throw std::logic_error("producer schedule without a rate");
        double gap_s = poisson_ ? std::exponential_distribution<double>(rate)(rng_) : 1.0 / rate;
        next_ns_ += static_cast<std::int64_t>(gap_s * 1e9);
        return intended;
    }

  private:
    ProducerConfig::Pace pace_;
    double rate_;
    const std::atomic<double>* controlled_rate_;
    bool poisson_;
    std::int64_t next_ns_;
    std::mt19937_64 rng_;
};

struct InFlight {
    std::uint64_t seq;
    std::int64_t sent_ns;
};

// Adds what the cluster layer absorbed to the totals when the producer ends, by error too.
class ClusterTallyOnExit {
  public:
    ClusterTallyOnExit(const redis::Connection& connection, ProducerTotals& totals)
        : connection_(connection), totals_(totals) {}
    ~ClusterTallyOnExit() {
        auto counters = connection_.cluster_counters();
        auto add = [](std::atomic<std::uint64_t>& total, std::int64_t value) {
            total.fetch_add(static_cast<std::uint64_t>(value), std::memory_order_relaxed);
        };
        add(totals_.cluster_moved, counters.moved);
        add(totals_.cluster_ask, counters.ask);
        add(totals_.cluster_tryagain, counters.tryagain);
        add(totals_.cluster_down, counters.clusterdown);
        add(totals_.cluster_readonly_unblocked, counters.readonly_unblocked);
    }
    ClusterTallyOnExit(const ClusterTallyOnExit&) = delete;
    ClusterTallyOnExit& operator=(const ClusterTallyOnExit&) = delete;

  private:
    const redis::Connection& connection_;
    ProducerTotals& totals_;
};

}  // namespace

Producer::Producer(ProducerConfig config, const model::OrderAttributes& attributes,
                   OrderSequencer& sequencer, model::OutcomeTable& outcomes, ProducerTotals& totals)
    : config_(std::move(config)),
      attributes_(attributes),
      sequencer_(sequencer),
      outcomes_(outcomes),
      totals_(totals),
      xadd_latency_(std::make_unique<measure::Histogram>()) {}

void Producer::record(model::OutcomeTable::Writer& outcomes, std::uint64_t seq,
                      model::Outcome outcome) {
    outcomes.record(seq, outcome);
    auto& total = outcome == model::Outcome::ok       ? totals_.ok
                  : outcome == model::Outcome::failed ? totals_.failed
                                                      : totals_.indeterminate;
    total.fetch_add(1, std::memory_order_relaxed);
}

void Producer::run(const std::atomic<bool>& stop) {
    redis::Connection connection(
        config_.endpoint,
        {std::chrono::milliseconds(2000), std::chrono::milliseconds(5000), config_.client_name});
    ClusterTallyOnExit cluster_tally(connection, totals_);
    Schedule schedule(config_);
    const auto depth = static_cast<std::uint64_t>(config_.spec.pipeline);
    std::vector<InFlight> in_flight;
    in_flight.reserve(depth);
    std::uint64_t next_seq = 0;
    std::uint64_t seq_left = 0;
    redis::CommandBuffer xadds;
    model::OutcomeTable::Writer outcomes(outcomes_);
    const auto& spec_wait = config_.spec.wait;
    const redis::WaitRequest wait{spec_wait.replicas, spec_wait.aof_local, spec_wait.aof_replicas,
                                  spec_wait.timeout_ms};
    std::uint64_t reported_outage_ms = 0;
    std::uint64_t reported_refusals = 0;
    std::vector<std::uint64_t> awaiting;  // XADDs accepted, their WAIT not answered yet

    while (!stop.load(std::memory_order_relaxed)) {
        auto now = measure::monotonic_ns();
        next_intended_ns_.store(schedule.open_loop() ? schedule.peek() : now,
                                std::memory_order_relaxed);
        if (schedule.open_loop() && schedule.peek() >= config_.end_ns) break;
        if (!schedule.open_loop() && now >= config_.end_ns) break;
        if (schedule.open_loop() && schedule.peek() > now) {
            std::this_thread::sleep_for(std::chrono::nanoseconds(schedule.peek() - now));
            continue;
        }
        // Send every order that is due (up to the pipeline depth) in one round trip.
        in_flight.clear();
        xadds.clear();
        std::size_t answered = 0;
        try {
            while (in_flight.size() < depth) {
                if (schedule.open_loop() &&
                    (schedule.peek() > now || schedule.peek() >= config_.end_ns)) {
                    break;
                }
                if (seq_left == 0) {
                    std::tie(next_seq, seq_left) = sequencer_.claim(depth);
                    if (seq_left == 0) break;
                }
                auto intended = schedule.take(now);
                // Another agent's producers number their orders in between (§11.1).
                auto order = attributes_.make(config_.agent.order_number(next_seq), intended);
                const auto& stream =
                    config_
                        .stream_keys[model::shard_of_user(order.user, config_.stream_keys.size())];
                model::append_xadd(xadds, stream, config_.stamp, order, config_.payload_bytes);
                in_flight.push_back({order.seq, now});
                ++next_seq;
                --seq_left;
            }
            if (in_flight.empty()) break;  // the sequencer is exhausted
            connection.append(xadds);
            if (wait.enabled()) connection.append(redis::wait_command(wait));
            for (; answered < in_flight.size(); ++answered) {
                auto reply = connection.read_reply();
                auto done = measure::monotonic_ns();
                const auto& order = in_flight[answered];
                redis::ReplyView view(reply.get());
                bool ok = !view.is_error();
                if (!ok && first_error_.empty()) first_error_ = std::string(view.text());
                if (ok && wait.enabled()) {
                    awaiting.push_back(order.seq);
                } else {
                    record(outcomes, order.seq, ok ? model::Outcome::ok : model::Outcome::failed);
                }
                xadd_latency_->record(static_cast<std::uint64_t>(done - order.sent_ns) / 1000);
            }
            if (wait.enabled()) {
                bool durable =
                    redis::wait_satisfied(redis::ReplyView(connection.read_reply().get()), wait);
                if (!durable) totals_.wait_short.fetch_add(1, std::memory_order_relaxed);
                // Written, but not confirmed by the replicas the workload asks for: not an
                // acknowledged order, and never counted as lost if a failover drops it.
                for (auto seq : awaiting) {
                    record(outcomes, seq,
                           durable ? model::Outcome::ok : model::Outcome::indeterminate);
                }
                awaiting.clear();
            }
        } catch (const RedisIoError&) {
            for (auto seq : awaiting) record(outcomes, seq, model::Outcome::indeterminate);
            awaiting.clear();
            // No reply: each of these may or may not be in the stream.
            for (; answered < in_flight.size(); ++answered) {
                outcomes.record(in_flight[answered].seq, model::Outcome::indeterminate);
                totals_.indeterminate.fetch_add(1, std::memory_order_relaxed);
            }
            // Numbers claimed before the break are not sent after it: an order sent to a
            // restarted server must be numbered above the restart's watermark.
            seq_left = 0;
            connection.reconnect({});
            totals_.reconnects.fetch_add(1, std::memory_order_relaxed);
            auto outage = outage_ms(connection) - reported_outage_ms;
            reported_outage_ms += outage;
            auto refusals = static_cast<std::uint64_t>(connection.not_primary_replies());
            totals_.not_primary_replies.fetch_add(refusals - reported_refusals,
                                                  std::memory_order_relaxed);
            reported_refusals = refusals;
            totals_.no_primary_ms.fetch_add(outage, std::memory_order_relaxed);
            auto longest = totals_.no_primary_max_ms.load(std::memory_order_relaxed);
            while (outage > longest && !totals_.no_primary_max_ms.compare_exchange_weak(
                                           longest, outage, std::memory_order_relaxed)) {
            }
        }
    }
}

}  // namespace sh::produce
