// The provenance every document the tool writes carries (DESIGN §9.1): when it was finished,
// the command line that produced it (secrets redacted), the user's tags, the build and the
// host. The target Redis's part (provenance.redis) comes from the run (reports/provenance_json).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sh::cli {

using Tags = std::map<std::string, std::string>;

// One `--set path=value` as a report may show it: the value of a path that names a secret or a
// consumer's env becomes ***, as does a password in a URL.
std::string redacted_override(const std::string& override_text);
// `--tag key=value`, repeatable, into tags; the problems (a key that is not 1-64 letters,
// digits, '_', '.' or '-'; a key given twice), one each, for exit 2.
std::vector<std::string> parse_tags(const std::vector<std::string>& tag_options, Tags& tags);

// Remembers this process's invocation (main calls it once, after parsing): its command line,
// redacted, its --set overrides and its --tag tags.
void record_invocation(int argc, char** argv, const std::vector<std::string>& overrides,
                       const Tags& tags);
const std::vector<std::string>& recorded_command_line();

// Adds finished_at (now) and provenance.{command_line, overrides, tags, build, host} from the
// recorded invocation to a report.json or capacity.json, keeping what provenance already holds
// (the run's redis part).
void stamp_provenance(nlohmann::json& document);

}  // namespace sh::cli
