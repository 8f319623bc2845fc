"""Names and time zones that stay right (issue 12 §4): a member's name is kept per server, and a
student has one time zone, shared by their study day and their reminder.

Service tests run on every configured database backend.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sympy as sp
from sqlalchemy import select

from bot.config import Settings
from bot.db.models import Membership, Reminder
from bot.math.workers import MathPool
from bot.study.service import StudyError, StudyService
from tests.seeds import seeded
from tests.study.test_service import Clock


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=1, timeout=10.0) as p:
        yield p


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC))


@pytest.fixture
def service(session_factory, pool, clock) -> StudyService:
    settings = Settings(database_url="sqlite+aiosqlite://", _env_file=None)
    return StudyService(session_factory, pool, settings=settings, clock=clock, seeds=seeded(5))


async def _earn(service: StudyService, user: int, server: int, key: str = "skill:power:1") -> None:
    shown = await service.present(user, key, server)
    outcome = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer), seconds=5)
    assert outcome.status == "correct"


async def _names(service: StudyService, server: int) -> list[str]:
    return [s.name for s in (await service.leaderboard(server, "all")).top]


# --- names per server ---------------------------------------------------------------------------


async def test_each_server_shows_its_own_name_and_the_account_name_changes_none(service) -> None:
    bo = await service.user_for_discord(1, "bo")
    a = await service.join_server(bo, 10, "Class A", member_name="Bo K.")
    b = await service.join_server(bo, 20, "Class B", member_name="Mr Bo")
    await _earn(service, bo, a)
    await _earn(service, bo, b, "skill:sum:1")
    # a DM: only the account is known, no server is joined
    await service.user_for_discord(1, "bo (away)")
    assert await _names(service, a) == ["Bo K."]
    assert await _names(service, b) == ["Mr Bo"]
    assert await service.member_name(bo, a) == "Bo K."


async def test_a_new_nickname_replaces_the_old_one_in_that_server_only(service) -> None:
    bo = await service.user_for_discord(1, "bo")
    a = await service.join_server(bo, 10, "Class A", member_name="Bo K.")
    b = await service.join_server(bo, 20, "Class B", member_name="Mr Bo")
    await _earn(service, bo, a)
    await _earn(service, bo, b, "skill:sum:1")
    assert await service.join_server(bo, 10, "Class A", member_name="Bo Kim") == a
    assert await _names(service, a) == ["Bo Kim"]
    assert await _names(service, b) == ["Mr Bo"]
    # joining without a name (a caller that does not know it) keeps the one stored
    await service.join_server(bo, 10, "Class A")
    assert await _names(service, a) == ["Bo Kim"]


async def test_a_nickname_change_reaches_the_database_once_however_often_asked(service) -> None:
    """The name is remembered with the membership, so a nickname survives a fresh service
    (another process, a restart) reading the same database."""
    bo = await service.user_for_discord(1, "bo")
    a = await service.join_server(bo, 10, "Class A", member_name="Bo K.")
    for _ in range(3):
        await service.join_server(bo, 10, "Class A", member_name="Bo K.")
    fresh = StudyService(service.sessions, service.pool, settings=service.settings)
    await fresh.join_server(bo, 10, "Class A", member_name="Bo K.")
    async with service.sessions() as session:
        stored = await session.scalar(
            select(Membership.display_name).where(Membership.server_id == a)
        )
    assert stored == "Bo K."


async def test_without_a_server_name_the_board_falls_back_to_the_users_own(service) -> None:
    ann = await service.user_for_discord(2, "ann")
    a = await service.join_server(ann, 10, "Class A")
    await _earn(service, ann, a)
    assert await _names(service, a) == ["ann"]
    assert await service.member_name(ann, a) == "ann"
    with pytest.raises(StudyError):
        await service.member_name(ann, a + 1)


async def test_member_names_are_cleaned_like_every_string(service) -> None:
    cy = await service.user_for_discord(3, "cy")
    a = await service.join_server(cy, 10, "Class A", member_name="Cy\x00\x07")
    assert await service.member_name(cy, a) == "Cy"


# --- one time zone ------------------------------------------------------------------------------


async def test_setting_a_reminders_zone_sets_the_students(service, clock) -> None:
    bo = await service.user_for_discord(1, "bo")
    assert (await service.preferences(bo)).timezone == "UTC"
    await service.set_reminder(bo, "07:00", "Asia/Tokyo")
    assert (await service.preferences(bo)).timezone == "Asia/Tokyo"
    # 15:00 UTC on 2 March is 00:00 on 3 March in Tokyo: before 04:00, still the 2nd there
    assert service.today(await _user(service, bo)) == dt.date(2026, 3, 2)
    clock.now = dt.datetime(2026, 3, 2, 19, 0, tzinfo=dt.UTC)  # 04:00 in Tokyo
    assert service.today(await _user(service, bo)) == dt.date(2026, 3, 3)


async def test_a_reminder_without_a_zone_takes_the_students(service) -> None:
    bo = await service.user_for_discord(1, "bo")
    await service.set_user_preferences(bo, timezone="Europe/Berlin")
    fire = await service.set_reminder(bo, "07:00", None)
    assert fire == dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC)  # 07:00 CET
    assert (await service.reminder(bo)).timezone == "Europe/Berlin"


async def test_a_new_zone_in_settings_moves_the_reminder(service) -> None:
    bo = await service.user_for_discord(1, "bo")
    await service.set_reminder(bo, "07:00", "UTC")
    await service.set_user_preferences(bo, timezone="Asia/Tokyo")
    info = await service.reminder(bo)
    assert (info.local_time, info.timezone) == ("07:00", "Asia/Tokyo")
    assert info.next_fire_at == dt.datetime(2026, 3, 2, 22, 0, tzinfo=dt.UTC)  # 07:00 JST
    # a bad zone changes neither
    with pytest.raises(ValueError):
        await service.set_user_preferences(bo, timezone="Mars/Olympus")
    assert (await service.reminder(bo)).timezone == "Asia/Tokyo"
    assert (await service.preferences(bo)).timezone == "Asia/Tokyo"


async def test_a_bad_reminder_zone_changes_nothing(service) -> None:
    bo = await service.user_for_discord(1, "bo")
    with pytest.raises(ValueError):
        await service.set_reminder(bo, "07:00", "Mars/Olympus")
    assert (await service.preferences(bo)).timezone == "UTC"
    async with service.sessions() as session:
        assert await session.scalar(select(Reminder.id)) is None


async def _user(service: StudyService, user_id: int):
    async with service.sessions() as session:
        return await service._user(session, user_id)
