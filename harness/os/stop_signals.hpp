// Turns SIGINT, SIGTERM and SIGHUP into a flag the supervisor polls, without a signal handler
// touching global state: the signals are blocked and a thread collects them with sigtimedwait.
#pragma once

#include <atomic>
#include <thread>

namespace sh::os {

class StopSignals {
  public:
    // Must be constructed before any other thread starts, so every thread inherits the mask.
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    bool requested() const { return signal_.load() != 0; }
    int signal_number() const { return signal_.load(); }

  private:
    std::atomic<int> signal_{0};
    std::atomic<bool> done_{false};
    std::thread waiter_;
};

}  // namespace sh::os
