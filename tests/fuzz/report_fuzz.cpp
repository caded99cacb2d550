// libFuzzer target: what `streamharness report` and `compare` do with a report.json or
// capacity.json they load. The readers take a damaged document as far as it goes (a missing
// field reads as null, report_path.hpp) and refuse what they cannot use with WorkloadError
// (exit 2); any other exception would reach the user as "internal error". A JSON array of two
// documents is compared as [base, candidate] (text, Markdown, page, environment); any other
// document is rendered by every page, summary and CSV writer and compared with itself, and one
// with an "agent" section is merged as `merge` would.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "harness/errors.hpp"
#include "reports/compare.hpp"
#include "reports/compare_environment.hpp"
#include "reports/compare_html.hpp"
#include "reports/exports.hpp"
#include "reports/html_report.hpp"
#include "reports/junit_report.hpp"
#include "reports/merge_parts.hpp"
#include "reports/summary_markdown.hpp"
#include "tests/fuzz/json_mutator.hpp"

namespace {

using nlohmann::json;

template <typename Read>
void refused_only_as_input_error(Read read) {
    try {
        read();
    } catch (const sh::WorkloadError&) {
    }
}

void compare(const json& base, const json& candidate) {
    sh::reports::CompareTolerances tolerances;
    tolerances.allow_different_workloads = true;  // reach the rows whatever the names
    refused_only_as_input_error([&] {
        sh::reports::check_environment(base, candidate);
        auto comparison = sh::reports::compare_reports(base, candidate, tolerances);
        sh::reports::render_comparison(comparison);
        sh::reports::render_comparison_markdown(comparison);
        sh::reports::render_comparison_html(comparison, base, candidate);
    });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto document = json::parse(data, data + size, nullptr, false);
    if (document.is_discarded()) return 0;  // the commands refuse it as invalid JSON
    if (document.is_array() && document.size() == 2) {
        compare(document[0], document[1]);
        return 0;
    }
    // `merge` of an agent's part (alone, as one agent of one): refused or merged, nothing else.
    if (document.is_object() && document.contains("agent")) {
        refused_only_as_input_error(
            [&] { sh::reports::merge_agent_reports({"report.json"}, {document}); });
    }
    refused_only_as_input_error([&] { sh::reports::render_html(document); });
    refused_only_as_input_error([&] { sh::reports::render_junit(document); });
    refused_only_as_input_error([&] { sh::reports::render_capacity_html(document); });
    refused_only_as_input_error([&] { sh::reports::render_summary_markdown(document); });
    refused_only_as_input_error([&] { sh::reports::render_timeline_csv(document); });
    refused_only_as_input_error([&] { sh::reports::render_capacity_steps_csv(document); });
    compare(document, document);
    return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
    return sh::fuzz::mutate_json(data, size, max_size, seed);
}
