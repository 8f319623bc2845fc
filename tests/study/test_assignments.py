"""Assignments (issue 12 §2): progress counted from the logs, from /quiz-like and /review-like
work alike, closing, status per student, and what reminders mention. On every backend."""

from __future__ import annotations

import datetime as dt

import pytest
import sympy as sp

from bot import srs
from bot.config import Settings
from bot.db.models import Card, Deck
from bot.math.workers import MathPool
from bot.study import wording
from bot.study.reminders import Delivery, OutgoingReminder
from bot.study.service import StudyError, StudyService, parse_due
from tests.seeds import seeded
from tests.study.test_service import Clock

MONDAY = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)  # 16:00 in Berlin


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=1, timeout=10.0) as p:
        yield p


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
def service(session_factory, pool, clock) -> StudyService:
    settings = Settings(database_url="sqlite+aiosqlite://", new_per_day=20, _env_file=None)
    return StudyService(session_factory, pool, settings=settings, clock=clock, seeds=seeded(12))


@pytest.fixture
async def klass(service):
    """A server with a teacher (in Berlin) and two students: (server, teacher, ada, bo)."""
    teacher = await service.user_for_discord(1, "Ms T")
    await service.set_user_preferences(teacher, timezone="Europe/Berlin")
    ada = await service.user_for_discord(2, "Ada")
    bo = await service.user_for_discord(3, "Bo")
    server = await service.join_server(teacher, 900, "Calculus")
    for student in (ada, bo):
        await service.join_server(student, 900, "Calculus")
    return server, teacher, ada, bo


async def _solve(service, user, key, server, *, wrong_first=0, hint=False, give_up=False):
    """One problem as a student works it: wrong tries, a hint, then right (or giving up)."""
    shown = await service.present(user, key, server)
    for _ in range(wrong_first):
        wrong = await service.submit_answer(shown.token, sp.sstr(shown.problem.function))
        assert wrong.status == "incorrect"
    if hint:
        await service.hint(shown.token)
    if give_up:
        return await service.give_up(shown.token)
    return await service.submit_answer(shown.token, sp.sstr(shown.problem.answer), seconds=5)


async def _done(service, user, server) -> dict[str, int]:
    return {p.assignment.label: p.done for p in await service.open_assignments(user, server)}


def test_due_days_as_teachers_type_them() -> None:
    monday = dt.date(2026, 3, 2)
    assert parse_due("fri", monday) == dt.date(2026, 3, 6)
    assert parse_due("Friday", monday) == dt.date(2026, 3, 6)
    assert parse_due("mon", monday) == dt.date(2026, 3, 9)  # the next one, not today
    assert parse_due("today", monday) == monday
    assert parse_due("tomorrow", monday) == dt.date(2026, 3, 3)
    assert parse_due("+10", monday) == dt.date(2026, 3, 12)
    assert parse_due("2026-04-01", monday) == dt.date(2026, 4, 1)
    with pytest.raises(ValueError, match="a due day is"):
        parse_due("next week-ish", monday)


async def test_create_in_the_teachers_zone_and_count_quiz_work(service, klass, clock) -> None:
    server, teacher, ada, bo = klass
    await _solve(service, ada, "skill:chain:1", server)  # before the assignment: not counted
    clock.advance(minutes=1)
    made = await service.create_assignment(
        server, teacher, skill="chain", level=1, count=5, due="fri"
    )
    assert (made.label, made.target, made.unit) == ("Chain rule L1", 5, "problems")
    assert made.due_day == dt.date(2026, 3, 6) and made.timezone == "Europe/Berlin"
    # Friday ends at midnight in Berlin: 23:00 UTC
    assert made.due_at == dt.datetime(2026, 3, 6, 23, 0, tzinfo=dt.UTC)
    assert await _done(service, ada, server) == {"Chain rule L1": 0}

    clock.advance(minutes=1)
    await _solve(service, ada, "skill:chain:1", server)  # right first try
    await _solve(service, ada, "skill:chain:1", server, wrong_first=1)  # right after a try
    await _solve(service, ada, "skill:chain:1", server, hint=True)  # right after a hint
    await _solve(service, ada, "skill:chain:1", server, give_up=True)  # solution: not done
    await _solve(service, ada, "skill:chain:1", None)  # in a DM: not this server's work
    await _solve(service, ada, "skill:chain:2", server)  # another level
    await _solve(service, ada, "skill:power:1", server)  # another skill
    assert await _done(service, ada, server) == {"Chain rule L1": 3}
    assert await _done(service, bo, server) == {"Chain rule L1": 0}
    [progress] = await service.open_assignments(ada, server)
    assert wording.assignment_line(progress) == "Chain rule L1: 3/5 done, due Fri"


async def test_review_work_counts_too_and_any_level_when_none_is_set(service, klass, clock) -> None:
    server, teacher, ada, _ = klass
    await _solve(service, ada, "skill:chain:1", server)  # learned Monday: due Tuesday
    clock.advance(minutes=1)
    await service.create_assignment(server, teacher, skill="chain", count=3, due="+7")
    clock.advance(days=1)
    queue = await service.due_queue(ada, server)
    assert "skill:chain:1" in queue  # a real review from the due queue
    outcome = await _solve(service, ada, "skill:chain:1", server)
    assert outcome.graded  # it moved the schedule: a review, not practice
    await _solve(service, ada, "skill:chain:3", server)  # any level counts
    assert await _done(service, ada, server) == {"Chain rule": 2}


async def test_close_hides_it_and_stops_the_count(service, klass, clock) -> None:
    server, teacher, ada, _ = klass
    made = await service.create_assignment(server, teacher, skill="power", count=2, due="fri")
    clock.advance(minutes=1)
    await _solve(service, ada, "skill:power:1", server)
    assert [a.id for a in await service.assignments(server)] == [made.id]
    clock.advance(minutes=1)
    closed = await service.close_assignment(server, made.id)
    assert closed.closed
    clock.advance(minutes=1)
    await _solve(service, ada, "skill:power:1", server)  # after closing: not counted
    assert await service.open_assignments(ada, server) == []
    assert await service.assignments(server) == []
    assert [a.id for a in await service.assignments(server, include_closed=True)] == [made.id]
    status = await service.assignment_status(server, made.id)
    assert {s.name: s.done for s in status.students} == {"Ada": 1, "Bo": 0}
    with pytest.raises(StudyError, match="already closed"):
        await service.close_assignment(server, made.id)
    other = await service.join_server(teacher, 901, "Other class")
    with pytest.raises(StudyError, match="no assignment"):
        await service.close_assignment(other, made.id)


async def test_status_per_student_with_accuracy_and_most_frequent_mistake(
    service, klass, clock
) -> None:
    server, teacher, ada, _ = klass
    made = await service.create_assignment(
        server, teacher, skill="chain", level=1, count=2, due="tomorrow"
    )
    clock.advance(minutes=1)
    await _solve(service, ada, "skill:chain:1", server)
    await _solve(service, ada, "skill:chain:1", server, wrong_first=1)
    await _solve(service, ada, "skill:chain:1", server, wrong_first=1, give_up=True)
    await _solve(service, ada, "skill:chain:1", server)
    status = await service.assignment_status(server, made.id)
    assert [s.name for s in status.students] == ["Ada", "Bo"]  # the teacher is no student
    first, second = status.students
    assert (first.done, first.finished, first.correct) == (3, 4, 2)
    assert first.accuracy == 0.5
    assert (first.mistake, first.mistake_count) == ("not_differentiated", 2)
    assert wording.student_status_line(first, 2, cards=False) == (
        "2/2 done · 50% accuracy (4 tried) · not_differentiated (answered the function itself) ×2"
    )
    assert (second.done, second.accuracy, second.mistake) == (0, None, None)
    assert wording.student_status_line(second, 2, cards=False) == "0/2 done · not started"


async def test_status_names_students_as_this_server_knows_them(service, klass) -> None:
    server, teacher, _, bo = klass
    await service.join_server(bo, 900, "Calculus", member_name="Bo K.")
    made = await service.create_assignment(server, teacher, skill="sum", count=1, due="fri")
    status = await service.assignment_status(server, made.id)
    assert [s.name for s in status.students] == ["Ada", "Bo K."]


async def _deck(service, server: int) -> tuple[str, list[str]]:
    async with service.sessions() as session, session.begin():
        deck = Deck(server_id=server, slug="rules", title="Derivative rules")
        session.add(deck)
        await session.flush()
        cards = [
            Card(deck_id=deck.id, card_key=f"c{k}", front=f"rule {k}?", back=f"answer {k}")
            for k in range(3)
        ]
        session.add_all(cards)
        await session.flush()
        return deck.slug, [f"card:{c.id}" for c in cards]


async def test_a_deck_counts_each_card_remembered_once(service, klass, clock) -> None:
    server, teacher, ada, _ = klass
    slug, keys = await _deck(service, server)
    made = await service.create_assignment(server, teacher, deck=slug, count=3, due="fri")
    assert (made.label, made.unit, made.deck) == ("Derivative rules", "cards", "rules")
    clock.advance(minutes=1)
    for key, button in [
        (keys[0], srs.Button.GOOD),
        (keys[0], srs.Button.EASY),  # the same card again: still one
        (keys[1], srs.Button.AGAIN),  # not remembered: not done
        (keys[1], srs.Button.AGAIN),
        (keys[2], srs.Button.HARD),
    ]:
        shown = await service.present(ada, key, server)
        await service.grade_card(shown.token, button)
    assert await _done(service, ada, server) == {"Derivative rules": 2}
    status = await service.assignment_status(server, made.id)
    ada_row = status.students[0]
    assert (ada_row.done, ada_row.finished, ada_row.correct) == (2, 5, 3)
    assert (ada_row.mistake, ada_row.mistake_count) == ("rule 1?", 2)


async def test_reminders_mention_unfinished_work_due_within_a_day(service, klass, clock) -> None:
    server, teacher, ada, _ = klass
    await service.create_assignment(server, teacher, skill="power", count=1, due="today")
    await service.create_assignment(server, teacher, skill="sum", count=1, due="tomorrow")
    await service.create_assignment(server, teacher, skill="trig", count=1, due="fri")
    soon = await service.assignments_due_soon(ada, server)
    assert [p.assignment.skill for p in soon] == ["power"]
    assert [p.assignment.skill for p in await service.assignments_due_soon(ada)] == ["power"]
    clock.advance(minutes=1)
    await _solve(service, ada, "skill:power:1", server)  # finished: no longer worth a mention
    assert await service.assignments_due_soon(ada, server) == []
    clock.advance(hours=12)  # Tuesday 03:01 UTC: Tuesday's end is within a day
    soon = await service.assignments_due_soon(ada, server)
    assert [wording.assignment_line(p) for p in soon] == [
        "Sum and constant-multiple rules: 0/1 done, due today"
    ]

    class Sink:
        def __init__(self) -> None:
            self.given: list[OutgoingReminder] = []

        async def deliver(self, reminder: OutgoingReminder) -> Delivery:
            self.given.append(reminder)
            return Delivery.sent()

    await service.set_reminder(ada, "04:30", "UTC", server_id=server)
    clock.advance(hours=1, minutes=30)
    sink = Sink()
    assert (await service.deliver_due_reminders(sink)).sent == 1
    assert [p.assignment.skill for p in sink.given[0].assignments] == ["sum"]


async def test_a_bad_assignment_is_refused(service, klass) -> None:
    server, teacher, *_ = klass
    bad = [
        ({"skill": "chain", "count": 0, "due": "fri"}, "count must be"),
        ({"skill": "chain", "deck": "rules", "count": 1, "due": "fri"}, "a skill or a deck"),
        ({"count": 1, "due": "fri"}, "a skill or a deck"),
        ({"skill": "nope", "count": 1, "due": "fri"}, "no skill"),
        ({"skill": "chain", "level": 9, "count": 1, "due": "fri"}, "a level goes"),
        ({"skill": "chain", "count": 1, "due": dt.date(2026, 3, 1)}, "already past"),
        ({"skill": "chain", "count": 1, "due": "fri", "timezone": "Mars/Base"}, "time zone"),
    ]
    for options, message in bad:
        with pytest.raises(ValueError, match=message):
            await service.create_assignment(server, teacher, **options)
    with pytest.raises(StudyError, match="no deck"):
        await service.create_assignment(server, teacher, deck="nope", count=1, due="fri")
    assert await service.assignments(server) == []
