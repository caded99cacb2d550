#include "harness/cli/commands.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "chaos/controller.hpp"
#include "harness/cli/command_support.hpp"
#include "harness/cli/provenance.hpp"
#include "harness/errors.hpp"
#include "harness/run/redis_setup.hpp"
#include "harness/run/reverify.hpp"
#include "harness/run/run_record.hpp"
#include "harness/run/supervisor.hpp"
#include "harness/workload/workload_checks.hpp"
#include "harness/workload/workload_json.hpp"
#include "reports/aggregate.hpp"
#include "reports/capacity_summary.hpp"
#include "reports/compare_environment.hpp"
#include "reports/compare_html.hpp"
#include "reports/exports.hpp"
#include "reports/html_report.hpp"
#include "reports/junit_report.hpp"
#include "reports/report_json.hpp"
#include "reports/report_keys.hpp"
#include "reports/report_path.hpp"
#include "reports/run_summary.hpp"
#include "reports/summary_markdown.hpp"

namespace sh::cli {

namespace key = reports::key;

using nlohmann::json;

namespace {

// The seed scenario by default: found from the working directory or next to the source tree.
std::string workload_or_default(const std::string& path) {
    if (!path.empty()) return path;
    std::vector<std::filesystem::path> candidates = {
        "workloads/orders.json",
        std::filesystem::path(STREAMHARNESS_SOURCE_DIR) / "workloads/orders.json"};
    for (const auto& candidate : candidates) {
        if (std::filesystem::exists(candidate)) return candidate.string();
    }
    return candidates.front().string();
}

struct RunOutcome {
    json report;
    std::filesystem::path path;
};

// One run of the workload with `extra` overrides after the user's; reports in `out_dir`.
RunOutcome run_once(const RunSettings& settings, const std::vector<std::string>& extra,
                    const std::string& run_id, const std::string& out_dir,
                    const os::StopSignals& stop) {
    auto overrides = settings.overrides;
    overrides.insert(overrides.end(), extra.begin(), extra.end());
    auto workload = workload::load_workload(workload_or_default(settings.workload_path), overrides);
    if (!settings.agent.solo()) {
        workload::Problems problems;
        workload::check_for_agents(workload, settings.agent.count, problems);
        if (!problems.empty()) throw WorkloadError(problems.take());
    }
    run::RunOptions options;
    options.redis_endpoint = settings.redis;
    options.run_id = run_id;
    options.out_dir = out_dir;
    options.executable = settings.executable;
    options.keep_keys = settings.keep_keys;
    options.allow_eviction = settings.allow_eviction;
    options.quiet = settings.quiet;
    options.agent = settings.agent;
    options.live_metrics = settings.live_metrics;
    options.agent_timeout =
        std::chrono::milliseconds(static_cast<std::int64_t>(settings.agent_timeout_s * 1000));
    chaos::ChaosController chaos;
    // One fault schedule per run: agent 1 carries it out on its consumers.
    if (!workload.chaos.events.empty() && settings.agent.leader()) options.observer = &chaos;
    run::RunResult result;
    run::LiveRunScope live_run(settings.live_metrics, run_id);
    try {
        run::execute_run(workload, options, stop, result);
    } catch (const WorkloadError&) {
        throw;  // refused before anything ran: the message says what to fix
    } catch (const std::exception& error) {
        // CI must see why: the report says what was measured, the verdict is "error", and
        // junit.xml has an error case. The error itself still decides the exit code.
        result.error = run::RunError{error.what(), result.phase};
        auto report = report_of(result);
        try {
            std::cout << reports::human_summary(report, write_all_reports(report, out_dir))
                      << std::flush;
        } catch (const std::exception& write_error) {
            std::cerr << "streamharness: the error report could not be written: "
                      << write_error.what() << "\n";
        }
        throw;
    }
    auto report = report_of(result);
    auto path = write_all_reports(report, out_dir);
    return {std::move(report), path};
}

std::string base_run_id(const RunSettings& settings) {
    return settings.run_id.empty() ? run::generate_run_id() : settings.run_id;
}

// An agent's own directory by default, so agents started side by side keep their parts apart.
std::string out_dir_for(const RunSettings& settings, const std::string& run_id) {
    if (!settings.out_dir.empty()) return settings.out_dir;
    if (!settings.agent.solo()) {
        return "reports/out/" + run_id + "/agent-" + std::to_string(settings.agent.index) + "-of-" +
               std::to_string(settings.agent.count);
    }
    return "reports/out/" + run_id;
}

}  // namespace

int run_command(const RunSettings& settings, int repeat, const os::StopSignals& stop) {
    if (!settings.agent.solo()) {
        std::vector<std::string> problems;
        if (!settings.redis) problems.push_back("--agent: agents share one Redis: give --redis");
        if (settings.run_id.empty()) {
            problems.push_back("--agent: every agent of a run needs the same --run-id");
        }
        if (repeat > 1) problems.push_back("--agent: --repeat is for one harness, not agents");
        if (settings.redis && settings.redis->through_sentinel()) {
            problems.push_back(
                "--agent: not through Sentinel yet: a change of primary is judged by the one "
                "harness that saw it (DESIGN §7.1)");
        }
        if (!problems.empty()) throw usage_error(problems);
    }
    auto run_id = base_run_id(settings);
    auto out_dir = out_dir_for(settings, run_id);
    if (repeat <= 1) {
        auto outcome = run_once(settings, {}, run_id, out_dir, stop);
        std::cout << reports::human_summary(outcome.report, outcome.path);
        const auto& verdict = outcome.report[key::verdict];
        return verdict == reports::value::pass || verdict == reports::value::partial ? 0 : 1;
    }
    std::vector<json> reports;
    std::vector<std::string> paths;
    for (int i = 1; i <= repeat; ++i) {
        auto id = run_id + "-" + std::to_string(i);
        auto outcome = run_once(settings, {}, id, out_dir + "/run-" + std::to_string(i), stop);
        std::cout << "[" << i << "/" << repeat << "] "
                  << reports::human_summary(outcome.report, outcome.path);
        paths.push_back(outcome.path.string());
        reports.push_back(std::move(outcome.report));
    }
    auto aggregate =
        reports::aggregate_reports(reports, paths, run_id + "-x" + std::to_string(repeat));
    stamp_provenance(aggregate);
    auto path = write_all_reports(aggregate, out_dir);
    std::cout << "aggregate of " << repeat << " runs:\n" << reports::human_summary(aggregate, path);
    return aggregate[key::verdict] == reports::value::pass ? 0 : 1;
}

int report_command(const std::string& report_path) {
    auto report = read_json_file(report_path);
    if (!report.is_object()) {
        throw input_error({report_path + ": not a streamharness report (expected a JSON object)"});
    }
    auto dir = std::filesystem::path(report_path).parent_path();
    if (dir.empty()) dir = ".";
    if (reports::member(report, key::kind) == reports::value::capacity) {
        std::cout << reports::write_text_file(reports::render_capacity_html(report), dir,
                                              "capacity.html")
                         .string()
                  << "\n";
        reports::write_capacity_exports(report, dir);
        return 0;
    }
    // All rendered before any is written: a damaged report changes no file.
    auto html = reports::render_html(report);
    auto junit = reports::render_junit(report);
    auto summary = reports::render_summary_markdown(report);
    std::cout << reports::write_text_file(html, dir, "report.html").string() << "\n";
    std::cout << reports::write_text_file(junit, dir, "junit.xml").string() << "\n";
    std::cout << reports::write_text_file(summary, dir, "summary.md").string() << "\n";
    reports::write_run_exports(report, dir);
    return 0;
}

int compare_command(const CompareSettings& settings) {
    reports::CompareTolerances tolerances;
    if (!settings.tolerances_file.empty()) {
        tolerances = reports::load_tolerances(settings.tolerances_file, tolerances);
    }
    auto flag = [](const std::string& text, const char* name, std::optional<double>& field) {
        if (!text.empty()) field = reports::parse_tolerance(text, name);
    };
    flag(settings.max_throughput_drop, "--max-throughput-drop", tolerances.max_throughput_drop);
    flag(settings.max_p50_rise, "--max-p50-rise", tolerances.max_p50_rise);
    flag(settings.max_p99_rise, "--max-p99-rise", tolerances.max_p99_rise);
    flag(settings.max_recovery_rise, "--max-recovery-rise", tolerances.max_recovery_rise);
    flag(settings.max_redis_cpu_rise, "--max-redis-cpu-rise", tolerances.max_redis_cpu_rise);
    if (settings.min_latency_delta_ms) {
        tolerances.min_latency_delta_ms = *settings.min_latency_delta_ms;
    }
    if (settings.allow_different_workloads) tolerances.allow_different_workloads = true;
    auto base = read_json_file(settings.base_path);
    auto candidate = read_json_file(settings.candidate_path);
    // One path given twice is allowed (the command line shows it); a copy or a link under
    // another name is refused, since it would pass as "no regression".
    if (std::filesystem::path(settings.base_path).lexically_normal() !=
        std::filesystem::path(settings.candidate_path).lexically_normal()) {
        reports::require_distinct_runs(base, candidate, settings.base_path,
                                       settings.candidate_path);
    }
    auto comparison = reports::compare_reports(base, candidate, tolerances);
    comparison["base"]["path"] = settings.base_path;
    comparison["candidate"]["path"] = settings.candidate_path;
    if (!settings.html_path.empty()) {
        std::filesystem::path page(settings.html_path);
        reports::write_text_file(reports::render_comparison_html(comparison, base, candidate),
                                 page.parent_path().empty() ? "." : page.parent_path(),
                                 page.filename().string());
    }
    if (settings.json_output) {
        std::cout << comparison.dump(2) << "\n";
    } else if (settings.markdown_output) {
        std::cout << reports::render_comparison_markdown(comparison);
    } else {
        std::cout << reports::render_comparison(comparison);
        if (!settings.html_path.empty())
            std::cout << "comparison page: " << settings.html_path << "\n";
    }
    return comparison["regressed"].get<bool>() ? 1 : 0;
}

int capacity_command(const RunSettings& settings, const CapacityOptions& options,
                     double step_duration_s, const os::StopSignals& stop) {
    auto search_id = base_run_id(settings);
    auto out_dir = out_dir_for(settings, search_id);
    std::ostringstream duration;
    duration << "duration_s=" << step_duration_s;
    json workload;
    auto run_step = [&](std::vector<std::string> overrides, std::size_t step,
                        const std::string& label) {
        overrides.insert(overrides.end(), {duration.str(), "producers.orders=0"});
        auto id = search_id + "-s" + std::to_string(step + 1);
        auto dir = out_dir + "/steps/" + std::to_string(step + 1) + "-" + label;
        auto outcome = run_once(settings, overrides, id, dir, stop);
        if (workload.is_null()) workload = outcome.report[key::workload];
        outcome.report["report_path"] = outcome.path.string();
        return outcome.report;
    };
    auto run_at = [&](double rate, std::size_t step) {
        std::ostringstream rate_override;
        rate_override << "producers.rate=" << rate;
        return run_step({rate_override.str()}, step,
                        "rate-" + std::to_string(static_cast<long long>(rate)));
    };
    // Every group gets the same number of consumers; the rate stays fixed.
    auto options_used = options;
    std::size_t group_count = 0;
    if (options.search == CapacityOptions::Search::consumers) {
        auto base = workload::load_workload(workload_or_default(settings.workload_path),
                                            settings.overrides);
        group_count = base.groups.size();
        if (options_used.consumers_rate <= 0) options_used.consumers_rate = base.producers.rate;
    }
    auto run_with = [&](int consumers, std::size_t step) {
        std::ostringstream rate_override;
        rate_override << "producers.rate=" << options_used.consumers_rate;
        std::vector<std::string> overrides{rate_override.str()};
        for (std::size_t g = 0; g < group_count; ++g) {
            overrides.push_back("groups." + std::to_string(g) +
                                ".consumers=" + std::to_string(consumers));
        }
        return run_step(overrides, step, "consumers-" + std::to_string(consumers));
    };
    json steps_so_far = json::array();
    auto print_step = [&](const json& step) {
        steps_so_far.push_back(step);
        std::cout << reports::capacity_step_line(step) << std::flush;
    };
    auto write_capacity = [&](json capacity) {
        capacity[key::schema_version] = reports::schema_version;
        capacity[key::search_id] = search_id;
        capacity[key::step_duration_s] = step_duration_s;
        capacity[key::workload] = workload;
        stamp_provenance(capacity);
        auto path = reports::write_text_file(capacity.dump(2) + "\n", out_dir, "capacity.json");
        auto html = reports::write_text_file(reports::render_capacity_html(capacity), out_dir,
                                             "capacity.html");
        reports::write_capacity_exports(capacity, out_dir);
        return std::pair{path, html};
    };
    json capacity;
    try {
        capacity = options.search == CapacityOptions::Search::consumers
                       ? search_consumers(options_used, run_with, print_step)
                       : search_capacity(options, run_at, print_step);
    } catch (const std::exception& error) {
        // Interrupted or Redis gone mid-search: the steps measured so far are still worth keeping.
        if (!steps_so_far.empty()) {
            write_capacity({{key::kind, reports::value::capacity},
                            {key::steps, steps_so_far},
                            {key::answer, {{key::rate, nullptr}, {key::confirmed, false}}},
                            {key::stopped, error.what()}});
        }
        throw;
    }
    auto [path, html] = write_capacity(capacity);
    std::cout << reports::capacity_summary(capacity, path, html);
    bool answered = capacity[key::search] == key::consumers
                        ? !capacity[key::answer][key::consumers].is_null()
                        : !capacity[key::answer][key::rate].is_null();
    return answered && capacity[key::stopped].is_null() ? 0 : 1;
}

int verify_command(const redis::Endpoint& redis, const std::string& run_id,
                   const std::string& out_dir) {
    auto connection = connect_for(redis, run_id, "verify");
    auto result = run::reverify(connection, record_of(connection, run_id));
    auto report = report_of(result);
    auto path =
        write_all_reports(report, out_dir.empty() ? "reports/out/" + run_id + "-verify" : out_dir);
    std::cout << reports::human_summary(report, path);
    return report[key::verdict] == reports::value::pass ? 0 : 1;
}

int cleanup_command(const redis::Endpoint& redis, const std::string& run_id) {
    auto connection = connect_for(redis, run_id, "cleanup");
    auto record = record_of(connection, run_id);
    const auto& workload = record.workload;
    model::StreamShards shards(run_id, workload.stream.name, workload.stream.key, record.stamp,
                               workload.stream.shards);
    std::vector<std::string> groups;
    for (const auto& group : workload.groups) groups.push_back(group.name);
    auto notes = run::remove_created(connection, shards, groups, record.created);
    std::string created = record.created.groups.empty() ? "none" : "";
    for (const auto& group : record.created.groups) {
        created += (created.empty() ? "" : ", ") + group;
    }
    std::cout << "removed the keys of run " << run_id << " and the groups it created (" << created
              << ") on " << shards.front().stream()
              << (shards.size() > 1
                      ? " and its other " + std::to_string(shards.size() - 1) + " shards"
                      : "")
              << "\n";
    bool failed = false;
    for (const auto& note : notes) {
        bool failure = note.rfind(run::could_not_destroy, 0) == 0;
        failed = failed || failure;
        std::cout << (failure ? "  FAILED: " : "  kept: ") << note << "\n";
    }
    if (failed) {
        throw EnvironmentError("cleanup of run " + run_id +
                               " is incomplete; its record stays, so it can be run again");
    }
    return 0;
}

int show_command(const std::string& report_path, const std::vector<std::string>& paths) {
    auto report = read_json_file(report_path);
    for (const auto& path : paths) {
        std::string pointer = "/" + path;
        std::replace(pointer.begin(), pointer.end(), '.', '/');
        auto json_pointer = json::json_pointer(pointer);
        if (!report.contains(json_pointer)) {
            throw input_error({path + ": not in " + report_path});
        }
        const auto& value = report.at(json_pointer);
        std::cout << (value.is_string() ? value.get<std::string>() : value.dump()) << "\n";
    }
    return 0;
}

}  // namespace sh::cli
