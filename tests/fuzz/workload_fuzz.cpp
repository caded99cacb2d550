// libFuzzer target: a workload document and `--set` overrides, read as `streamharness run` reads
// them. The input is the JSON text, then one override after each "\n--set " in it
// ('{...}\n--set duration_s=5\n--set groups.0.ack=after'). Reading must end in a Workload or a
// WorkloadError (anything else reaches the user as "internal error"), and an accepted workload
// must read back from its own to_json unchanged: that JSON goes into the report and to workers.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "harness/errors.hpp"
#include "harness/workload/workload_json.hpp"
#include "tests/fuzz/json_mutator.hpp"

namespace {

constexpr std::string_view override_marker = "\n--set ";

struct Input {
    std::string_view document;
    std::vector<std::string> overrides;
};

Input split(std::string_view input) {
    auto marker = input.find(override_marker);
    Input split{input.substr(0, marker), {}};
    while (marker != std::string_view::npos) {
        auto start = marker + override_marker.size();
        marker = input.find(override_marker, start);
        split.overrides.emplace_back(input.substr(start, marker - start));
    }
    return split;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto input = split({reinterpret_cast<const char*>(data), size});
    auto document = nlohmann::json::parse(input.document, nullptr, false);
    if (document.is_discarded()) return 0;  // load_workload reports invalid JSON itself
    sh::workload::Workload workload;
    try {
        workload = sh::workload::parse_workload(std::move(document), input.overrides);
    } catch (const sh::WorkloadError&) {
        return 0;
    }
    auto written = sh::workload::to_json(workload);
    auto again = sh::workload::to_json(sh::workload::parse_workload(written));
    if (again != written) {
        std::cerr << "to_json does not read back:\n" << written << "\nreads back as\n" << again;
        std::abort();
    }
    return 0;
}

// Half the time the document alone, as JSON (json_mutator.hpp), its overrides kept; else bytes.
extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto overrides = std::string(input.substr(std::min(input.find(override_marker), size)));
    if (seed % 2 == 0 || overrides.size() >= max_size)
        return LLVMFuzzerMutate(data, size, max_size);
    auto document_size =
        sh::fuzz::mutate_json(data, size - overrides.size(), max_size - overrides.size(), seed / 2);
    std::memcpy(data + document_size, overrides.data(), overrides.size());
    return document_size + overrides.size();
}
