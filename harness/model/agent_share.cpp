#include "harness/model/agent_share.hpp"

#include <charconv>
#include <sstream>

namespace sh::model {

namespace {

std::optional<int> parse_int(const std::string& text) {
    int value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace

std::int64_t AgentShare::orders_share(std::int64_t orders, std::int64_t producers) const {
    std::int64_t before = 0;  // producers of the agents before this one
    for (int other = 1; other < index; ++other) {
        before += AgentShare{other, count}.share_of(producers);
    }
    auto mine = share_of(producers);
    // Cumulative and rounded down, so the parts add up to exactly `orders`.
    return orders * (before + mine) / producers - orders * before / producers;
}

std::optional<AgentShare> parse_agent_share(const std::string& text, std::string& error) {
    auto slash = text.find('/');
    auto index = slash == std::string::npos ? std::nullopt : parse_int(text.substr(0, slash));
    auto count = slash == std::string::npos ? std::nullopt : parse_int(text.substr(slash + 1));
    if (!index || !count || *count < 1 || *count > max_agents || *index < 1 || *index > *count) {
        error = "'" + text + "': an agent is I/N, 1 <= I <= N <= " + std::to_string(max_agents) +
                " (agent 2 of 3 is 2/3)";
        return std::nullopt;
    }
    return AgentShare{*index, *count};
}

std::string SharedClock::to_string() const {
    std::string text;
    for (std::size_t agent = 0; agent < same_clock_.size(); ++agent) {
        if (!same_clock_[agent]) continue;
        text += (text.empty() ? "" : ",") + std::to_string(agent + 1);
    }
    return text;
}

std::optional<SharedClock> SharedClock::parse(const std::string& agents, int count) {
    if (agents.empty() || count <= 1) return SharedClock();
    std::vector<bool> same_clock(static_cast<std::size_t>(count), false);
    std::istringstream list(agents);
    std::string item;
    while (std::getline(list, item, ',')) {
        auto agent = parse_int(item);
        if (!agent || *agent < 1 || *agent > count) return std::nullopt;
        same_clock[static_cast<std::size_t>(*agent - 1)] = true;
    }
    return SharedClock(std::move(same_clock));
}

}  // namespace sh::model
