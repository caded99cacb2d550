// The Prometheus text exposition format, version 0.0.4: metric families, each announced by its
// HELP and TYPE lines, then its samples as `name{label="value",...} value`.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sh::run {

inline constexpr const char* exposition_content_type = "text/plain; version=0.0.4; charset=utf-8";

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class ExpositionText {
  public:
    // Starts a family: type is "counter" or "gauge"; help is one line.
    void family(const std::string& name, const char* type, const std::string& help);
    // A sample of the current family (a counter's name ends in _total).
    void sample(const std::string& name, const MetricLabels& labels, double value);

    const std::string& text() const { return text_; }

  private:
    std::string text_;
};

// "3", "0.25", "1e+21", "NaN", "+Inf", "-Inf": Go's ParseFloat (Prometheus) reads them all.
std::string format_metric_value(double value);
// Backslash, double quote and newline escaped, as label values need.
std::string escape_label_value(const std::string& value);

}  // namespace sh::run
