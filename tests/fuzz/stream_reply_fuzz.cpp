// libFuzzer target: the decoding of stream replies. The input is raw RESP, read by hiredis into
// reply trees as a connection reads them; each complete reply is decoded as an XREADGROUP reply,
// as XRANGE/XCLAIM entries and as an XAUTOCLAIM reply. A reply of the shape Redis sends must
// decode to exactly its entries; any other shape must be refused with std::runtime_error.
#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/redis/reply.hpp"
#include "harness/redis/streams.hpp"

namespace {

using sh::redis::ReplyView;
using sh::redis::StreamEntry;
using Entries = std::vector<StreamEntry>;

// The shapes Redis sends, read independently of streams.cpp: entries are [id, fields] or nil
// (deleted meanwhile), fields nil (deleted, still pending) or name/value strings.
std::optional<Entries> expected_entries(ReplyView entries) {
    if (!entries.is_array()) return std::nullopt;
    Entries expected;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto entry = entries.element(i);
        if (entry.is_nil()) continue;
        if (entry.size() != 2 || !entry.element(0).is_string()) return std::nullopt;
        auto fields = entry.element(1);
        if (!fields.is_nil() && (!fields.is_array() || fields.size() % 2 != 0)) return std::nullopt;
        StreamEntry parsed{std::string(entry.element(0).text()), {}};
        for (std::size_t f = 0; f < fields.size(); f += 2) {
            if (!fields.element(f).is_string() || !fields.element(f + 1).is_string()) {
                return std::nullopt;
            }
            parsed.fields.emplace_back(fields.element(f).text(), fields.element(f + 1).text());
        }
        expected.push_back(std::move(parsed));
    }
    return expected;
}

// XREADGROUP of one stream: nil on timeout, else [[stream name, entries]].
std::optional<Entries> expected_read(ReplyView reply) {
    if (reply.is_nil() || (reply.is_array() && reply.size() == 0)) return Entries{};
    if (reply.size() != 1) return std::nullopt;
    auto stream = reply.element(0);
    if (stream.size() != 2 || !stream.element(0).is_string()) return std::nullopt;
    return expected_entries(stream.element(1));
}

// XAUTOCLAIM: [next start id, entries, deleted ids].
std::optional<Entries> expected_autoclaim(ReplyView reply) {
    if (reply.size() < 2) return std::nullopt;
    return expected_entries(reply.element(1));
}

bool same(const Entries& a, const Entries& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].id != b[i].id || a[i].fields != b[i].fields) return false;
    }
    return true;
}

void check(const char* as, ReplyView reply, const std::optional<Entries>& expected,
           const std::function<Entries(ReplyView)>& decode) {
    std::optional<Entries> decoded;
    try {
        decoded = decode(reply);
    } catch (const std::runtime_error& error) {
        if (!expected) return;
        std::cerr << "a well-formed " << as << " reply was refused: " << error.what() << "\n";
        std::abort();
    }
    if (!expected) {
        std::cerr << "a malformed " << as << " reply (" << reply.describe_type() << ") decoded to "
                  << decoded->size() << " entries\n";
        std::abort();
    }
    if (!same(*decoded, *expected)) {
        std::cerr << "a " << as << " reply decoded to other entries than it holds\n";
        std::abort();
    }
}

// hiredis 0.14 allocates an array's declared length before its elements arrive, so
// "*2147483647" is a 16 GiB calloc inside hiredis (fixed upstream only in 1.0): arrays are
// capped far above any reply the harness asks for, and the reader reports the rest as OOM.
constexpr int max_array_elements = 1 << 16;
redisReplyObjectFunctions hiredis_functions;

void* create_bounded_array(const redisReadTask* task, int elements) {
    if (elements < 0 || elements > max_array_elements) return nullptr;
    return hiredis_functions.createArray(task, elements);
}

redisReplyObjectFunctions bounded_functions() {
    auto* defaults = redisReaderCreate();
    hiredis_functions = *defaults->fn;
    redisReaderFree(defaults);
    auto functions = hiredis_functions;
    functions.createArray = create_bounded_array;
    return functions;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static auto functions = bounded_functions();
    auto* reader = redisReaderCreateWithFunctions(&functions);
    redisReaderFeed(reader, reinterpret_cast<const char*>(data), size);
    void* raw = nullptr;
    while (redisReaderGetReply(reader, &raw) == REDIS_OK && raw != nullptr) {
        sh::redis::ReplyPtr reply(static_cast<redisReply*>(raw));
        ReplyView view(reply.get());
        check("XREADGROUP", view, expected_read(view), sh::redis::parse_read_reply);
        check("XRANGE", view, expected_entries(view), sh::redis::parse_entries);
        check("XAUTOCLAIM", view, expected_autoclaim(view),
              [](ReplyView autoclaim) { return sh::redis::parse_entries(autoclaim.element(1)); });
    }
    redisReaderFree(reader);
    return 0;
}
