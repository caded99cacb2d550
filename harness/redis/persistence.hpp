// How a Redis server keeps its data across a restart: what a workload asks of the embedded
// server, and the names it is written with in workloads and reports (the one table of them).
#pragma once

#include <array>
#include <string_view>
#include <utility>

namespace sh::redis {

enum class Persistence { none, aof_everysec, aof_always };

inline constexpr std::array<std::pair<std::string_view, Persistence>, 3> persistence_names{{
    {"none", Persistence::none},
    {"aof-everysec", Persistence::aof_everysec},
    {"aof-always", Persistence::aof_always},
}};

constexpr std::string_view to_string(Persistence persistence) {
    for (const auto& [name, value] : persistence_names) {
        if (value == persistence) return name;
    }
    return "?";
}

}  // namespace sh::redis
