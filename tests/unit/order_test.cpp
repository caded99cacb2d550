// Orders on the wire (XADD fields and back) and the attributes recomputed from (seed, seq).
#include "harness/model/order.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>

using sh::model::decode_order;
using sh::model::Order;
using sh::model::order_fields;
using sh::model::OrderAttributes;
using sh::redis::Fields;

namespace {

// XADD's flat name/value list as XRANGE gives it back.
Fields as_fields(const std::vector<std::string>& args) {
    Fields fields;
    for (std::size_t i = 0; i + 1 < args.size(); i += 2) fields.emplace_back(args[i], args[i + 1]);
    return fields;
}

Fields valid_fields() {
    return {{"orderno", "42"}, {"user", "7"}, {"amount", "55"}, {"ts", "1700000000000000000"}};
}

Fields with(Fields fields, const std::string& name, const std::string& value) {
    for (auto& [field, text] : fields) {
        if (field == name) text = value;
    }
    return fields;
}

Fields without(Fields fields, const std::string& name) {
    std::erase_if(fields, [&](const auto& field) { return field.first == name; });
    return fields;
}

}  // namespace

TEST(OrderFields, RoundTripThroughDecode) {
    Order order{123456789, 42, 99, -5, false};
    auto decoded = decode_order(as_fields(order_fields("r1", order, 16)));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->seq, order.seq);
    EXPECT_EQ(decoded->user, order.user);
    EXPECT_EQ(decoded->amount, order.amount);
    EXPECT_EQ(decoded->intended_send_ns, order.intended_send_ns);
    EXPECT_FALSE(decoded->poison);
}

TEST(OrderFields, RoundTripKeepsExtremeValues) {
    Order order{UINT64_MAX, UINT64_MAX, INT64_MAX, INT64_MIN, true};
    auto decoded = decode_order(as_fields(order_fields("r1", order, 0)));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->seq, UINT64_MAX);
    EXPECT_EQ(decoded->user, UINT64_MAX);
    EXPECT_EQ(decoded->amount, INT64_MAX);
    EXPECT_EQ(decoded->intended_send_ns, INT64_MIN);
    EXPECT_TRUE(decoded->poison);
}

TEST(OrderFields, ListsFieldsInTheDocumentedOrder) {
    auto args = order_fields("r1", Order{1, 2, 3, 4, false}, 0);
    EXPECT_EQ(args, (std::vector<std::string>{"run", "r1", "orderno", "1", "user", "2", "amount",
                                              "3", "ts", "4"}));
}

TEST(OrderFields, PoisonFlagIsWrittenAndRead) {
    auto args = order_fields("r1", Order{1, 2, 3, 4, true}, 8);
    auto fields = as_fields(args);
    ASSERT_NE(sh::redis::find_field(fields, "poison"), nullptr);
    EXPECT_EQ(*sh::redis::find_field(fields, "poison"), "1");
    ASSERT_TRUE(decode_order(fields).has_value());
    EXPECT_TRUE(decode_order(fields)->poison);
    EXPECT_EQ(
        sh::redis::find_field(as_fields(order_fields("r1", Order{1, 2, 3, 4, false}, 8)), "poison"),
        nullptr);
}

TEST(OrderFields, PoisonFieldOtherThanOneIsNotPoison) {
    auto fields = valid_fields();
    fields.emplace_back("poison", "0");
    ASSERT_TRUE(decode_order(fields).has_value());
    EXPECT_FALSE(decode_order(fields)->poison);
}

TEST(OrderFields, PadHasExactlyPayloadBytes) {
    for (std::size_t bytes : {1U, 64U, 4096U}) {
        auto fields = as_fields(order_fields("r1", Order{1, 2, 3, 4, false}, bytes));
        const auto* pad = sh::redis::find_field(fields, "pad");
        ASSERT_NE(pad, nullptr) << bytes;
        EXPECT_EQ(pad->size(), bytes);
        EXPECT_EQ(pad->find_first_not_of('x'), std::string::npos);
    }
}

TEST(OrderFields, ZeroPayloadBytesOmitsThePad) {
    auto fields = as_fields(order_fields("r1", Order{1, 2, 3, 4, false}, 0));
    EXPECT_EQ(sh::redis::find_field(fields, "pad"), nullptr);
    EXPECT_EQ(fields.size(), 5U);
}

TEST(OrderStamp, OnlyTheRunsOwnStampCounts) {
    auto fields = as_fields(order_fields("r1", Order{1, 2, 3, 4, false}, 0));
    EXPECT_TRUE(sh::model::stamped_by(fields, "r1"));
    EXPECT_FALSE(sh::model::stamped_by(fields, "r2"));
    EXPECT_FALSE(sh::model::stamped_by(fields, "r"));
    EXPECT_FALSE(sh::model::stamped_by(without(fields, "run"), "r1"));
    // A foreign entry that looks like an order is still foreign.
    EXPECT_TRUE(decode_order(without(fields, "run")).has_value());
}

TEST(OrderDecode, AcceptsFieldsInAnyOrderAndIgnoresExtras) {
    Fields fields{{"pad", "xxx"}, {"ts", "9"},   {"amount", "8"},
                  {"other", "?"}, {"user", "7"}, {"orderno", "6"}};
    auto decoded = decode_order(fields);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->seq, 6U);
    EXPECT_EQ(decoded->user, 7U);
    EXPECT_EQ(decoded->amount, 8);
    EXPECT_EQ(decoded->intended_send_ns, 9);
}

TEST(OrderDecode, MissingFieldIsMalformed) {
    ASSERT_TRUE(decode_order(valid_fields()).has_value());
    for (const char* name : {"orderno", "user", "amount", "ts"}) {
        EXPECT_FALSE(decode_order(without(valid_fields(), name)).has_value()) << name;
    }
    EXPECT_FALSE(decode_order(Fields{}).has_value());
}

TEST(OrderDecode, NonNumericOrEmptyFieldIsMalformed) {
    for (const char* name : {"orderno", "user", "amount", "ts"}) {
        EXPECT_FALSE(decode_order(with(valid_fields(), name, "abc")).has_value()) << name;
        EXPECT_FALSE(decode_order(with(valid_fields(), name, "")).has_value()) << name;
        EXPECT_FALSE(decode_order(with(valid_fields(), name, " 1")).has_value()) << name;
    }
}

TEST(OrderDecode, TrailingGarbageIsMalformed) {
    for (const char* name : {"orderno", "user", "amount", "ts"}) {
        EXPECT_FALSE(decode_order(with(valid_fields(), name, "12x")).has_value()) << name;
        EXPECT_FALSE(decode_order(with(valid_fields(), name, "12 ")).has_value()) << name;
        EXPECT_FALSE(decode_order(with(valid_fields(), name, "1.5")).has_value()) << name;
    }
}

TEST(OrderDecode, NegativeOrOverflowingUnsignedIsMalformed) {
    EXPECT_FALSE(decode_order(with(valid_fields(), "orderno", "-1")).has_value());
    EXPECT_FALSE(decode_order(with(valid_fields(), "user", "-1")).has_value());
    EXPECT_FALSE(decode_order(with(valid_fields(), "orderno", "18446744073709551616")).has_value());
    EXPECT_FALSE(decode_order(with(valid_fields(), "amount", "9223372036854775808")).has_value());
}

TEST(OrderAttributes, SameSeedGivesSameAttributes) {
    OrderAttributes a{99, 500, 0.3};
    OrderAttributes b{99, 500, 0.3};
    for (std::uint64_t seq = 0; seq < 10000; ++seq) {
        ASSERT_EQ(a.user_of(seq), b.user_of(seq)) << seq;
        ASSERT_EQ(a.amount_of(seq), b.amount_of(seq)) << seq;
        ASSERT_EQ(a.is_poison(seq), b.is_poison(seq)) << seq;
    }
}

TEST(OrderAttributes, DifferentSeedGivesDifferentAttributes) {
    OrderAttributes a{1, 1000, 0.5};
    OrderAttributes b{2, 1000, 0.5};
    int same_user = 0, same_amount = 0, same_poison = 0;
    for (std::uint64_t seq = 0; seq < 1000; ++seq) {
        same_user += a.user_of(seq) == b.user_of(seq);
        same_amount += a.amount_of(seq) == b.amount_of(seq);
        same_poison += a.is_poison(seq) == b.is_poison(seq);
    }
    EXPECT_LT(same_user, 50);
    EXPECT_LT(same_amount, 100);
    EXPECT_LT(same_poison, 700);
}

TEST(OrderAttributes, AmountsStayWithinOneToHundredAndCoverTheRange) {
    OrderAttributes attributes{20200425, 1000, 0};
    std::set<std::int64_t> seen;
    for (std::uint64_t seq = 0; seq < 100000; ++seq) {
        auto amount = attributes.amount_of(seq);
        ASSERT_GE(amount, 1) << seq;
        ASSERT_LE(amount, 100) << seq;
        seen.insert(amount);
    }
    EXPECT_EQ(seen.size(), 100U);
}

TEST(OrderAttributes, UsersStayBelowTheUserCount) {
    OrderAttributes attributes{3, 17, 0};
    std::set<std::uint64_t> seen;
    for (std::uint64_t seq = 0; seq < 10000; ++seq) {
        ASSERT_LT(attributes.user_of(seq), 17U) << seq;
        seen.insert(attributes.user_of(seq));
    }
    EXPECT_EQ(seen.size(), 17U);
}

TEST(OrderAttributes, PoisonRatioZeroPoisonsNothing) {
    OrderAttributes attributes{5, 1000, 0};
    for (std::uint64_t seq = 0; seq < 100000; ++seq) ASSERT_FALSE(attributes.is_poison(seq));
}

TEST(OrderAttributes, PoisonRatioOnePoisonsEverything) {
    OrderAttributes attributes{5, 1000, 1};
    for (std::uint64_t seq = 0; seq < 100000; ++seq) ASSERT_TRUE(attributes.is_poison(seq));
}

TEST(OrderAttributes, PoisonRatioTenthPoisonsAboutTenPercent) {
    OrderAttributes attributes{20200425, 1000, 0.1};
    int poison = 0;
    for (std::uint64_t seq = 0; seq < 100000; ++seq) poison += attributes.is_poison(seq);
    EXPECT_GE(poison, 9000);
    EXPECT_LE(poison, 11000);
}

TEST(OrderAttributes, MakeUsesTheAttributesOfTheSeq) {
    OrderAttributes attributes{11, 250, 0.5};
    for (std::uint64_t seq : {0ULL, 1ULL, 77ULL, 123456ULL}) {
        auto order = attributes.make(seq, 1234);
        EXPECT_EQ(order.seq, seq);
        EXPECT_EQ(order.user, attributes.user_of(seq));
        EXPECT_EQ(order.amount, attributes.amount_of(seq));
        EXPECT_EQ(order.poison, attributes.is_poison(seq));
        EXPECT_EQ(order.intended_send_ns, 1234);
    }
}
