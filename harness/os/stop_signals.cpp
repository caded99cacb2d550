#include "harness/os/stop_signals.hpp"

#include <signal.h>

#include <ctime>

namespace sh::os {

namespace {
sigset_t stop_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    return set;
}
}  // namespace

StopSignals::StopSignals() {
    sigset_t set = stop_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    waiter_ = std::thread([this, set] {
        timespec tick{0, 100'000'000};
        while (!done_.load()) {
            int signo = sigtimedwait(&set, nullptr, &tick);
            if (signo > 0) signal_.store(signo);
        }
    });
}

StopSignals::~StopSignals() {
    done_.store(true);
    waiter_.join();
}

}  // namespace sh::os
