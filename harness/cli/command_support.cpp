#include "harness/cli/command_support.hpp"

#include <fstream>

#include "harness/cli/commands.hpp"
#include "harness/cli/provenance.hpp"
#include "harness/errors.hpp"
#include "harness/model/keys.hpp"
#include "reports/exports.hpp"
#include "reports/html_report.hpp"
#include "reports/junit_report.hpp"
#include "reports/report_json.hpp"
#include "reports/summary_markdown.hpp"

namespace sh::cli {

using nlohmann::json;

json read_json_file(const std::string& path) {
    std::ifstream input(path);
    if (!input) throw input_error({path + ": cannot open"});
    auto document = json::parse(input, nullptr, false);
    if (document.is_discarded()) throw input_error({path + ": invalid JSON"});
    return document;
}

json report_of(const run::RunResult& result) {
    auto report = reports::to_json(result, tool_version);
    stamp_provenance(report);
    return report;
}

std::filesystem::path write_all_reports(const json& report, const std::filesystem::path& dir) {
    auto path = reports::write_report(report, dir);
    reports::write_text_file(reports::render_html(report), dir, "report.html");
    reports::write_text_file(reports::render_junit(report), dir, "junit.xml");
    reports::write_text_file(reports::render_summary_markdown(report), dir, "summary.md");
    reports::write_run_exports(report, dir);
    return path;
}

run::RunRecord record_of(redis::Connection& connection, const std::string& run_id) {
    auto record = run::read_record(connection, run_id);
    if (!record) {
        throw EnvironmentError("no record of run " + run_id + " on " +
                               connection.endpoint().redacted() + " (sh:{" + run_id +
                               "}:record): it finished and removed its keys, "
                               "or it never ran there");
    }
    auto alive = connection.command({"PTTL", model::RunKeys::alive_key(run_id)});
    if (redis::ReplyView(alive.get()).integer() > 0) {
        throw EnvironmentError("run " + run_id + " is still going (its harness refreshed " +
                               model::RunKeys::alive_key(run_id) +
                               " within the last 3 s): wait for it to end");
    }
    return *record;
}

redis::Connection connect_for(const redis::Endpoint& endpoint, const std::string& run_id,
                              const char* what) {
    return redis::Connection(endpoint,
                             {std::chrono::milliseconds(2000), std::chrono::milliseconds(10000),
                              "sh:" + run_id + ":" + what});
}

}  // namespace sh::cli
