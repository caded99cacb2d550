// Regression comparison of two reports (single runs or --repeat aggregates, read alike):
// throughput, latency percentiles from merged histograms, recovery times and Redis CPU, each
// against a tolerance; a regression makes `streamharness compare` exit 1. Reads report JSON
// only: it never talks to Redis. Rendered as text, Markdown (here) or a page (compare_html.hpp),
// all from the one comparison JSON.
//
// Rows (group null = run-wide), in the units their names end with:
//   verdict                      the reports' own verdicts; pass → fail regresses
//   produced_per_s               summary.produced.ok_per_s        gated by max_throughput_drop
//   xadd_p99_ms                  histograms.xadd                  informational
//   redis_cpu_busy               summary.bottleneck               gated by max_redis_cpu_rise
//   recovery_p50_ms / _max_ms    chaos.summary.recovery_ms        gated by max_recovery_rise
//                                (rows only when a report ran chaos)
//   per group: applied_per_s     gated by max_throughput_drop
//              p50/p90/p99/p99_9/max_ms  end-to-end (first_delivery + recovered histograms
//                                merged, never averaged percentiles); p50 gated by max_p50_rise,
//                                p99 by max_p99_rise, the others informational
//              recovered_p99_ms  informational
//              lost, duplicated  informational: correctness is not a tolerance matter, the
//                                reports' own gates decide it and the verdict row compares that
// A value missing from either report (a group in one report only, no bottleneck on a short run)
// makes its row "n/a", never a regression.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace sh::reports {

// Allowed worsening, as fractions of the base value (0.05 = 5 %); nullopt = not gated.
struct CompareTolerances {
    std::optional<double> max_throughput_drop = 0.05;
    std::optional<double> max_p50_rise = std::nullopt;
    std::optional<double> max_p99_rise = 0.10;
    std::optional<double> max_recovery_rise = std::nullopt;
    std::optional<double> max_redis_cpu_rise = std::nullopt;
    // Noise floor for times (latencies and recovery): one regresses only when it rises both by
    // more than its relative tolerance AND by more than this many milliseconds, so 0.40 → 0.46 ms
    // (+15 %) does not fail a 10 % gate. Improvements are judged by the same rule.
    double min_latency_delta_ms = 0.1;
    bool allow_different_workloads = false;
};

// "5%", "5 %" or "0.05" as a fraction; throws WorkloadError naming `what` (the flag or file key)
// on garbage, a negative value, or a bare number above 1 ("10" is almost surely meant as 10 %,
// and reading it as 1000 % would silently switch the gate off: write "10%").
double parse_tolerance(const std::string& text, const std::string& what);
// Tolerances from a JSON file: the keys of CompareTolerances, a fraction key as "5%" or a number
// (null = not gated), min_latency_delta_ms as a number, allow_different_workloads as a boolean.
// Fields absent from the file keep the values in `defaults`. An unreadable file, invalid JSON, an
// unknown key or a bad value throws WorkloadError naming the file and the key.
CompareTolerances load_tolerances(const std::string& path, CompareTolerances defaults);

// Throws WorkloadError when the reports are not comparable: not a streamharness report (the
// problem names "base report" or "candidate report" and the missing field), or different
// workload names unless allowed. Same name with differing fields (a --set override) proceeds and
// lists the dotted paths under "workload_differences". Returns
// {"base": {run_id, verdict, workload}, "candidate": {...}, "tolerances": {...},
//  "rows": [{metric, group, base, candidate, change, limit, status}...], "regressed": bool,
//  "regressions": ["p99_ms [score]: 0.52 → 3.10 ms (+496 %, limit +10 %)"...],
//  "workload_differences": ["groups.0.service_time.mean_us"...],
//  "environment": [{field, base, candidate}...], "warnings": ["environment differs: ..."...]}
// where change and limit are signed fractions of the base value (limit -0.05 = a 5 % drop
// allowed) and status is ok, regressed, improved, info (not gated) or n/a (value missing). A
// caller may add "path" to "base" and "candidate"; render_comparison prints it. "environment" and
// "warnings" are check_environment's (compare_environment.hpp): they never make "regressed".
nlohmann::json compare_reports(const nlohmann::json& base, const nlohmann::json& candidate,
                               const CompareTolerances& tolerances);
// The side-by-side table printed by `streamharness compare`, then one "REGRESSED: ..." line per
// failing row, or "no regression".
std::string render_comparison(const nlohmann::json& comparison);
// The same comparison as Markdown, for a CI job summary or a pull-request comment: the verdict
// as a heading, the warnings, the table (same cells as the text) and the regressions.
std::string render_comparison_markdown(const nlohmann::json& comparison);

}  // namespace sh::reports
