// Reading a document the tool wrote (report.json, capacity.json) by path, the one way every
// reader does it: a missing member, or a path through something that is not an object, reads
// as null and never throws, so a damaged or partial report shows what it has. Field names come
// from report_keys.hpp.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sh::reports {

using Path = std::vector<std::string>;

const nlohmann::json& member(const nlohmann::json& parent, std::string_view key);
const nlohmann::json& member_path(const nlohmann::json& root,
                                  std::initializer_list<std::string_view> keys);
const nlohmann::json& member_path(const nlohmann::json& root, const Path& keys);
// The node at the path, or nullptr where there is none.
const nlohmann::json* find_path(const nlohmann::json& root, const Path& keys);
// A finite number, or nothing.
std::optional<double> number_of(const nlohmann::json& value);
// The string, or `fallback` for anything else: nlohmann's value() throws on another type.
std::string string_or(const nlohmann::json& value, std::string fallback = "");
// Throws WorkloadError naming `what` when the document nests deeper than any the tool writes:
// the readers and nlohmann's dump() recurse once a level, so a file nested thousands of levels
// deep would overflow the stack.
void require_shallow(const nlohmann::json& document, const std::string& what);
// "summary.groups.score": the path as --set and `show` write it.
std::string dotted(const Path& keys);

}  // namespace sh::reports
