#include "harness/cli/metrics_endpoint.hpp"

#include <iostream>

#include "harness/errors.hpp"
#include "harness/run/prometheus_text.hpp"

namespace sh::cli {

MetricsEndpoint::MetricsEndpoint(const os::ListenAddress& address)
    : listener_(address,
                {"/metrics", run::exposition_content_type, [this] { return metrics_.render(); }}) {}

std::unique_ptr<MetricsEndpoint> serve_live_metrics(RunSettings& settings) {
    if (settings.metrics_listen.empty()) return nullptr;
    os::ListenAddress address;
    auto malformed = os::parse_listen_address(settings.metrics_listen, address);
    if (!malformed.empty()) throw usage_error({"--metrics-listen: " + malformed});
    std::unique_ptr<MetricsEndpoint> endpoint;
    try {
        endpoint = std::make_unique<MetricsEndpoint>(address);
    } catch (const WorkloadError& error) {
        throw usage_error({"--metrics-listen: " + error.problems().front()});
    } catch (const EnvironmentError& error) {
        throw EnvironmentError(std::string("--metrics-listen: ") + error.what());
    }
    settings.live_metrics = &endpoint->metrics();
    std::cerr << "streamharness: live metrics at http://" << endpoint->bound().text()
              << "/metrics\n";
    return endpoint;
}

std::string check_listen_address(const std::string& text) {
    os::ListenAddress ignored;
    return os::parse_listen_address(text, ignored);
}

}  // namespace sh::cli
