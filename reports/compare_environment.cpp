// What `compare` checks besides the numbers: see compare_environment.hpp.
#include "reports/compare_environment.hpp"

#include <vector>

#include "harness/errors.hpp"
#include "reports/report_keys.hpp"
#include "reports/report_path.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

const std::vector<Path>& provenance_fields() {
    static const std::vector<Path> fields{
        {key::provenance, key::host, key::cpu_model},
        {key::provenance, key::host, key::cores},
        {key::provenance, key::host, key::kernel},
        {key::provenance, key::host, key::hostname},
        {key::provenance, key::redis, key::version},
        {key::provenance, key::redis, key::mode},
        {key::provenance, key::redis, key::persistence},
        {key::provenance, key::redis, key::appendfsync},
        {key::provenance, key::redis, key::maxmemory_policy},
        {key::provenance, key::redis, key::maxmemory_bytes},
        {key::provenance, key::redis, key::io_threads},
        {key::provenance, key::build, key::build_type},
    };
    return fields;
}

// What reports written before provenance existed say about their environment.
const std::vector<Path>& legacy_fields() {
    static const std::vector<Path> fields{
        {key::environment, key::redis_version},
        {key::environment, key::host_cores},
        {key::environment, key::persistence},
        {key::environment, key::maxmemory_policy},
    };
    return fields;
}

json value_at(const json& report, const Path& path) {
    const json* value = find_path(report, path);
    return value != nullptr ? *value : json(nullptr);
}

std::string shown(const json& value) {
    if (value.is_null()) return "missing";
    return value.is_string() ? value.get<std::string>() : value.dump();
}

bool has_provenance(const json& report) {
    const json* provenance = find_path(report, {key::provenance});
    return provenance != nullptr && provenance->is_object();
}

std::string missing_provenance_warning(bool base_has, bool candidate_has) {
    std::string which = !base_has && !candidate_has ? "neither report has"
                        : !base_has                 ? "the base report has"
                                                    : "the new report has";
    return which + (base_has || candidate_has ? " no" : "") +
           " provenance (written by an older streamharness): build, host and Redis settings "
           "cannot be checked; only environment.* is compared";
}

// The run's identity: a copy has the same; two runs never do (generated ids are unique, and an
// aggregate's is made of its runs'). A --run-id the user fixed (a CI job's number, given to the
// base and the new build alike) can start two runs in one second: their end, build and host
// still tell them apart.
json run_identity(const json& report) {
    json runs = json::array();
    if (const json* lines = find_path(report, {key::repeat, key::runs});
        lines != nullptr && lines->is_array()) {
        for (const auto& line : *lines) runs.push_back(value_at(line, {key::run_id}));
    }
    return {value_at(report, {key::run_id}),
            value_at(report, {key::started_at}),
            runs,
            value_at(report, {key::finished_at}),
            value_at(report, {key::provenance, key::build, key::commit}),
            value_at(report, {key::provenance, key::host, key::hostname})};
}

}  // namespace

EnvironmentCheck check_environment(const json& base, const json& candidate) {
    EnvironmentCheck check;
    bool base_has = has_provenance(base);
    bool candidate_has = has_provenance(candidate);
    if (!base_has || !candidate_has) {
        check.warnings.push_back(missing_provenance_warning(base_has, candidate_has));
    }
    const auto& fields = base_has && candidate_has ? provenance_fields() : legacy_fields();
    for (const auto& path : fields) {
        auto from = value_at(base, path);
        auto to = value_at(candidate, path);
        if (from == to) continue;
        auto field = dotted(path);
        check.differences.push_back({{"field", field}, {"base", from}, {"candidate", to}});
        check.warnings.push_back("environment differs: " + field + ": base " + shown(from) +
                                 ", new " + shown(to));
    }
    return check;
}

void require_distinct_runs(const json& base, const json& candidate, const std::string& base_path,
                           const std::string& candidate_path) {
    // Not a report (no run id): compare_reports names what is missing.
    if (!value_at(base, {key::run_id}).is_string()) return;
    auto identity = run_identity(base);
    if (identity != run_identity(candidate)) return;
    std::string runs =
        identity[2].empty() ? "" : ", the same " + std::to_string(identity[2].size()) + " runs";
    throw input_error({base_path + " and " + candidate_path + " are the same run (run id " +
                       shown(identity[0]) + ", started at " + shown(identity[1]) + runs +
                       "): a copied report would always show no regression; compare reports of "
                       "two runs"});
}

}  // namespace sh::reports
