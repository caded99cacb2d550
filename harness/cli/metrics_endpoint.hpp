// --metrics-listen ADDR:PORT: the live metrics of a run (or of a whole capacity search) served
// as GET /metrics for as long as the command goes.
#pragma once

#include <memory>
#include <string>

#include "harness/cli/commands.hpp"
#include "harness/os/http_listener.hpp"
#include "harness/run/live_metrics.hpp"

namespace sh::cli {

class MetricsEndpoint {
  public:
    // Binds at once: exit 3 (EnvironmentError) when the address cannot be bound.
    explicit MetricsEndpoint(const os::ListenAddress& address);
    run::LiveMetrics& metrics() { return metrics_; }
    const os::ListenAddress& bound() const { return listener_.bound(); }

  private:
    run::LiveMetrics metrics_;  // declared first: the listener's thread reads it until it stops
    os::HttpListener listener_;
};

// When settings.metrics_listen is given: serves it, points settings.live_metrics at what it
// serves and says where on stderr. Keep the result alive for the whole command.
std::unique_ptr<MetricsEndpoint> serve_live_metrics(RunSettings& settings);

// The check --metrics-listen's value gets on the command line: empty when it is ADDR:PORT.
std::string check_listen_address(const std::string& text);

}  // namespace sh::cli
