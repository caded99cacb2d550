// Keeps a run's sh:{<run-id>}:alive key alive (PX 3000, refreshed every second) from a thread
// and a connection of its own, from before the run's record exists until the run is over, so
// that `verify` and `cleanup --run-id` never act on a run still going, whatever the supervisor
// is busy with (a long start-up, the final stop, verification).
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "harness/redis/url.hpp"

namespace sh::run {

class Heartbeat {
  public:
    // Sets the key once before returning (throws RedisError when it cannot), then refreshes it.
    Heartbeat(const redis::Endpoint& endpoint, std::string key, std::string client_name);
    ~Heartbeat();
    Heartbeat(const Heartbeat&) = delete;
    Heartbeat& operator=(const Heartbeat&) = delete;

    // Stops refreshing (the key then expires within 3 s unless the caller removes it).
    void stop();

  private:
    void refresh_until_stopped();

    redis::Endpoint endpoint_;
    std::string key_;
    std::string client_name_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace sh::run
