// Dead letters: an entry nobody can process moves, in one script, to the group's dead-letter
// stream with its fields, the group, the delivery count and the reason; then XACK, then
// optionally XDEL. The script only moves an entry that is still pending, so it moves it once,
// and only one of the run's own: an entry without the run's stamp is someone else's.
#pragma once

#include <cstdint>
#include <string>

#include "harness/model/keys.hpp"
#include "harness/redis/script.hpp"

namespace sh::consume {

class DeadLetterer {
  public:
    DeadLetterer(const model::RunKeys& keys, std::string group, std::string consumer,
                 bool delete_entry);

    enum class Moved {
        moved,        // into the dead-letter stream, and acknowledged
        not_pending,  // someone acknowledged it first: nothing done
        foreign,      // not the run's entry: acknowledged in the run's group, nothing else
    };
    Moved move(redis::Connection& connection, const std::string& id, const std::string& reason,
               std::int64_t deliveries);

  private:
    const model::RunKeys& keys_;
    std::string group_;
    std::string consumer_;
    bool delete_entry_;
    redis::Script script_;
};

}  // namespace sh::consume
