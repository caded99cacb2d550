#include "harness/consume/consumer.hpp"

#include <algorithm>
#include <csignal>
#include <thread>

#include "harness/errors.hpp"
#include "harness/measure/clock.hpp"

namespace sh::consume {

namespace {

constexpr auto relaxed = std::memory_order_relaxed;
constexpr std::int64_t ns_per_ms = 1'000'000;
// An idle consumer with nothing pending is removed after this many claim idle times.
constexpr std::int64_t sweep_idle_factor = 10;

redis::ConnectionOptions options_for(const ConsumerConfig& config) {
    // The command timeout must outlast the longest BLOCK we issue.
    return {std::chrono::milliseconds(2000),
            std::chrono::milliseconds(config.group.block_ms + 5000), config.client_name};
}

bool is_reply(const std::exception& error, const char* code) {
    const auto* reply_error = dynamic_cast<const RedisReplyError*>(&error);
    return reply_error != nullptr && reply_error->redis_message().rfind(code, 0) == 0;
}

// This loop's share of one of the slot's gauges (entries in flight, applied and not acked,
// acked and not applied): added as it takes entries on, taken back when it is done with them
// or when the scope ends by an exception, so that loops sharing a slot (a consumer reading
// several shards) add up, and a batch cut short leaves nothing counted.
class GaugeShare {
  public:
    explicit GaugeShare(std::atomic<std::int64_t>& gauge) : gauge_(gauge) {}
    ~GaugeShare() { release(); }
    GaugeShare(const GaugeShare&) = delete;
    GaugeShare& operator=(const GaugeShare&) = delete;
    void add(std::int64_t count) {
        gauge_.fetch_add(count, relaxed);
        held_ += count;
    }
    void release() { add(-held_); }

  private:
    std::atomic<std::int64_t>& gauge_;
    std::int64_t held_ = 0;
};

}  // namespace

void Consumer::reset_slot(measure::ConsumerSlot& slot) {
    slot.state.in_flight.store(0, relaxed);
    slot.state.applied_unacked.store(0, relaxed);
    slot.state.acked_unapplied.store(0, relaxed);
    slot.state.parked.store(-1);
}

Consumer::Consumer(ConsumerConfig config, measure::ConsumerSlot& slot)
    : config_(std::move(config)),
      slot_(slot),
      connection_(config_.endpoint, options_for(config_)),
      store_(config_.effect_store ? std::optional<redis::Connection>(
                                        std::in_place, *config_.effect_store, options_for(config_))
                                  : std::nullopt),
      acknowledger_(config_.keys, config_.group, config_.name),
      dead_letterer_(config_.keys, config_.group.name, config_.name,
                     config_.group.dead_letter.delete_entry),
      sweeper_(config_.keys, config_.group.name, config_.name),
      sampler_(config_.group.service_time, config_.rng_seed) {}

bool Consumer::ensure_group() {
    return redis::create_group(connection_, config_.keys.stream(), config_.group.name,
                               config_.group_start_id);
}

void Consumer::enter(model::ConsumerWindow window) {
    auto value = static_cast<std::int64_t>(window);
    slot_.state.window.store(value, relaxed);
    auto armed = value;
    if (slot_.control.park_in_window.compare_exchange_strong(armed, -1)) {
        // The chaos controller waits for this: it kills or pauses the process right here.
        slot_.state.parked_ns.store(measure::monotonic_ns());
        slot_.state.parked.store(value);
        std::raise(SIGSTOP);
        slot_.state.parked.store(-1);
    }
}

void Consumer::skip_foreign(const std::vector<std::string>& ids) {
    if (ids.empty()) return;
    // Someone else's entries on a shared stream: acknowledged in the run's own group so they
    // do not stay pending there, and otherwise never applied, dead-lettered or deleted.
    acknowledger_.xack(connection_, ids);
    slot_.counters.foreign_skipped.fetch_add(ids.size(), relaxed);
}

void Consumer::run(const std::function<bool()>& stop_requested) {
    // The slot may be a killed predecessor's: start from a clean state (a process running a
    // loop per shard resets it once, before any of them starts).
    if (!config_.shares_slot) reset_slot(slot_);
    enter(model::ConsumerWindow::idle);
    const auto& group = config_.group;
    bool started = false;
    // What an earlier life under this name left pending is finished first.
    unfinished_batch_ = group.replay_pending;
    redis::Args read{"XREADGROUP", "GROUP",
                     group.name,   config_.name,
                     "COUNT",      std::to_string(group.batch),
                     "BLOCK",      std::to_string(group.block_ms),
                     "STREAMS",    config_.keys.stream(),
                     ">"};
    for (;;) {
        // Every batch: the cluster layer's redirections reach the report also when the
        // consumer is killed.
        account_outage();
        try {
            // Inside the loop: a connection lost during start-up (a disconnect just after a
            // restart) is recovered from like any other.
            if (!started) {
                ensure_group();
                started = true;
                // The supervisor waits for this: one start per process, from its first loop.
                if (config_.counts_start) slot_.counters.starts.fetch_add(1, relaxed);
            }
            // A broken connection may have cut off the ack of the batch in hand: finish those
            // entries now rather than leave them for a claim (or for a restart after a stop).
            if (unfinished_batch_) {
                replay_own_pending();
                unfinished_batch_ = false;
            }
            if (stop_requested()) return;
            if (group.claim.enabled && measure::monotonic_ns() >= next_claim_ns_) claim_pass();
            enter(model::ConsumerWindow::reading);
            auto reply = connection_.command(read);
            auto entries = redis::parse_read_reply(redis::ReplyView(reply.get()));
            if (entries.empty()) {
                enter(model::ConsumerWindow::idle);
                continue;
            }
            slot_.counters.read.fetch_add(entries.size(), relaxed);
            handle(entries, false);
            if (group.sleep_after_batch_ms > 0) {
                std::this_thread::sleep_for(std::chrono::milliseconds(group.sleep_after_batch_ms));
            }
        } catch (const RedisError& error) {
            recover_from(error);
        }
    }
}

void Consumer::recover_from(const std::exception& error) {
    slot_.counters.errors.fetch_add(1, relaxed);
    if (dynamic_cast<const RedisIoError*>(&error) != nullptr) {
        const redis::Backoff backoff{std::chrono::milliseconds(20), std::chrono::milliseconds(1000),
                                     std::chrono::milliseconds(30000)};
        // After a failover the stream's connection re-finds the primary through Sentinel.
        if (connection_.broken()) connection_.reconnect(backoff);
        if (store_ && store_->broken()) store_->reconnect(backoff);
        account_outage();
        slot_.counters.reconnects.fetch_add(1, relaxed);
        unfinished_batch_ = config_.group.replay_pending;
        return;
    }
    if (is_reply(error, "NOREPLICAS")) {
        // min-replicas-to-write: the primary refuses writes (XREADGROUP and XACK are writes)
        // until enough replicas are back, or until it is demoted: wait, it is not our fault.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        slot_.counters.refused_no_replicas.fetch_add(1, relaxed);
        return;
    }
    if (is_reply(error, "NOGROUP")) {
        // The group vanished (a restart without persistence): back off, then recreate it.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (ensure_group()) slot_.counters.group_recreated.fetch_add(1, relaxed);
        return;
    }
    throw;
}

void Consumer::account_outage() {
    auto total =
        std::chrono::duration_cast<std::chrono::milliseconds>(connection_.time_without_server())
            .count();
    auto refusals = connection_.not_primary_replies();
    if (refusals > refusals_reported_) {
        slot_.counters.not_primary_replies.fetch_add(
            static_cast<std::uint64_t>(refusals - refusals_reported_), relaxed);
        refusals_reported_ = refusals;
    }
    // The loops of one process (several shards) are without a server at the same time: the
    // first one's account stands for the process.
    if (config_.counts_start && total > outage_reported_ms_) {
        slot_.counters.no_primary_ms.fetch_add(
            static_cast<std::uint64_t>(total - outage_reported_ms_), relaxed);
        outage_reported_ms_ = total;
    }
    auto cluster = connection_.cluster_counters();
    auto report = [&](std::atomic<std::uint64_t>& counter, std::int64_t now, std::int64_t& then) {
        if (now > then) counter.fetch_add(static_cast<std::uint64_t>(now - then), relaxed);
        then = now;
    };
    report(slot_.counters.cluster_moved, cluster.moved, cluster_reported_.moved);
    report(slot_.counters.cluster_ask, cluster.ask, cluster_reported_.ask);
    report(slot_.counters.cluster_tryagain, cluster.tryagain, cluster_reported_.tryagain);
    report(slot_.counters.cluster_down, cluster.clusterdown, cluster_reported_.clusterdown);
    report(slot_.counters.cluster_readonly_unblocked, cluster.readonly_unblocked,
           cluster_reported_.readonly_unblocked);
}

void Consumer::wait_for_replicas() {
    if (!acknowledger_.wait_for_replicas(connection_)) {
        slot_.counters.ack_wait_short.fetch_add(1, relaxed);
    }
}

void Consumer::replay_own_pending() {
    // Reading from an ID returns this consumer's own pending entries after it; advancing the
    // start ID past each batch ends the replay even when some entries fail again.
    std::string start = "0";
    for (;;) {
        enter(model::ConsumerWindow::reading);
        auto reply = connection_.command({"XREADGROUP", "GROUP", config_.group.name, config_.name,
                                          "COUNT", std::to_string(config_.group.batch), "STREAMS",
                                          config_.keys.stream(), start});
        auto entries = redis::parse_read_reply(redis::ReplyView(reply.get()));
        if (entries.empty()) {
            enter(model::ConsumerWindow::idle);
            return;
        }
        slot_.counters.replayed.fetch_add(entries.size(), relaxed);
        start = entries.back().id;
        handle(entries, true);
    }
}

void Consumer::claim_pass() {
    const auto& claim = config_.group.claim;
    next_claim_ns_ = measure::monotonic_ns() + claim.interval_ms * ns_per_ms;
    enter(model::ConsumerWindow::reading);
    if (claim.max_deliveries > 0) {
        claim_with_delivery_limit();
    } else {
        autoclaim();
    }
    enter(model::ConsumerWindow::idle);
    if (config_.group.remove_idle_consumers && measure::monotonic_ns() >= next_sweep_ns_) {
        sweep_idle_consumers();
    }
}

void Consumer::claim_with_delivery_limit() {
    const auto& claim = config_.group.claim;
    auto pending = redis::xpending(connection_, config_.keys.stream(), config_.group.name,
                                   claim.min_idle_ms, claim.count);
    redis::Args xclaim{"XCLAIM", config_.keys.stream(), config_.group.name, config_.name,
                       std::to_string(claim.min_idle_ms)};
    const auto base_size = xclaim.size();
    for (const auto& entry : pending) {
        if (entry.deliveries >= claim.max_deliveries) {
            count_move(
                dead_letterer_.move(connection_, entry.id, "max-deliveries", entry.deliveries));
        } else {
            xclaim.push_back(entry.id);
        }
    }
    if (xclaim.size() == base_size) return;
    // XCLAIM re-checks min-idle, so an entry another consumer claimed meanwhile is skipped, and
    // it drops entries deleted from the stream from the pending list (Redis 7.0).
    auto reply = connection_.command(xclaim);
    auto entries = redis::parse_entries(redis::ReplyView(reply.get()));
    slot_.counters.claimed.fetch_add(entries.size(), relaxed);
    handle(entries, true);
}

void Consumer::autoclaim() {
    const auto& claim = config_.group.claim;
    auto reply = connection_.command({"XAUTOCLAIM", config_.keys.stream(), config_.group.name,
                                      config_.name, std::to_string(claim.min_idle_ms), "0-0",
                                      "COUNT", std::to_string(claim.count)});
    redis::ReplyView view(reply.get());
    auto entries = redis::parse_entries(view.element(1));
    if (view.size() > 2) slot_.counters.deleted_entries.fetch_add(view.element(2).size(), relaxed);
    slot_.counters.claimed.fetch_add(entries.size(), relaxed);
    handle(entries, true);
}

void Consumer::sweep_idle_consumers() {
    auto idle_ms = config_.group.claim.min_idle_ms * sweep_idle_factor;
    next_sweep_ns_ = measure::monotonic_ns() + idle_ms * ns_per_ms;
    auto removed = sweeper_.sweep(connection_, idle_ms);
    slot_.counters.consumers_removed.fetch_add(static_cast<std::uint64_t>(removed), relaxed);
}

void Consumer::count_move(DeadLetterer::Moved moved) {
    if (moved == DeadLetterer::Moved::moved) slot_.counters.dead_lettered.fetch_add(1, relaxed);
    if (moved == DeadLetterer::Moved::foreign) slot_.counters.foreign_skipped.fetch_add(1, relaxed);
}

void Consumer::handle(const std::vector<redis::StreamEntry>& entries, bool recovered) {
    // An empty claim is no batch: a fault aimed at `processing` must not land on nothing.
    if (entries.empty()) return;
    GaugeShare in_flight(slot_.state.in_flight);
    in_flight.add(static_cast<std::int64_t>(entries.size()));
    enter(model::ConsumerWindow::processing);
    std::vector<ProcessedEntry> batch;
    std::vector<std::string> deleted;
    std::vector<std::string> foreign;
    batch.reserve(entries.size());
    for (const auto& entry : entries) {
        if (entry.fields.empty()) {
            deleted.push_back(entry.id);  // trimmed or XDELed while pending: nothing to apply
            continue;
        }
        if (!model::stamped_by(entry.fields, config_.keys.stamp())) {
            foreign.push_back(entry.id);
            continue;
        }
        auto order = model::decode_order(entry.fields);
        if (!order) {
            slot_.counters.malformed.fetch_add(1, relaxed);
            count_move(dead_letterer_.move(connection_, entry.id, "malformed", 1));
            continue;
        }
        if (order->poison || sampler_.fails(config_.group.fail_ratio)) {
            // Left pending: the claim loop retries it, then dead-letters it at the limit.
            slot_.counters.failures.fetch_add(1, relaxed);
            continue;
        }
        batch.push_back({entry.id, *order});
    }
    if (!deleted.empty()) {
        acknowledger_.xack(connection_, deleted);
        slot_.counters.deleted_entries.fetch_add(deleted.size(), relaxed);
    }
    skip_foreign(foreign);
    if (!batch.empty()) apply_batch(batch, recovered);
    in_flight.release();
    enter(model::ConsumerWindow::idle);
    slot_.counters.batches.fetch_add(1, relaxed);
}

void Consumer::sleep_service_time(std::size_t orders) {
    std::chrono::microseconds total{0};
    auto override_us = slot_.control.service_override_us.load(relaxed);
    for (std::size_t i = 0; i < orders; ++i) {
        total += override_us >= 0 ? std::chrono::microseconds(override_us) : sampler_.next();
    }
    if (total.count() > 0) std::this_thread::sleep_for(total);
}

void Consumer::apply_batch(const std::vector<ProcessedEntry>& batch, bool recovered) {
    switch (config_.group.ack) {
        case workload::AckMode::atomic: {
            sleep_service_time(batch.size());
            record_latency(batch, acknowledger_.apply(connection_, ledger(), batch, true),
                           recovered);
            wait_for_replicas();
            return;
        }
        case workload::AckMode::after: {
            // The seed's pattern: each order's effect as it is processed, one XACK at the end.
            // A crash in between leaves applied orders pending: they are applied again.
            std::vector<std::string> ids;
            GaugeShare applied_unacked(slot_.state.applied_unacked);
            for (const auto& entry : batch) {
                sleep_service_time(1);
                record_latency({entry}, acknowledger_.apply(connection_, ledger(), {entry}, false),
                               recovered);
                applied_unacked.add(1);
                enter(model::ConsumerWindow::applied_unacked);
                ids.push_back(entry.id);
            }
            acknowledger_.xack(connection_, ids);
            applied_unacked.release();
            wait_for_replicas();
            return;
        }
        case workload::AckMode::before: {
            // At-most-once: acknowledged on receipt, so a crash mid-batch loses the rest.
            std::vector<std::string> ids;
            for (const auto& entry : batch) ids.push_back(entry.id);
            acknowledger_.xack(connection_, ids);
            wait_for_replicas();
            GaugeShare acked_unapplied(slot_.state.acked_unapplied);
            acked_unapplied.add(static_cast<std::int64_t>(batch.size()));
            for (const auto& entry : batch) {
                enter(model::ConsumerWindow::acked_unapplied);
                sleep_service_time(1);
                record_latency({entry}, acknowledger_.apply(connection_, ledger(), {entry}, false),
                               recovered);
                acked_unapplied.add(-1);
            }
            return;
        }
    }
}

void Consumer::record_latency(const std::vector<ProcessedEntry>& batch,
                              const std::vector<AckStatus>& statuses, bool recovered) {
    auto now = measure::monotonic_ns();
    auto& histogram = recovered ? slot_.latency_recovered : slot_.latency_first;
    auto& counters = slot_.counters;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        switch (statuses[i]) {
            case AckStatus::applied:
                counters.applied.fetch_add(1, relaxed);
                break;
            case AckStatus::duplicate:
                counters.duplicates.fetch_add(1, relaxed);
                break;
            case AckStatus::deduplicated:
                counters.deduplicated.fetch_add(1, relaxed);
                continue;
            case AckStatus::not_owned:
                counters.ack_not_owned.fetch_add(1, relaxed);
                continue;
        }
        // Another host's send time is on another clock: not a latency (§11.1).
        if (!config_.clock.times(batch[i].order.seq)) continue;
        auto latency_ns = std::max<std::int64_t>(0, now - batch[i].order.intended_send_ns);
        histogram.record(static_cast<std::uint64_t>(latency_ns / 1000));
    }
}

}  // namespace sh::consume
