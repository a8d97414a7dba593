// Tests of the civil-date conversions in civil_time.h.
#include "zta/core/civil_time.h"

#include <gtest/gtest.h>

namespace zta {
namespace {

// Fixed points: the epoch, the day before it, a leap day, and dates either side of 2000 and 1900.
TEST(CivilTimeTest, KnownDates) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(2028, 2, 29), 21243);
  EXPECT_EQ(DaysFromCivil(1900, 3, 1), -25508);
  EXPECT_EQ(CivilFromDays(0), (CivilDate{1970, 1, 1}));
  EXPECT_EQ(CivilFromDays(-1), (CivilDate{1969, 12, 31}));
  EXPECT_EQ(CivilFromDays(21243), (CivilDate{2028, 2, 29}));
  static_assert(DaysFromCivil(1994, 11, 6) * 86400 == 784080000);
}

// Every day from 1600 to 2400 round-trips, and consecutive days are consecutive dates.
TEST(CivilTimeTest, RoundTripOverFourCenturies) {
  const int64_t first = DaysFromCivil(1600, 1, 1);
  const int64_t last = DaysFromCivil(2400, 12, 31);
  CivilDate previous = CivilFromDays(first - 1);
  for (int64_t d = first; d <= last; ++d) {
    const CivilDate date = CivilFromDays(d);
    ASSERT_TRUE(IsValidCivilDate(date.year, date.month, date.day)) << d;
    ASSERT_EQ(DaysFromCivil(date.year, date.month, date.day), d);
    const bool next_day = date.day == previous.day + 1 && date.month == previous.month;
    const bool next_month = date.day == 1 && (date.month == previous.month + 1 ||
                                              (date.month == 1 && date.year == previous.year + 1));
    ASSERT_TRUE(next_day || next_month) << d;
    previous = date;
  }
}

// Leap years follow the Gregorian rule: 2000 and 2024 have Feb 29, 1900 and 2023 do not.
TEST(CivilTimeTest, ValidDates) {
  EXPECT_TRUE(IsValidCivilDate(2000, 2, 29));
  EXPECT_TRUE(IsValidCivilDate(2024, 2, 29));
  EXPECT_FALSE(IsValidCivilDate(1900, 2, 29));
  EXPECT_FALSE(IsValidCivilDate(2023, 2, 29));
  EXPECT_FALSE(IsValidCivilDate(2023, 4, 31));
  EXPECT_FALSE(IsValidCivilDate(2023, 13, 1));
  EXPECT_FALSE(IsValidCivilDate(2023, 1, 0));
}

}  // namespace
}  // namespace zta
