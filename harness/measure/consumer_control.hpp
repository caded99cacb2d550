// The two small channels between the supervisor and a worker besides its statistics, kept in
// the worker's shared slot: what the supervisor (its chaos controller) asks of the worker, and
// where the worker is in its batch, published for faults to find and aim at.
#pragma once

#include <atomic>
#include <cstdint>

namespace sh::measure {

// Written by the supervisor, read by the worker between orders.
struct ConsumerControl {
    std::atomic<std::int64_t> service_override_us{-1};  // >= 0: the `slow` fault is on
    // >= 0: the next time the worker enters this model::ConsumerWindow it stops itself
    // (SIGSTOP) there, so a kill or pause lands exactly in that window; -1: not armed.
    std::atomic<std::int64_t> park_in_window{-1};
};

// Written by the worker, read by the supervisor.
struct ConsumerState {
    // Entries the worker has read and not finished (applied, failed or dead-lettered): lets a
    // fault find a worker mid-processing even in the `before` mode, where nothing is pending.
    std::atomic<std::int64_t> in_flight{0};
    std::atomic<std::int64_t> window{0};           // model::ConsumerWindow it is in now
    std::atomic<std::int64_t> parked{-1};          // the window it stopped itself in, or -1
    std::atomic<std::int64_t> parked_ns{0};        // when (monotonic): the first to arrive wins
    std::atomic<std::int64_t> applied_unacked{0};  // effects applied, batch not yet acked
    std::atomic<std::int64_t> acked_unapplied{0};  // acknowledged, effects not yet applied
};

}  // namespace sh::measure
