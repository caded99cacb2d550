// Housekeeping of a group's consumers: removing the ones that have gone idle holding nothing.
#pragma once

#include <cstdint>
#include <string>

#include "harness/model/keys.hpp"
#include "harness/redis/script.hpp"

namespace sh::consume {

// Removes consumers of the group that hold nothing pending and have been idle at least
// min_idle_ms, except `self`. Check and delete run in one script: XGROUP DELCONSUMER drops
// whatever the consumer still holds, which would be a silent loss. Returns how many went.
class ConsumerSweeper {
  public:
    ConsumerSweeper(const model::RunKeys& keys, std::string group, std::string self);
    std::int64_t sweep(redis::Connection& connection, std::int64_t min_idle_ms);

  private:
    const model::RunKeys& keys_;
    std::string group_;
    std::string self_;
    redis::Script script_;
};

}  // namespace sh::consume
