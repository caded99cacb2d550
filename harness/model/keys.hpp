// The key schema of one run (DESIGN §4): every key under "sh:{<run>:<stream>:<shard>}:" so a
// script can touch a stream and its ledger atomically, also on Redis Cluster.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sh::model {

class RunKeys {
  public:
    // stream_key_override: an exact stream key chosen by the user (empty: the run-scoped one).
    // stamp: what the run writes in its entries' `run` field (empty: the run id). A run id can
    // be chosen again (--run-id); the supervisor adds a random part, so a later run with the
    // same id never takes an earlier run's entries on a shared stream for its own.
    RunKeys(const std::string& run_id, const std::string& stream_name,
            const std::string& stream_key_override = {}, const std::string& stamp = {},
            int shard = 0);

    const std::string& run_id() const { return run_id_; }
    const std::string& stamp() const { return stamp_; }
    const std::string& stream() const { return stream_; }
    bool stream_is_run_scoped() const { return stream_run_scoped_; }
    std::string acked(const std::string& group) const { return prefix_ + "acked:" + group; }
    std::string dup(const std::string& group) const { return prefix_ + "dup:" + group; }
    std::string dlq(const std::string& group) const { return prefix_ + "dlq:" + group; }
    std::string shares(const std::string& group) const { return prefix_ + "shares:" + group; }
    std::string points(const std::string& group) const { return prefix_ + "points:" + group; }
    // An external consumer's ledger: a hash order number -> times its effect was applied.
    std::string applied(const std::string& group) const { return prefix_ + "applied:" + group; }
    // What the run keeps about itself for `verify`/`cleanup --run-id`: found from the id alone.
    static std::string record_key(const std::string& run_id) {
        return "sh:{" + run_id + "}:record";
    }
    std::string record() const { return record_key(run_id_); }
    // Refreshed with a short expiry while the run's harness lives: a run still going is not
    // verified or cleaned up from outside.
    static std::string alive_key(const std::string& run_id) { return "sh:{" + run_id + "}:alive"; }
    std::string alive() const { return alive_key(run_id_); }
    // A run shared by agents (--agent I/N): where each one says where it is (DESIGN §11.1).
    static std::string agents_key(const std::string& run_id) {
        return "sh:{" + run_id + "}:agents";
    }
    std::string agents() const { return agents_key(run_id_); }
    // Every key this run may create, for cleanup (the stream only when run-scoped).
    std::vector<std::string> owned_keys(const std::vector<std::string>& groups) const;

  private:
    std::string run_id_;
    std::string stamp_;
    std::string prefix_;
    std::string stream_;
    bool stream_run_scoped_ = true;
};

// Every order of one user goes to one shard, so a user's orders stay in order.
inline std::size_t shard_of_user(std::uint64_t user, std::size_t shards) {
    return user % shards;
}

// The run's keys for every shard of its stream (stream.shards): shard i under
// "sh:{<run>:<stream>:<i>}:", so on Redis Cluster the shards spread over the slots while each
// shard's stream and ledger stay in one slot. Shard 0 is the key schema of an unsharded run.
class StreamShards {
  public:
    StreamShards(const std::string& run_id, const std::string& stream_name,
                 const std::string& stream_key_override, const std::string& stamp,
                 std::int64_t count);

    std::size_t size() const { return shards_.size(); }
    const RunKeys& operator[](std::size_t shard) const { return shards_.at(shard); }
    // What does not depend on the shard: run id, stamp, record, alive and agents keys.
    const RunKeys& front() const { return shards_.front(); }
    std::vector<RunKeys>::const_iterator begin() const { return shards_.begin(); }
    std::vector<RunKeys>::const_iterator end() const { return shards_.end(); }

    std::size_t shard_of_user(std::uint64_t user) const {
        return model::shard_of_user(user, shards_.size());
    }
    // The shards consumer instance `index` (1-based) of a group of `consumers` reads: with at
    // least as many consumers as shards, shard (index - 1) % N (the consumers take the shards
    // in turn); with fewer, every shard s with s % consumers == index - 1. Either way every
    // shard has a reader and a consumer's shards are fixed for the run.
    std::vector<std::size_t> shards_of_consumer(int index, int consumers) const;
    std::vector<std::string> streams() const;
    // Every key the run may create on any shard (the run-wide keys once).
    std::vector<std::string> owned_keys(const std::vector<std::string>& groups) const;

  private:
    std::vector<RunKeys> shards_;
};

}  // namespace sh::model
