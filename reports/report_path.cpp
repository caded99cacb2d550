#include "reports/report_path.hpp"

#include <cmath>

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

std::string dotted(const Path& keys) {
    std::string text;
    for (const auto& key : keys) text += (text.empty() ? "" : ".") + key;
    return text;
}

}  // namespace sh::reports
