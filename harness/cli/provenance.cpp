#include "harness/cli/provenance.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <regex>

#include "harness/os/build_info.hpp"
#include "harness/os/host_facts.hpp"
#include "reports/report_keys.hpp"

namespace sh::cli {

namespace key = reports::key;
using nlohmann::json;

namespace {

constexpr const char* hidden = "***";

struct Invocation {
    std::vector<std::string> command_line;
    std::vector<std::string> overrides;
    Tags tags;
};

Invocation& invocation() {
    static Invocation recorded;
    return recorded;
}

// redis://user:password@host, rediss://:password@host, unix://user:password@/path. The URL
// reader ends the password at the last '@' and lets it hold '@' or a space: so does this (a
// redacted host is better than a shown password).
std::string without_url_passwords(const std::string& text) {
    static const std::regex userinfo_password(R"(([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:).+@)");
    return std::regex_replace(text, userinfo_password, std::string("$1") + hidden + "@");
}

// A --set path whose value may be a credential: a consumer's env (where tokens go), or a field
// named like one.
bool names_a_secret(std::string path) {
    std::transform(path.begin(), path.end(), path.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (path.find(".env.") != std::string::npos || path.rfind("env.", 0) == 0) return true;
    for (const char* word : {"password", "passwd", "secret", "token", "credential", "auth",
                             "apikey", "api_key", "private"}) {
        if (path.find(word) != std::string::npos) return true;
    }
    return false;
}

bool valid_tag_key(const std::string& name) {
    return !name.empty() && name.size() <= 64 &&
           std::all_of(name.begin(), name.end(), [](unsigned char c) {
               return std::isalnum(c) || c == '_' || c == '.' || c == '-';
           });
}

std::string utc_now() {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

json or_null(const std::string& text) {
    return text.empty() ? json(nullptr) : json(text);
}

}  // namespace

std::string redacted_override(const std::string& override_text) {
    auto equals = override_text.find('=');
    if (equals != std::string::npos && names_a_secret(override_text.substr(0, equals))) {
        return override_text.substr(0, equals + 1) + hidden;
    }
    return without_url_passwords(override_text);
}

void record_invocation(int argc, char** argv, const std::vector<std::string>& overrides,
                       const Tags& tags) {
    auto& recorded = invocation();
    recorded = {};
    bool next_is_override = false;
    for (int i = 0; i < argc; ++i) {
        std::string argument = argv[i];
        if (next_is_override) {
            argument = redacted_override(argument);
        } else if (argument.rfind("--set=", 0) == 0) {
            argument = "--set=" + redacted_override(argument.substr(6));
        } else {
            argument = without_url_passwords(argument);
        }
        next_is_override = argument == "--set";
        recorded.command_line.push_back(std::move(argument));
    }
    for (const auto& text : overrides) recorded.overrides.push_back(redacted_override(text));
    recorded.tags = tags;
}

const std::vector<std::string>& recorded_command_line() {
    return invocation().command_line;
}

std::vector<std::string> parse_tags(const std::vector<std::string>& tag_options, Tags& tags) {
    std::vector<std::string> problems;
    for (const auto& option : tag_options) {
        auto equals = option.find('=');
        auto name = option.substr(0, equals);
        if (equals == std::string::npos || !valid_tag_key(name)) {
            problems.push_back("--tag " + option +
                               ": expected key=value, the key 1-64 letters, digits, '_', '.' "
                               "or '-'");
        } else if (!tags.emplace(name, option.substr(equals + 1)).second) {
            problems.push_back("--tag " + name + ": given twice");
        }
    }
    return problems;
}

void stamp_provenance(json& document) {
    const auto& build = os::build_info();
    auto host = os::host_facts();
    auto& provenance = document[key::provenance];
    if (!provenance.is_object()) provenance = json::object();
    provenance[key::command_line] = invocation().command_line;
    provenance[key::overrides] = invocation().overrides;
    provenance[key::tags] = invocation().tags;
    provenance[key::build] = {{key::commit, or_null(build.commit)},
                              {key::commit_dirty, build.commit_dirty},
                              {key::build_type, or_null(build.build_type)},
                              {key::compiler, or_null(build.compiler)}};
    provenance[key::host] = {{key::hostname, or_null(host.hostname)},
                             {key::cpu_model, or_null(host.cpu_model)},
                             {key::cores, host.cores},
                             {key::kernel, or_null(host.kernel)}};
    document[key::finished_at] = utc_now();
}

}  // namespace sh::cli
