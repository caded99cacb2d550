// Structure-aware mutation of JSON inputs for libFuzzer. Byte mutations of a 20 KB report mostly
// break its syntax or change a digit, while readers fail on a field of another type, a missing
// field, or a value that belongs elsewhere: most mutations therefore replace, copy or remove one
// node of the parsed document, the rest are libFuzzer's own byte mutations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace sh::fuzz {

using nlohmann::json;

// Nodes below this depth are not picked: collecting them would recurse as deep as the input nests.
constexpr int max_mutation_depth = 32;

inline void collect_nodes(json& node, std::vector<json*>& nodes, int depth) {
    nodes.push_back(&node);
    if (depth == max_mutation_depth || !node.is_structured()) return;
    for (auto& child : node) collect_nodes(child, nodes, depth + 1);
}

// A value of some kind, for a node that held another.
inline json other_value(std::minstd_rand& random) {
    constexpr auto huge = std::numeric_limits<std::uint64_t>::max();
    static const auto values = json::array({nullptr, true, 0, -1, 1.5, 1e300, huge, "", "x", "0",
                                            json::array(), json::object(), json::array({0, "x"})});
    return values[random() % values.size()];
}

inline void remove_one_child(json& node, std::minstd_rand& random) {
    if (node.empty() || !node.is_structured()) {
        node = nullptr;
    } else if (node.is_object()) {
        node.erase(std::next(node.begin(), static_cast<std::ptrdiff_t>(random() % node.size())));
    } else {
        node.erase(random() % node.size());
    }
}

// Mutates data[0, size) in place, up to max_size bytes; returns the new size.
inline std::size_t mutate_json(std::uint8_t* data, std::size_t size, std::size_t max_size,
                               unsigned int seed) {
    std::minstd_rand random(seed);
    auto document = json::parse(data, data + size, nullptr, false);
    if (document.is_discarded() || random() % 4 == 0) return LLVMFuzzerMutate(data, size, max_size);
    std::vector<json*> nodes;
    collect_nodes(document, nodes, 0);
    auto& target = *nodes[random() % nodes.size()];
    switch (random() % 3) {
        case 0:
            target = other_value(random);
            break;
        case 1: {
            json copy = *nodes[random() % nodes.size()];  // may be the target's own ancestor
            target = std::move(copy);
            break;
        }
        default:
            remove_one_child(target, random);
    }
    auto text = document.dump();
    if (text.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
    std::memcpy(data, text.data(), text.size());
    return text.size();
}

}  // namespace sh::fuzz
