// Agents (DESIGN §11.1): N harness processes, on one host or many, share one run against one
// Redis. What each one's share of the run is follows from its index alone, so the agents need
// no coordinator beyond the barrier they meet at in Redis.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sh::model {

struct AgentShare {
    int index = 1;  // 1-based
    int count = 1;

    bool solo() const { return count == 1; }
    bool leader() const { return index == 1; }  // creates the run's keys and record
    std::string label() const { return std::to_string(index) + "/" + std::to_string(count); }

    // Order numbers are interleaved: this agent's k-th order is k * N + (index - 1). The
    // agents' numbers never collide, and together they are dense when the agents' shares of
    // the orders differ by one at most (as many producers each, give or take one).
    std::uint64_t order_number(std::uint64_t local) const {
        return local * static_cast<std::uint64_t>(count) + static_cast<std::uint64_t>(index - 1);
    }
    // Which agent (1-based) produced an order.
    int agent_of_order(std::uint64_t order) const {
        return static_cast<int>(order % static_cast<std::uint64_t>(count)) + 1;
    }
    // This agent's part of `total` producers: total / N, plus one for the first total % N
    // agents.
    std::int64_t share_of(std::int64_t total) const {
        return total / count + (index <= total % count ? 1 : 0);
    }
    // Its part of `orders` when `producers` share them evenly: in proportion to its producers,
    // so that every agent's load lasts as long at the workload's rate per producer. The parts
    // add up to `orders`.
    std::int64_t orders_share(std::int64_t orders, std::int64_t producers) const;
    // Consumer instance i (1-based within its group) runs on agent ((i - 1) % N) + 1.
    bool runs_instance(int instance) const { return (instance - 1) % count == index - 1; }
};

// "I/N" with 1 <= I <= N <= max_agents; nullopt and `error` set otherwise.
inline constexpr int max_agents = 256;
std::optional<AgentShare> parse_agent_share(const std::string& text, std::string& error);

// Which orders' end-to-end latency a consumer may take. Latency subtracts the producer's
// CLOCK_MONOTONIC send time from the consumer's: only meaningful when both ran under one kernel
// (one boot id), so a consumer times only orders produced by agents on its own clock.
class SharedClock {
  public:
    SharedClock() = default;  // one agent: every order
    // same_clock[a - 1]: agent a runs under this consumer's clock.
    explicit SharedClock(std::vector<bool> same_clock) : same_clock_(std::move(same_clock)) {}
    bool times(std::uint64_t order) const {
        return same_clock_.size() <= 1 || same_clock_[order % same_clock_.size()];
    }
    // "1,3" of 3 agents; parse() takes it back ("" is every order).
    std::string to_string() const;
    static std::optional<SharedClock> parse(const std::string& agents, int count);

  private:
    std::vector<bool> same_clock_;
};

}  // namespace sh::model
