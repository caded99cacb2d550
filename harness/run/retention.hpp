// Stream retention while a run is going. `safe` trims only entries every group is done with:
// below the oldest entry still pending in any group and at or below every group's last
// delivered ID (XTRIM MINID). `unsafe` is a plain XTRIM MAXLEN, which deletes entries a group
// has not read or not acknowledged yet: it exists so the verifier can be shown catching that.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/redis/connection.hpp"
#include "harness/workload/workload.hpp"

namespace sh::run {

class Retention {
  public:
    // stream_keys: one per shard; max_len applies to each.
    Retention(workload::Retention spec, std::vector<std::string> stream_keys,
              std::vector<std::string> groups);

    // Trims when the interval has passed; returns entries deleted by this call.
    std::int64_t tick(redis::Connection& connection, std::int64_t now_ns);
    std::int64_t trimmed() const { return trimmed_; }

    // The lowest ID some group still needs, or empty when nothing may be trimmed now (a group
    // of the run is missing, as after a Redis restart) (exposed for tests).
    static std::string oldest_needed_id(redis::Connection& connection, const std::string& key,
                                        const std::vector<std::string>& groups);

  private:
    workload::Retention spec_;
    std::vector<std::string> stream_keys_;
    std::vector<std::string> groups_;
    std::int64_t next_ns_ = 0;
    std::int64_t trimmed_ = 0;
};

}  // namespace sh::run
