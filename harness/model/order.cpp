#include "harness/model/order.hpp"

#include <charconv>
#include <type_traits>

namespace sh::model {

namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finaliser
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

template <typename T>
bool parse_number(const std::string* text, T& out) {
    if (text == nullptr || text->empty()) return false;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), out);
    return ec == std::errc{} && end == text->data() + text->size();
}

}  // namespace

std::uint64_t OrderAttributes::user_of(std::uint64_t seq) const {
    return mix(seq ^ mix(seed)) % users;
}

std::int64_t OrderAttributes::amount_of(std::uint64_t seq) const {
    return 1 + static_cast<std::int64_t>(mix(seq + 0x5bd1e995ULL * seed) % 100);
}

bool OrderAttributes::is_poison(std::uint64_t seq) const {
    if (poison_ratio <= 0) return false;
    auto unit = static_cast<double>(mix(seq ^ mix(seed ^ 0x706f69736f6eULL)) >> 11) * 0x1.0p-53;
    return unit < poison_ratio;
}

Order OrderAttributes::make(std::uint64_t seq, std::int64_t intended_send_ns) const {
    return {seq, user_of(seq), amount_of(seq), intended_send_ns, is_poison(seq)};
}

namespace {
// Every field of an order's entry, in order, for both encodings below.
template <typename Visit, typename Filler>
void visit_fields(const std::string& run_id, const Order& order, std::size_t payload_bytes,
                  Visit visit, Filler filler) {
    visit("run", run_id);
    visit("orderno", order.seq);
    visit("user", order.user);
    visit("amount", order.amount);
    visit("ts", order.intended_send_ns);
    if (order.poison) visit("poison", std::uint64_t{1});
    if (payload_bytes > 0) filler("pad", payload_bytes);
}

std::size_t field_count(const Order& order, std::size_t payload_bytes) {
    return 2 * (5 + (order.poison ? 1 : 0) + (payload_bytes > 0 ? 1 : 0));
}
}  // namespace

redis::Args order_fields(const std::string& run_id, const Order& order, std::size_t payload_bytes) {
    redis::Args fields;
    fields.reserve(field_count(order, payload_bytes));
    visit_fields(
        run_id, order, payload_bytes,
        [&](const char* name, const auto& value) {
            fields.emplace_back(name);
            if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::string>) {
                fields.push_back(value);
            } else {
                fields.push_back(std::to_string(value));
            }
        },
        [&](const char* name, std::size_t bytes) {
            fields.emplace_back(name);
            fields.emplace_back(bytes, 'x');
        });
    return fields;
}

void append_xadd(redis::CommandBuffer& buffer, const std::string& key, const std::string& run_id,
                 const Order& order, std::size_t payload_bytes) {
    buffer.begin(3 + field_count(order, payload_bytes));
    buffer.arg("XADD");
    buffer.arg(key);
    buffer.arg("*");
    visit_fields(
        run_id, order, payload_bytes,
        [&](const char* name, const auto& value) {
            buffer.arg(name);
            buffer.arg(value);
        },
        [&](const char* name, std::size_t bytes) {
            buffer.arg(name);
            buffer.filler(bytes, 'x');
        });
}

std::optional<Order> decode_order(const redis::Fields& fields) {
    Order order;
    if (!parse_number(redis::find_field(fields, "orderno"), order.seq) ||
        !parse_number(redis::find_field(fields, "user"), order.user) ||
        !parse_number(redis::find_field(fields, "amount"), order.amount) ||
        !parse_number(redis::find_field(fields, "ts"), order.intended_send_ns)) {
        return std::nullopt;
    }
    const auto* poison = redis::find_field(fields, "poison");
    order.poison = poison != nullptr && *poison == "1";
    return order;
}

bool stamped_by(const redis::Fields& fields, std::string_view run_id) {
    const auto* stamp = redis::find_field(fields, "run");
    return stamp != nullptr && *stamp == run_id;
}

}  // namespace sh::model
