#include "reports/report_path.hpp"

#include <algorithm>
#include <cmath>

#include "harness/errors.hpp"

namespace sh::reports {

using nlohmann::json;

const json& member(const json& parent, std::string_view key) {
    static const json absent;
    if (!parent.is_object()) return absent;
    auto found = parent.find(key);
    return found == parent.end() ? absent : *found;
}

const json& member_path(const json& root, std::initializer_list<std::string_view> keys) {
    const json* node = &root;
    for (auto key : keys) node = &member(*node, key);
    return *node;
}

const json& member_path(const json& root, const Path& keys) {
    const json* node = &root;
    for (const auto& key : keys) node = &member(*node, key);
    return *node;
}

const json* find_path(const json& root, const Path& keys) {
    const json* node = &root;
    for (const auto& key : keys) {
        if (!node->is_object()) return nullptr;
        auto found = node->find(key);
        if (found == node->end()) return nullptr;
        node = &*found;
    }
    return node;
}

std::optional<double> number_of(const json& value) {
    if (!value.is_number() || !std::isfinite(value.get<double>())) return std::nullopt;
    return value.get<double>();
}

std::string string_or(const json& value, std::string fallback) {
    return value.is_string() ? value.get<std::string>() : fallback;
}

namespace {

// A run report nests 7 levels (histogram buckets), an aggregate's comparison pair 8.
constexpr int max_nesting = 32;

bool nests_deeper(const json& node, int levels) {
    if (!node.is_structured()) return false;
    if (levels == 0) return true;
    return std::any_of(node.begin(), node.end(),
                       [&](const json& child) { return nests_deeper(child, levels - 1); });
}

}  // namespace

void require_shallow(const json& document, const std::string& what) {
    if (nests_deeper(document, max_nesting)) {
        throw input_error({what + ": nested more than " + std::to_string(max_nesting) +
                           " levels deep (not a streamharness document)"});
    }
}

std::string dotted(const Path& keys) {
    std::string text;
    for (const auto& key : keys) text += (text.empty() ? "" : ".") + key;
    return text;
}

}  // namespace sh::reports
