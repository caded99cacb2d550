#include "reports/summary_markdown.hpp"

#include <cmath>
#include <sstream>

#include "reports/report_keys.hpp"
#include "reports/report_path.hpp"
#include "reports/run_summary.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

// A count as a count, anything else to 6 significant digits (a 0.001 ms limit must not read
// as 0.00); "n/a" where the report has none (an external consumer's latency).
std::string cell(const json& value) {
    auto number = number_of(value);
    if (!number) return "n/a";
    std::ostringstream text;
    if (*number == std::floor(*number) && std::fabs(*number) < 1e15) {
        text << static_cast<long long>(*number);
    } else {
        text << *number;
    }
    return text.str();
}

// Markdown table cells may not hold '|' or line breaks: a group or gate name could.
std::string escaped(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '|') {
            out += "\\|";
        } else if (c == '\n' || c == '\r') {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

// `text` shown as it is: a backtick would end the span, a line break the paragraph (a tag's
// value is often a branch name, which a pull request's author chooses).
std::string code_span(std::string text) {
    for (auto& c : text) {
        if (c == '`') c = '\'';
        if (c == '\n' || c == '\r') c = ' ';
    }
    return "`" + text + "`";
}

void heading(std::ostringstream& text, const json& report) {
    auto verdict = string_or(member(report, key::verdict), "unknown");
    std::string word = verdict == value::pass    ? "PASS"
                       : verdict == value::fail  ? "FAIL"
                       : verdict == value::error ? "ERROR"
                                                 : verdict;
    text << "## streamharness " << string_or(member_path(report, {key::workload, key::name}))
         << ": " << word << "\n\n";
    text << "Run `" << string_or(member(report, key::run_id)) << "`, started "
         << string_or(member(report, key::started_at), "n/a") << ", finished "
         << string_or(member(report, key::finished_at), "n/a") << ".\n";
    const auto& error = member(report, key::error);
    if (error.is_object()) {
        text << "\n**Error** during " << string_or(member(error, key::phase), "the run") << ": "
             << escaped(string_or(member(error, key::message))) << "\n";
    }
}

void failed_gates(std::ostringstream& text, const json& report) {
    const auto& gates = member(report, key::gates);
    if (!gates.is_array()) return;
    std::ostringstream rows;
    std::size_t failed = 0;
    for (const auto& gate : gates) {
        if (member(gate, key::passed) != false) continue;
        ++failed;
        auto scope = gate_scope(gate);
        rows << "| " << escaped(string_or(member(gate, key::gate))) << " | "
             << escaped(scope.empty() ? "run" : scope) << " | " << cell(member(gate, key::actual))
             << " | " << cell(member(gate, key::limit)) << " |\n";
    }
    if (failed == 0) {
        // A run that ended in an error judged nothing, nor does an agent's part: no pass.
        const auto& verdict = member(report, key::verdict);
        if (member(report, key::error).is_object()) {
            text << "\nNo gate failed of the " << gates.size()
                 << " judged before the error: the run is not judged.\n";
        } else if (verdict == value::partial) {
            text << "\nAn agent's part: `streamharness merge` judges the run's gates.\n";
        } else {
            text << "\nAll " << gates.size() << " gates passed.\n";
        }
        return;
    }
    text << "\n### Failed gates (" << failed << " of " << gates.size() << ")\n\n"
         << "| gate | applies to | actual | limit |\n| --- | --- | ---: | ---: |\n"
         << rows.str();
}

void groups_table(std::ostringstream& text, const json& report) {
    const auto& verification = member(report, key::verification);
    if (!verification.is_object() || verification.empty()) return;
    text << "\n### Groups\n\n"
         << "| group | applied | applied/s | p50 ms | p99 ms | lost | duplicated | "
            "dead-lettered | pending left |\n"
         << "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    for (const auto& [name, verdict] : verification.items()) {
        const auto& summary = member_path(report, {key::summary, key::groups, name});
        const auto& latency = member_path(summary, {key::latency, key::end_to_end});
        text << "| " << escaped(name) << " | " << cell(member(verdict, key::applied)) << " | "
             << cell(member(summary, key::applied_per_s)) << " | "
             << cell(member(latency, key::p50_ms)) << " | " << cell(member(latency, key::p99_ms))
             << " | " << cell(member(verdict, key::lost)) << " | "
             << cell(member(verdict, key::duplicated)) << " | "
             << cell(member(verdict, key::dead_lettered)) << " | "
             << cell(member(verdict, key::pending_left)) << " |\n";
    }
    const auto& produced = member_path(report, {key::summary, key::produced});
    text << "\nProduced " << cell(member(produced, key::ok)) << " orders ("
         << cell(member(produced, key::ok_per_s)) << "/s), " << cell(member(produced, key::failed))
         << " failed, " << cell(member(produced, key::indeterminate)) << " indeterminate.\n";
}

void faults(std::ostringstream& text, const json& report) {
    const auto& landing = member_path(report, {key::chaos, key::summary, key::landing});
    if (!landing.is_object() || landing.empty()) return;
    text << "\n### Faults\n\n| fault | scheduled | landed | not reached | skipped |\n"
         << "| --- | ---: | ---: | ---: | ---: |\n";
    for (const auto& [kind, counts] : landing.items()) {
        text << "| " << escaped(kind) << " | " << cell(member(counts, key::scheduled)) << " | "
             << cell(member(counts, key::landed)) << " | " << cell(member(counts, key::not_reached))
             << " | " << cell(member(counts, key::skipped)) << " |\n";
    }
}

void provenance(std::ostringstream& text, const json& report) {
    const auto& commit = member_path(report, {key::provenance, key::build, key::commit});
    const auto& redis = member_path(report, {key::provenance, key::redis, key::version});
    const auto& host = member_path(report, {key::provenance, key::host});
    text << "\nBuilt from " << (commit.is_string() ? "`" + commit.get<std::string>() + "`" : "n/a")
         << (member_path(report, {key::provenance, key::build, key::commit_dirty}) == true
                 ? " (with uncommitted changes)"
                 : "")
         << "; Redis " << string_or(redis, "n/a") << "; host "
         << string_or(member(host, key::hostname), "n/a") << " ("
         << string_or(member(host, key::cpu_model), "n/a") << ", " << cell(member(host, key::cores))
         << " cores).";
    const auto& tags = member_path(report, {key::provenance, key::tags});
    if (tags.is_object() && !tags.empty()) {
        text << " Tags:";
        for (const auto& [name, value] : tags.items()) {
            text << " " << code_span(name + "=" + string_or(value));
        }
        text << ".";
    }
    text << "\n";
}

}  // namespace

std::string render_summary_markdown(const json& report) {
    std::ostringstream text;
    heading(text, report);
    failed_gates(text, report);
    groups_table(text, report);
    faults(text, report);
    provenance(text, report);
    text << "\n[report.html](report.html) · [junit.xml](junit.xml) · "
            "[report.json](report.json)\n";
    return text.str();
}

}  // namespace sh::reports
