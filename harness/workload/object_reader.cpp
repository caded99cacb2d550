#include "harness/workload/object_reader.hpp"

#include <cmath>

namespace sh::workload {

using nlohmann::json;

namespace {
template <typename T>
std::string range_text(T min, T max) {
    auto format = [](T value) {
        if constexpr (std::is_floating_point_v<T>) {
            json as_json = value;
            return as_json.dump();
        } else {
            return std::to_string(value);
        }
    };
    return "out of range (expected " + format(min) + " .. " + format(max) + ")";
}
}  // namespace

std::string quote(const json& value) {
    if (value.is_array()) return "an array of " + std::to_string(value.size());
    if (value.is_object()) return "an object of " + std::to_string(value.size()) + " keys";
    return value.dump();
}

const json* ObjectReader::find(const char* key) {
    seen_.insert(key);
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
}

void ObjectReader::type_problem(const char* key, const char* expected, const json& value) {
    problems_.add(path_of(key), std::string("expected ") + expected + ", got " + quote(value));
}

void ObjectReader::text(const char* key, std::string& out, bool required_non_empty) {
    const auto* value = find(key);
    if (value == nullptr) return;
    if (!value->is_string()) return type_problem(key, "a string", *value);
    out = value->get<std::string>();
    if (required_non_empty && out.empty()) problems_.add(path_of(key), "must not be empty");
}

void ObjectReader::number(const char* key, double& out, double min, double max) {
    const auto* value = find(key);
    if (value == nullptr) return;
    if (!value->is_number()) return type_problem(key, "a number", *value);
    double parsed = value->get<double>();
    if (!std::isfinite(parsed) || parsed < min || parsed > max) {
        return problems_.add(path_of(key), quote(*value) + " is " + range_text(min, max));
    }
    out = parsed;
}

void ObjectReader::integer(const char* key, std::int64_t& out, std::int64_t min, std::int64_t max) {
    const auto* value = find(key);
    if (value == nullptr) return;
    if (!value->is_number_integer()) return type_problem(key, "an integer", *value);
    auto parsed = value->get<std::int64_t>();
    if (value->is_number_unsigned() &&
        value->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
        parsed = max + (max < INT64_MAX ? 1 : 0);
    }
    if (parsed < min || parsed > max) {
        return problems_.add(path_of(key), quote(*value) + " is " + range_text(min, max));
    }
    out = parsed;
}

void ObjectReader::unsigned_integer(const char* key, std::uint64_t& out) {
    const auto* value = find(key);
    if (value == nullptr) return;
    bool non_negative = value->is_number_unsigned() ||
                        (value->is_number_integer() && value->get<std::int64_t>() >= 0);
    if (!non_negative) return type_problem(key, "a non-negative integer", *value);
    out = value->get<std::uint64_t>();
}

void ObjectReader::boolean(const char* key, bool& out) {
    const auto* value = find(key);
    if (value == nullptr) return;
    if (!value->is_boolean()) return type_problem(key, "true or false", *value);
    out = value->get<bool>();
}

void ObjectReader::optional_integer(const char* key, std::optional<std::int64_t>& out,
                                    std::int64_t min, std::int64_t max) {
    const auto* value = find(key);
    if (value == nullptr) return;
    if (value->is_null()) {
        out.reset();
        return;
    }
    std::int64_t parsed = 0;
    seen_.erase(key);
    integer(key, parsed, min, max);
    out = parsed;
}

void ObjectReader::optional_number(const char* key, std::optional<double>& out, double min,
                                   double max) {
    const auto* value = find(key);
    if (value == nullptr) return;
    if (value->is_null()) {
        out.reset();
        return;
    }
    double parsed = 0;
    number(key, parsed, min, max);
    out = parsed;
}

void ObjectReader::text_list(const char* key, std::vector<std::string>& out,
                             bool required_non_empty) {
    const auto* value = find(key);
    if (value == nullptr) {
        if (required_non_empty) problems_.add(path_of(key), "required");
        return;
    }
    if (!value->is_array()) return type_problem(key, "an array of strings", *value);
    std::vector<std::string> items;
    for (std::size_t i = 0; i < value->size(); ++i) {
        const auto& item = (*value)[i];
        auto item_path = path_of(key) + "." + std::to_string(i);
        if (!item.is_string()) {
            problems_.add(item_path, "expected a string, got " + quote(item));
        } else if (required_non_empty && item.get<std::string>().empty()) {
            problems_.add(item_path, "must not be empty");
        } else {
            items.push_back(item.get<std::string>());
        }
    }
    if (required_non_empty && value->empty()) problems_.add(path_of(key), "must not be empty");
    out = std::move(items);
}

void ObjectReader::text_map(const char* key, std::map<std::string, std::string>& out) {
    const auto* value = find(key);
    if (value == nullptr) return;
    if (!value->is_object()) return type_problem(key, "an object of strings", *value);
    std::map<std::string, std::string> items;
    for (const auto& [name, item] : value->items()) {
        if (!item.is_string()) {
            problems_.add(path_of(key) + "." + name, "expected a string, got " + quote(item));
        } else {
            items[name] = item.get<std::string>();
        }
    }
    out = std::move(items);
}

void ObjectReader::object(const char* key, const std::function<void(ObjectReader&)>& read) {
    const auto* value = find(key);
    if (value == nullptr) return;
    if (!value->is_object()) return type_problem(key, "an object", *value);
    ObjectReader nested(*value, path_of(key), problems_);
    read(nested);
    nested.finish();
}

void ObjectReader::array(const char* key, const std::function<void(ObjectReader&)>& read) {
    const auto* value = find(key);
    if (value == nullptr) return;
    if (!value->is_array()) return type_problem(key, "an array", *value);
    for (std::size_t i = 0; i < value->size(); ++i) {
        const auto& element = (*value)[i];
        auto element_path = path_of(key) + "." + std::to_string(i);
        if (!element.is_object()) {
            problems_.add(element_path, "expected an object, got " + quote(element));
            continue;
        }
        ObjectReader nested(element, element_path, problems_);
        read(nested);
        nested.finish();
    }
}

void ObjectReader::finish() {
    for (const auto& [key, value] : object_.items()) {
        if (seen_.count(key) == 0) problems_.add(path_of(key), "unknown key");
    }
}

}  // namespace sh::workload
