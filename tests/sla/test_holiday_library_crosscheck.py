"""Cross-check: every statutory calendar against the general-purpose `holidays` library, 2020-2035.

Every date on which the two disagree is listed, grouped by (calendar, which side has it, holiday
name), and the groups must be exactly the reviewed table below, counts included: each row says
which statute decides it. A change to a data file, or a library upgrade, that changes any date
fails here loudly; review the new difference and either fix the data or add a row with its
statute. The library is a development dependency only: nothing at runtime uses it.
"""

from __future__ import annotations

from collections import Counter

import holidays

from sla.holiday_sources import FEDERAL, holidays_in_year, known_calendar_codes

YEARS = range(2020, 2036)
LIB, OURS = "library only", "statute only"

# (calendar, side, holiday name on that side, dates in 2020-2035): the statute that decides it.
EXPECTED: dict[tuple[str, str, str, int], str] = {
    # California: the judicial holidays of Cal. Code Civ. Proc. § 135 over Cal. Gov. Code § 6700.
    ("US-CA", OURS, "Lincoln Day", 16): "Gov. Code § 6700(a)(4); CCP § 135",
    ("US-CA", OURS, "Lincoln Day (observed)", 2): "Gov. Code § 6701: 12 Feb on a Sunday -> Monday",
    ("US-CA", OURS, "Native American Day", 14): "Gov. Code § 6700; CCP § 135 (AB 855, from 2022)",
    ("US-CA", LIB, "Susan B. Anthony Day", 14): "not in Gov. Code § 6700",
    ("US-CA", LIB, "Diwali", 9): "AB 268 (2025) amended CCP § 135: not a judicial holiday",
    ("US-CA", LIB, "Christmas Day (observed)", 3): "Gov. Code § 6701 moves no Saturday holiday",
    ("US-CA", LIB, "Independence Day (observed)", 2): "Gov. Code § 6701 moves no Saturday holiday",
    ("US-CA", LIB, "New Year's Day (observed)", 3): "Gov. Code § 6701 moves no Saturday holiday",
    ("US-CA", LIB, "Juneteenth National Independence Day", 2): "a § 6700 holiday from 2023",
    ("US-CA", LIB, "Juneteenth National Independence Day (observed)", 5): "§ 6701 lists no June 19",
    # District of Columbia: D.C. Code § 1-612.02 (the District's own Juneteenth from 2022).
    ("US-DC", LIB, "Juneteenth National Independence Day", 1): "D.C. Code § 1-612.02 from 2022",
    ("US-DC", LIB, "Juneteenth National Independence Day (observed)", 1): "as the row above",
    # Florida: Fla. Stat. § 110.117 (the closures), not § 683.01's commemorations.
    ("US-FL", LIB, "Susan B. Anthony Day", 16): "§ 683.01 only; not a § 110.117 closure",
    ("US-FL", LIB, "Juneteenth National Independence Day", 15): "not in Fla. Stat. § 110.117",
    ("US-FL", LIB, "Juneteenth National Independence Day (observed)", 5): "as the row above",
    # Hawaii: Haw. Rev. Stat. § 8-1.
    ("US-HI", OURS, "Good Friday", 14): "Haw. Rev. Stat. § 8-1 (2 years it is also Kuhio Day)",
    ("US-HI", LIB, "Juneteenth National Independence Day", 15): "a day of observance, not § 8-1",
    ("US-HI", LIB, "Juneteenth National Independence Day (observed)", 5): "as the row above",
    # Illinois: 5 ILCS 490/60 moves only a Sunday Lincoln's Birthday; none moves a Saturday one.
    ("US-IL", LIB, "Christmas Day (observed)", 3): "no Illinois statute moves a Saturday holiday",
    ("US-IL", LIB, "Independence Day (observed)", 2): "no Illinois statute moves a Saturday one",
    ("US-IL", LIB, "New Year's Day (observed)", 3): "no Illinois statute moves a Saturday one",
    ("US-IL", LIB, "Veterans Day (observed)", 3): "no Illinois statute moves a Saturday one",
    ("US-IL", LIB, "Lincoln's Birthday (observed)", 3): "5 ILCS 490/60 moves only a Sunday one",
    ("US-IL", LIB, "Juneteenth National Independence Day", 1): "10 ILCS 5/1-6: from 2022",
    # 5 ILCS 490/63: a Saturday or Sunday 19 June moves to neither Friday nor Monday.
    ("US-IL", LIB, "Juneteenth National Independence Day (observed)", 5): "5 ILCS 490/63",
    # New Jersey: N.J.S.A. 11A:6-24.1 with 36:1-1 and 36:1-1.2.
    ("US-NJ", OURS, "Juneteenth Day", 11): "N.J.S.A. 11A:6-24.1(a)(6): third Friday in June",
    ("US-NJ", LIB, "Juneteenth National Independence Day", 14): "as the row above",
    ("US-NJ", LIB, "Juneteenth National Independence Day (observed)", 2): "as the row above",
    # The library has it in even years only; New Jersey elects every November.
    ("US-NJ", OURS, "General Election Day", 8): "N.J.S.A. 11A:6-24.1(a): any general election day",
    ("US-NJ", LIB, "Lincoln's Birthday", 16): "N.J.S.A. 36:1-1(d): State offices open",
    ("US-NJ", LIB, "Lincoln's Birthday (observed)", 5): "as the row above",
    # New York: N.Y. Gen. Constr. Law § 24 moves only a Sunday holiday, Flag Day never.
    ("US-NY", LIB, "Susan B. Anthony Day", 14): "not a public holiday in § 24",
    ("US-NY", OURS, "Flag Day", 16): "§ 24: second Sunday in June (a Sunday, never moved)",
    ("US-NY", OURS, "Juneteenth", 1): "§ 24 as amended by L. 2020, ch. 249: from 2020",
    ("US-NY", LIB, "Christmas Day (observed)", 3): "§ 24 moves no Saturday holiday",
    ("US-NY", LIB, "Independence Day (observed)", 2): "§ 24 moves no Saturday holiday",
    ("US-NY", LIB, "New Year's Day (observed)", 3): "§ 24 moves no Saturday holiday",
    ("US-NY", LIB, "Veterans Day (observed)", 3): "§ 24 moves no Saturday holiday",
    ("US-NY", LIB, "Lincoln's Birthday (observed)", 3): "§ 24 moves no Saturday holiday",
    ("US-NY", LIB, "Juneteenth National Independence Day (observed)", 3): "no Saturday shift",
    # Pennsylvania: 44 P.S. § 11, Sunday -> Monday only.
    ("US-PA", OURS, "Good Friday", 16): "44 P.S. § 11",
    ("US-PA", OURS, "Flag Day", 16): "44 P.S. § 11 (14 June)",
    ("US-PA", OURS, "Flag Day (observed)", 2): "44 P.S. § 11: a Sunday holiday -> Monday",
    ("US-PA", OURS, "Election Day", 16): "44 P.S. § 11 (every November)",
    ("US-PA", LIB, "Day After Thanksgiving", 16): "not in 44 P.S. § 11 (a UJS schedule day)",
    ("US-PA", LIB, "Juneteenth National Independence Day", 15): "an observance (Act 2019-9)",
    ("US-PA", LIB, "Juneteenth National Independence Day (observed)", 5): "as the row above",
    ("US-PA", LIB, "Christmas Day (observed)", 3): "44 P.S. § 11 moves no Saturday holiday",
    ("US-PA", LIB, "Independence Day (observed)", 2): "44 P.S. § 11 moves no Saturday holiday",
    ("US-PA", LIB, "New Year's Day (observed)", 3): "44 P.S. § 11 moves no Saturday holiday",
    ("US-PA", LIB, "Veterans Day (observed)", 3): "44 P.S. § 11 moves no Saturday holiday",
    # Texas: Tex. Gov't Code § 662.003; chapter 662 moves no weekend holiday.
    ("US-TX", LIB, "Cesar Chavez Day", 16): "not in § 662.003 (a)-(b)",
    ("US-TX", LIB, "Good Friday", 16): "§ 662.003(c): an optional holiday, offices open",
    ("US-TX", LIB, "Christmas Eve (observed)", 8): "ch. 662 moves no weekend holiday",
    ("US-TX", LIB, "Independence Day (observed)", 5): "ch. 662 moves no weekend holiday",
    ("US-TX", LIB, "New Year's Day (observed)", 5): "ch. 662 moves no weekend holiday",
    ("US-TX", LIB, "Veterans Day (observed)", 5): "ch. 662 moves no weekend holiday",
    ("US-TX", LIB, "Juneteenth National Independence Day (observed)", 5): "no weekend shift",
}


def _library(code: str, year: int) -> dict[object, str]:
    subdiv = None if code == FEDERAL else code.removeprefix("US-")
    table = holidays.country_holidays("US", subdiv=subdiv, years=year, observed=True)
    return {day: str(name) for day, name in table.items() if day.year == year}


def _differences() -> Counter[tuple[str, str, str]]:
    found: Counter[tuple[str, str, str]] = Counter()
    for code in known_calendar_codes():
        for year in YEARS:
            library, ours = _library(code, year), dict(holidays_in_year(code, year))
            for day in library.keys() - ours.keys():
                found[(code, LIB, library[day])] += 1
            for day in ours.keys() - library.keys():
                found[(code, OURS, ours[day])] += 1
    return found


def test_every_difference_from_the_library_is_a_reviewed_row_with_its_statute() -> None:
    found = {(code, side, name, count) for (code, side, name), count in _differences().items()}
    unexplained = sorted(found - EXPECTED.keys())
    no_longer_seen = sorted(EXPECTED.keys() - found)
    assert unexplained == [], f"new differences to review: {unexplained}"
    assert no_longer_seen == [], f"reviewed differences that no longer occur: {no_longer_seen}"


def test_the_federal_calendar_agrees_with_the_library_on_every_date() -> None:
    assert not [key for key in _differences() if key[0] == FEDERAL]
