// The HTML report: one self-contained page (inline SVG charts, no network) drawn from the data
// of a report.json, so `streamharness report REPORT.json` can re-render it at any time.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace sh::reports {

// A run report (the document reports::to_json returns) as a complete HTML page.
std::string render_html(const nlohmann::json& report);
// A capacity report (the document the capacity search writes) as a complete HTML page.
std::string render_capacity_html(const nlohmann::json& capacity);
// Writes `html` to DIR/NAME and returns the path; throws EnvironmentError when it cannot.
std::filesystem::path write_text_file(const std::string& text, const std::filesystem::path& dir,
                                      const std::string& name);

}  // namespace sh::reports
