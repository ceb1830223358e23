#include "core/txt.hpp"

#include <gtest/gtest.h>

using namespace acmezone::core;

TEST(Txt, SplitsLongValuesInto255OctetStrings) {
    std::string value(600, 'x');
    auto rdata = txt_rdata_from_value(value).value();
    ASSERT_EQ(rdata.size(), 603u);
    EXPECT_EQ(static_cast<unsigned char>(rdata[0]), 255);
    EXPECT_EQ(static_cast<unsigned char>(rdata[256]), 255);
    EXPECT_EQ(static_cast<unsigned char>(rdata[512]), 90);
    EXPECT_EQ(txt_value_from_rdata(rdata).value(), value);
}

TEST(Txt, EmptyValueIsOneEmptyString) {
    EXPECT_EQ(txt_rdata_from_value("").value(), std::string(1, '\0'));
}

TEST(Txt, RejectsMalformedRdata) {
    EXPECT_FALSE(is_valid_txt_rdata(""));
    EXPECT_FALSE(is_valid_txt_rdata(std::string("\5abc", 4)));
    EXPECT_TRUE(is_valid_txt_rdata(std::string("\3abc\0", 5)));
}

TEST(Txt, AcmeChallengeValue) {
    EXPECT_TRUE(is_acme_challenge_value("LPsIwTo7o8BoG0-vjCyGQGBWSVIPxI-i_X336eUOQZo"));
    EXPECT_FALSE(is_acme_challenge_value("LPsIwTo7o8BoG0-vjCyGQGBWSVIPxI-i_X336eUOQZ"));
    EXPECT_FALSE(is_acme_challenge_value("LPsIwTo7o8BoG0+vjCyGQGBWSVIPxI-i_X336eUOQZo"));
}
