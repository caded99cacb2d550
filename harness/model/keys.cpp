#include "harness/model/keys.hpp"

#include <algorithm>

namespace sh::model {

RunKeys::RunKeys(const std::string& run_id, const std::string& stream_name,
                 const std::string& stream_key_override, const std::string& stamp, int shard)
    : run_id_(run_id),
      stamp_(stamp.empty() ? run_id : stamp),
      prefix_("sh:{" + run_id + ":" + stream_name + ":" + std::to_string(shard) + "}:"),
      stream_(stream_key_override.empty() ? prefix_ + "stream" : stream_key_override),
      stream_run_scoped_(stream_key_override.empty()) {}

std::vector<std::string> RunKeys::owned_keys(const std::vector<std::string>& groups) const {
    std::vector<std::string> keys{record(), alive(), agents()};
    if (stream_run_scoped_) keys.push_back(stream_);
    for (const auto& group : groups) {
        keys.push_back(acked(group));
        keys.push_back(dup(group));
        keys.push_back(dlq(group));
        keys.push_back(shares(group));
        keys.push_back(points(group));
        keys.push_back(applied(group));
    }
    return keys;
}

StreamShards::StreamShards(const std::string& run_id, const std::string& stream_name,
                           const std::string& stream_key_override, const std::string& stamp,
                           std::int64_t count) {
    for (std::int64_t shard = 0; shard < std::max<std::int64_t>(count, 1); ++shard) {
        shards_.emplace_back(run_id, stream_name, stream_key_override, stamp,
                             static_cast<int>(shard));
    }
}

std::vector<std::size_t> StreamShards::shards_of_consumer(int index, int consumers) const {
    auto count = shards_.size();
    auto consumer = static_cast<std::size_t>(index - 1);
    if (static_cast<std::size_t>(consumers) >= count) return {consumer % count};
    std::vector<std::size_t> shards;
    for (auto shard = consumer; shard < count; shard += static_cast<std::size_t>(consumers)) {
        shards.push_back(shard);
    }
    return shards;
}

std::vector<std::string> StreamShards::streams() const {
    std::vector<std::string> streams;
    for (const auto& shard : shards_) streams.push_back(shard.stream());
    return streams;
}

std::vector<std::string> StreamShards::owned_keys(const std::vector<std::string>& groups) const {
    std::vector<std::string> keys;
    for (const auto& shard : shards_) {
        for (auto& key : shard.owned_keys(groups)) {
            if (&shard != &shards_.front() &&
                (key == shard.record() || key == shard.alive() || key == shard.agents())) {
                continue;
            }
            keys.push_back(std::move(key));
        }
    }
    return keys;
}

}  // namespace sh::model
