#include "harness/run/prometheus_text.hpp"

#include <charconv>
#include <cmath>

namespace sh::run {

namespace {

// HELP text escapes backslash and newline only.
std::string escape_help(const std::string& help) {
    std::string escaped;
    for (char c : help) {
        if (c == '\\') {
            escaped += "\\\\";
        } else if (c == '\n') {
            escaped += "\\n";
        } else {
            escaped += c;
        }
    }
    return escaped;
}

}  // namespace

std::string format_metric_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char buffer[32];
    auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    return std::string(buffer, end);
}

std::string escape_label_value(const std::string& value) {
    std::string escaped;
    for (char c : value) {
        if (c == '\\' || c == '"') {
            escaped += '\\';
            escaped += c;
        } else if (c == '\n') {
            escaped += "\\n";
        } else {
            escaped += c;
        }
    }
    return escaped;
}

void ExpositionText::family(const std::string& name, const char* type, const std::string& help) {
    text_ += "# HELP " + name + " " + escape_help(help) + "\n";
    text_ += "# TYPE " + name + " " + type + "\n";
}

void ExpositionText::sample(const std::string& name, const MetricLabels& labels, double value) {
    text_ += name;
    if (!labels.empty()) {
        text_ += "{";
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (i > 0) text_ += ",";
            text_ += labels[i].first + "=\"" + escape_label_value(labels[i].second) + "\"";
        }
        text_ += "}";
    }
    text_ += " " + format_metric_value(value) + "\n";
}

}  // namespace sh::run
