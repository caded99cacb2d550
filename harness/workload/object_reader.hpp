// Reads one JSON object into typed fields, collecting "path: problem" messages instead of
// stopping at the first one, and reporting keys nobody asked for as unknown.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace sh::workload {

class Problems {
  public:
    void add(const std::string& path, const std::string& reason) {
        messages_.push_back(path + ": " + reason);
    }
    bool empty() const { return messages_.empty(); }
    std::vector<std::string> take() { return std::move(messages_); }

  private:
    std::vector<std::string> messages_;
};

// How a problem shows the value it is about: a scalar as JSON, an array or object by its size.
// dump() would paste a whole document into one line, recursing as deep as it nests: off the end
// of the stack for a file nested 100,000 levels deep.
std::string quote(const nlohmann::json& value);

template <typename Enum>
using Choices = std::vector<std::pair<std::string, Enum>>;

template <typename Enum>
std::string name_of(const Choices<Enum>& choices, Enum value) {
    for (const auto& [name, candidate] : choices) {
        if (candidate == value) return name;
    }
    return "?";
}

class ObjectReader {
  public:
    ObjectReader(const nlohmann::json& object, std::string path, Problems& problems)
        : object_(object), path_(std::move(path)), problems_(problems) {}

    void text(const char* key, std::string& out, bool required_non_empty);
    void number(const char* key, double& out, double min, double max);
    void integer(const char* key, std::int64_t& out, std::int64_t min, std::int64_t max);
    void unsigned_integer(const char* key, std::uint64_t& out);
    void boolean(const char* key, bool& out);
    void optional_integer(const char* key, std::optional<std::int64_t>& out, std::int64_t min,
                          std::int64_t max);
    void optional_number(const char* key, std::optional<double>& out, double min, double max);

    template <typename Enum>
    void choice(const char* key, Enum& out, const Choices<Enum>& choices) {
        const auto* value = find(key);
        if (value == nullptr) return;
        if (value->is_string()) {
            for (const auto& [name, candidate] : choices) {
                if (*value == name) {
                    out = candidate;
                    return;
                }
            }
        }
        std::string allowed;
        for (const auto& choice : choices) allowed += (allowed.empty() ? "" : ", ") + choice.first;
        problems_.add(path_of(key), "expected one of " + allowed + ", got " + quote(*value));
    }

    // An array of strings; `required_non_empty`: present, with at least one, none empty.
    void text_list(const char* key, std::vector<std::string>& out, bool required_non_empty);
    // An object whose values are all strings.
    void text_map(const char* key, std::map<std::string, std::string>& out);

    // Reads a nested object with its own reader (unknown keys inside are reported too).
    void object(const char* key, const std::function<void(ObjectReader&)>& read);
    // Reads an array of objects; read is called once per element with a reader for it.
    void array(const char* key, const std::function<void(ObjectReader&)>& read);
    // Reports every key of the object that no call above asked for.
    void finish();

  private:
    const nlohmann::json* find(const char* key);
    std::string path_of(const std::string& key) const {
        return path_.empty() ? key : path_ + "." + key;
    }
    void type_problem(const char* key, const char* expected, const nlohmann::json& value);

    const nlohmann::json& object_;
    std::string path_;
    Problems& problems_;
    std::set<std::string> seen_;
};

}  // namespace sh::workload
