"""The study service end to end, on every configured database backend."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import sympy as sp
from sqlalchemy import func, select

from bot import srs
from bot.config import Settings
from bot.db.models import (
    Card,
    Deck,
    ItemState,
    Membership,
    Presentation,
    QuizAttempt,
    ReviewLog,
    User,
)
from bot.math.workers import MathPool, WorkerCrashed, WorkTimeout
from bot.study.cases import base
from bot.study.service import MemberPrivacy, StudyError, StudyService
from tests.seeds import seeded


class Clock:
    """A virtual clock the tests move by hand."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=2, timeout=10.0) as p:
        yield p


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC))


@pytest.fixture
def service(session_factory, pool, clock) -> StudyService:
    settings = Settings(database_url="sqlite+aiosqlite://", new_per_day=10, _env_file=None)
    # seeded: every run presents the same problems (`make test` is the same suite every time)
    return StudyService(session_factory, pool, settings=settings, clock=clock, seeds=seeded())


async def _count(service: StudyService, model, *where) -> int:
    async with service.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def _answer_right(service: StudyService, user: int, key: str, server: int | None = None):
    shown = await service.present(user, key, server)
    return shown, await service.submit_answer(shown.token, sp.sstr(shown.problem.answer), seconds=5)


async def test_new_user_gets_new_skills_and_a_right_answer_is_scheduled(service, clock) -> None:
    user = await service.user_for_console("ada")
    queue = await service.due_queue(user)
    assert queue[:2] == ["skill:power:1", "skill:sum:1"]
    assert len(queue) == 10  # new items per day
    shown, outcome = await _answer_right(service, user, queue[0])
    assert shown.new and shown.problem is not None and shown.problem.skill == "power"
    assert outcome.status == "correct" and outcome.graded
    assert outcome.quality == 5  # first try, under the skill's target time
    assert outcome.schedule.due_day == dt.date(2026, 3, 3)  # interval 1
    assert outcome.points == 10
    assert outcome.steps  # the worked solution comes with the verdict
    assert "skill:power:1" not in await service.due_queue(user)


async def test_same_answer_delivered_twice_counts_once(service) -> None:
    user = await service.user_for_console("bob")
    shown, first = await _answer_right(service, user, "skill:chain:1")
    again = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer))
    assert first.status == "correct" and again.status == "already"
    assert await _count(service, ReviewLog, ReviewLog.user_id == user) == 1


async def test_a_wrong_answer_sent_twice_is_one_try(service) -> None:
    user = await service.user_for_console("bea")
    shown = await service.present(user, "skill:chain:1")
    wrong = sp.sstr(shown.problem.function)
    for _ in range(2):  # a retried request, or a double click on Submit
        assert (await service.submit_answer(shown.token, wrong)).status == "incorrect"
    right = sp.sstr(shown.problem.answer)
    assert (await service.submit_answer(shown.token, right)).status == "correct"
    assert (await service.submit_answer(shown.token, right)).status == "already"
    assert await _count(service, QuizAttempt, QuizAttempt.user_id == user) == 2
    # one problem, solved after a wrong try: not solved at the first try
    assert (await service.stats(user)).accuracy_per_skill == {"chain": (0, 1)}


async def test_concurrent_double_click_grades_once(service) -> None:
    user = await service.user_for_console("cy")
    shown = await service.present(user, "skill:product:1")
    answer = sp.sstr(shown.problem.answer)
    results = await asyncio.gather(*(service.submit_answer(shown.token, answer) for _ in range(5)))
    statuses = sorted(r.status for r in results)
    assert statuses.count("correct") == 1 and statuses.count("already") == 4
    assert await _count(service, ReviewLog, ReviewLog.user_id == user) == 1


async def test_wrong_then_right_is_graded_three_and_mistake_named(service) -> None:
    user = await service.user_for_console("dee")
    shown = await service.present(user, "skill:chain:1")
    wrong = await service.submit_answer(shown.token, sp.sstr(shown.problem.function))
    assert wrong.status == "incorrect" and wrong.can_retry and not wrong.graded
    assert wrong.verdict.mistake == "not_differentiated"
    unreadable = await service.submit_answer(shown.token, "In x +")
    assert unreadable.status == "invalid" and "did you mean" in unreadable.verdict.message
    right = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer))
    assert right.status == "correct" and right.quality == 3 and right.redrill


async def test_giving_up_shows_the_solution_and_grades_zero_or_one(service) -> None:
    user = await service.user_for_console("eve")
    shown = await service.present(user, "skill:quotient:1")
    outcome = await service.give_up(shown.token)
    assert outcome.status == "revealed" and outcome.quality == 0 and outcome.steps
    shown = await service.present(user, "skill:trig:1")
    await service.submit_answer(shown.token, "0")
    outcome = await service.give_up(shown.token)
    assert outcome.quality == 1


async def test_hint_caps_the_grade(service) -> None:
    user = await service.user_for_console("fay")
    shown = await service.present(user, "skill:exp:1")
    step = await service.hint(shown.token)
    assert step is not None and step.latex
    right = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer), seconds=1)
    assert right.quality == 3


async def test_each_hint_shows_the_next_rung_then_the_last_again(service) -> None:
    user = await service.user_for_console("hugo")
    shown = await service.present_seeded(user, "skill:product:1", 0)
    ladder = shown.problem.hints
    assert len(ladder) == 3
    rungs = [await service.hint(shown.token) for _ in range(4)]
    assert [(r.number, r.total, r.title) for r in rungs] == [
        (1, 3, "Hint 1/3"),
        (2, 3, "Hint 2/3"),
        (3, 3, "Hint 3/3"),
        (3, 3, "Hint 3/3"),  # nothing after the last rung but the solution
    ]
    assert [r.text for r in rungs[:3]] == [h.text for h in ladder]
    assert [r.latex for r in rungs[:3]] == [h.latex for h in ladder]
    right = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer), seconds=1)
    assert right.status == "correct" and right.quality == 3 and right.points == 5


async def test_the_hint_ladder_carries_on_after_a_restart(
    service, session_factory, pool, clock
) -> None:
    user = await service.user_for_console("ines")
    shown = await service.present_seeded(user, "skill:chain:1", 0)
    assert (await service.hint(shown.token)).number == 1
    restarted = StudyService(
        session_factory, pool, settings=service.settings, clock=clock, seeds=seeded()
    )
    assert (await restarted.hint(shown.token)).number == 2


async def test_someone_elses_hint_is_refused_and_shows_them_nothing(service) -> None:
    owner = await service.user_for_console("jo")
    other = await service.user_for_console("kai")
    shown = await service.present(owner, "skill:sum:1")
    with pytest.raises(StudyError):
        await service.hint(shown.token, user_id=other)
    assert (await service.hint(shown.token, user_id=owner)).number == 1  # the owner's rung 1


async def test_problem_survives_restart(service, session_factory, pool, clock) -> None:
    user = await service.user_for_console("gus")
    shown = await service.present(user, "skill:log:2")
    restarted = StudyService(
        session_factory, pool, settings=service.settings, clock=clock, seeds=seeded()
    )
    problem = await restarted.problem_for(shown.token)
    assert problem == shown.problem
    outcome = await restarted.submit_answer(shown.token, sp.sstr(problem.answer))
    assert outcome.status == "correct"


async def test_another_students_token_is_refused_in_the_process_that_showed_it_and_others(
    service, session_factory, pool, clock
) -> None:
    """What a token shows is kept in memory where it was shown; the owner check holds there
    and in a process that reads it from the database, and neither grades the item."""
    ann, bob = await service.user_for_console("ann"), await service.user_for_console("bob")
    shown = await service.present(ann, "skill:power:1")
    answer = sp.sstr(shown.problem.answer)
    other_process = StudyService(
        session_factory, pool, settings=service.settings, clock=clock, seeds=seeded()
    )
    for where in (service, other_process):
        with pytest.raises(StudyError, match="someone else's"):
            await where.submit_answer(shown.token, answer, user_id=bob)
    assert await _count(service, ReviewLog) == 0
    outcome = await other_process.submit_answer(shown.token, answer, user_id=ann)
    assert outcome.status == "correct"
    # the process that showed it sees the grade made elsewhere: counted once
    assert (await service.submit_answer(shown.token, answer, user_id=ann)).status == "already"
    assert await _count(service, ReviewLog) == 1


async def test_tokens_kept_in_memory_are_bounded_and_older_ones_still_answer(
    service, monkeypatch
) -> None:
    monkeypatch.setattr(base, "SHOWN_CACHE", 3)
    user = await service.user_for_console("cam")
    shown = [await service.present(user, "skill:power:1") for _ in range(5)]
    assert len(service._shown_cache) == 3 and shown[0].token not in service._shown_cache
    outcome = await service.submit_answer(shown[0].token, sp.sstr(shown[0].problem.answer))
    assert outcome.status == "correct"  # read back from the database


async def test_schedule_moves_once_per_local_day_and_points_count_learning(service, clock):
    user = await service.user_for_console("hal")
    _, first = await _answer_right(service, user, "skill:power:1")
    _, second = await _answer_right(service, user, "skill:power:1")
    assert first.points == 10 and first.graded
    assert second.points == 0 and not second.graded  # practice, not a second review
    assert second.practice == "today" and second.schedule == first.schedule
    clock.advance(days=1)
    _, third = await _answer_right(service, user, "skill:power:1")
    assert third.graded and third.points == 10 and third.schedule.interval == 6
    # due again in 6 days: answering on day 3 is practice, and the interval stays 6
    clock.advance(days=2)
    _, early = await _answer_right(service, user, "skill:power:1")
    assert not early.graded and early.practice == "early" and early.points == 0
    assert early.schedule == third.schedule
    clock.advance(days=4)
    _, due = await _answer_right(service, user, "skill:power:1")
    assert due.graded and due.schedule.interval == 17


async def test_passing_a_level_at_six_days_unlocks_the_next(service, clock) -> None:
    user = await service.user_for_console("ida")
    # a locked level can be tried, as practice: it schedules nothing
    since = clock.now
    shown, tried = await _answer_right(service, user, "skill:chain:2")
    assert shown.locked and not shown.new
    assert not tried.graded and tried.practice == "locked" and tried.points == 0
    report = await service.session_summary(user, since)
    assert (report.reviewed, report.correct, report.new_learned) == (1, 1, 0)  # learned nothing
    for days in (0, 1):
        clock.advance(days=days)
        _, outcome = await _answer_right(service, user, "skill:chain:1")
        assert outcome.graded
    assert outcome.schedule.interval == 6  # passed at intervals 0 and 1: still locked
    clock.advance(days=1)
    assert "skill:chain:2" not in await service.due_queue(user)
    clock.advance(days=5)  # passing the review that came after the 6-day gap unlocks it
    _, outcome = await _answer_right(service, user, "skill:chain:1")
    assert outcome.graded
    assert "skill:chain:2" in await service.due_queue(user)
    shown, level_two = await _answer_right(service, user, "skill:chain:2")
    assert shown.new and not shown.locked
    assert level_two.graded and level_two.points == 20  # a higher level is worth more


async def test_due_order_and_daily_limits(service, clock) -> None:
    user = await service.user_for_console("jo")
    await service.set_user_preferences(user, new_per_day=3)
    queue = await service.due_queue(user)
    assert len(queue) == 3
    for key in queue:
        await _answer_right(service, user, key)
    assert await service.due_queue(user) == []  # three new items introduced today: no more
    clock.advance(days=1)
    queue = await service.due_queue(user)
    # the three reviews first (equally overdue), then three new ones
    assert set(queue[:3]) == {"skill:power:1", "skill:sum:1", "skill:product:1"}
    assert queue[3:] == ["skill:quotient:1", "skill:chain:1", "skill:trig:1"]


async def test_local_day_starts_at_four(service, clock) -> None:
    user = await service.user_for_console("kim")
    await service.set_user_preferences(user, timezone="America/New_York")
    clock.now = dt.datetime(2026, 3, 3, 7, 30, tzinfo=dt.UTC)  # 02:30 in New York
    _, outcome = await _answer_right(service, user, "skill:sum:1")
    # still 2026-03-02 locally (the day starts at 04:00), so due the 3rd
    assert outcome.schedule.due_day == dt.date(2026, 3, 3)


async def _deck(
    service: StudyService,
    server_id: int | None,
    slug: str,
    typed: bool = False,
    function: str | None = None,
):
    async with service.sessions() as session, session.begin():
        deck = Deck(server_id=server_id, slug=slug, title=slug)
        session.add(deck)
        await session.flush()
        card = Card(
            deck_id=deck.id,
            card_key="c1",
            front="d/dx sin x?",
            back="cos x",
            typed_answer="cos(x)" if typed else None,
            typed_function=function,
        )
        session.add(card)
        await session.flush()
        return card.id


async def test_flashcards_all_four_grades(service, clock) -> None:
    user = await service.user_for_console("lou")
    card_id = await _deck(service, None, "rules")
    key = f"card:{card_id}"
    assert key in await service.due_queue(user)
    expected = {"AGAIN": 1, "HARD": 1, "GOOD": 1, "EASY": 1}
    for button in srs.Button:
        shown = await service.present(user, key)
        assert shown.card is not None and shown.card.front == "d/dx sin x?"
        outcome = await service.grade_card(shown.token, button)
        assert outcome.status == "graded"
        assert outcome.redrill == (srs.button_quality(button) < 4)
        assert expected.pop(button.name) == 1
        clock.advance(days=30)
    async with service.sessions() as session:
        qualities = (
            (await session.execute(select(ReviewLog.quality).order_by(ReviewLog.id)))
            .scalars()
            .all()
        )
    assert qualities == [2, 3, 4, 5]


async def test_typed_card_is_checked_by_the_engine(service) -> None:
    user = await service.user_for_console("max")
    card_id = await _deck(service, None, "typed", typed=True)
    shown = await service.present(user, f"card:{card_id}")
    wrong = await service.submit_answer(shown.token, "-cos x")
    assert wrong.status == "incorrect"
    right = await service.submit_answer(shown.token, "cos x")
    assert right.status == "correct" and right.quality == 3


async def test_server_decks_stay_in_their_server(service) -> None:
    user = await service.user_for_discord(1001, "ned")
    a = await service.join_server(user, 1, "A")
    b = await service.join_server(user, 2, "B")
    card_id = await _deck(service, a, "class-a")
    assert f"card:{card_id}" in await service.due_queue(user, a)
    assert f"card:{card_id}" not in await service.due_queue(user, b)
    with pytest.raises(StudyError):
        await service.present(user, f"card:{card_id}", b)


async def test_leaderboard_per_server_with_opt_out(service, clock) -> None:
    ann = await service.user_for_discord(1, "ann")
    ben = await service.user_for_discord(2, "ben")
    a = await service.join_server(ann, 10, "A")
    await service.join_server(ben, 10, "A")
    b = await service.join_server(ben, 20, "B")
    await _answer_right(service, ann, "skill:power:1", a)
    await _answer_right(service, ben, "skill:power:1", b)  # earned in B only
    await _answer_right(service, ben, "skill:sum:1", b)
    board_a = await service.leaderboard(a, "week", user_id=ben)
    assert [s.name for s in board_a.top] == ["ann"] and board_a.me is None
    board_b = await service.leaderboard(b, "all", user_id=ben)
    assert [(s.name, s.points) for s in board_b.top] == [("ben", 20)]
    await service.set_leaderboard_opt_out(ben, b, True)
    assert (await service.leaderboard(b, "month")).top == []


async def test_looking_a_discord_user_up_creates_nothing(service) -> None:
    assert await service.user_id_for_discord(7) is None
    assert await _count(service, User) == 0  # a lookup is not a first contact
    ann = await service.user_for_discord(7, "ann")
    assert await service.user_id_for_discord(7) == ann
    assert await service.user_id_for_discord(8) is None
    assert await _count(service, User) == 1


async def test_sharing_stats_is_per_server_and_off_by_default(service) -> None:
    ann = await service.user_for_discord(1, "ann")
    ben = await service.user_for_discord(2, "ben")
    a = await service.join_server(ann, 10, "A")
    b = await service.join_server(ann, 20, "B")
    await service.join_server(ben, 10, "A")
    assert await service.member_privacy(ann, a) == MemberPrivacy(
        leaderboard_opt_out=False, stats_shared=False
    )
    await service.set_stats_shared(ann, a, True)
    assert (await service.member_privacy(ann, a)).stats_shared
    assert not (await service.member_privacy(ann, b)).stats_shared  # B was not asked
    assert await service.member_privacy(ben, b) is None  # not a member: nothing to say
    await service.set_leaderboard_opt_out(ann, a, True)
    assert await service.member_privacy(ann, a) == MemberPrivacy(True, True)
    with pytest.raises(StudyError):
        await service.set_stats_shared(ben, b, True)
    assert await _count(service, Membership) == 3  # asking joined no one anywhere


async def test_stats_streak_forecast_and_leeches(service, clock) -> None:
    user = await service.user_for_console("oli")
    for _ in range(6):
        for key in (
            "skill:power:1",
            "skill:sum:1",
            "skill:product:1",
            "skill:chain:1",
            "skill:trig:1",
        ):
            shown = await service.present(user, key)
            await service.give_up(shown.token)  # always failing: a lapse only after learning
        clock.advance(days=1)
    stats = await service.stats(user)
    assert stats.streak == 6
    assert sum(stats.reviews_per_day.values()) == 30
    assert stats.forecast[0][1] == 5 and len(stats.forecast) == 30
    assert stats.leeches == []
    # every problem given up: each skill shows 0 of 6 (it is what this student is bad at)
    assert stats.accuracy_per_skill == {
        skill: (0, 6) for skill in ("power", "sum", "product", "chain", "trig")
    }


async def test_switching_scheduler_rederives_from_the_log(service, clock) -> None:
    user = await service.user_for_console("pat")
    for _ in range(4):
        await _answer_right(service, user, "skill:power:1")
        clock.advance(days=7)

    async def state():
        async with service.sessions() as session:
            s = (
                await session.execute(
                    select(ItemState).where(
                        ItemState.user_id == user, ItemState.item_key == "skill:power:1"
                    )
                )
            ).scalar_one()
            return (s.scheduler, s.repetitions, s.interval, s.ease, s.due_day, s.due_at is not None)

    sm2_before = await state()
    assert await service.set_scheduler(user, "fsrs") == 2  # with the unlocked level 2
    fsrs_state = await state()
    assert fsrs_state[0] == "fsrs" and fsrs_state[5]
    await service.set_scheduler(user, "sm2")
    assert await state() == sm2_before
    assert "skill:power:2" in await service.due_queue(user)  # still new, still unlocked


async def test_reminders_fire_once_per_local_day_and_catch_up(service, clock) -> None:
    user = await service.user_for_discord(77, "quin")
    clock.now = dt.datetime(2026, 3, 7, 12, 0, tzinfo=dt.UTC)
    first = await service.set_reminder(user, "07:00", "America/New_York")
    assert first == dt.datetime(2026, 3, 8, 11, 0, tzinfo=dt.UTC)  # EDT from that morning
    clock.now = first + dt.timedelta(minutes=1)
    due = await service.reminders_due()
    assert [d.user_id for d in due] == [user]
    await service.reminder_sent(due[0].reminder_id)
    assert await service.reminders_due() == []
    # a 3-hour outage: the next one is still sent; a 7-hour one is skipped to the next day
    clock.now = dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC)
    assert len(await service.reminders_due()) == 1
    await service.reminder_sent((await service.reminders_due() or due)[0].reminder_id)
    clock.now = dt.datetime(2026, 3, 10, 18, 30, tzinfo=dt.UTC)
    assert await service.reminders_due() == []
    await service.reminder_undeliverable(due[0].reminder_id, "DMs closed")
    clock.advance(days=2)
    assert await service.reminders_due() == []


async def test_session_summary(service, clock) -> None:
    user = await service.user_for_console("ray")
    start = clock()
    await _answer_right(service, user, "skill:power:1")
    shown = await service.present(user, "skill:sum:1")
    await service.give_up(shown.token)
    report = await service.session_summary(user, start)
    assert (report.reviewed, report.correct, report.new_learned) == (2, 1, 2)
    assert report.points == 10
    assert report.next_due == dt.date(2026, 3, 3)


async def test_fifty_students_grading_at_once(service) -> None:
    users = [await service.user_for_console(f"s{k}") for k in range(50)]
    card_id = await _deck(service, None, "shared")
    shown = [await service.present(u, f"card:{card_id}") for u in users]
    results = await asyncio.gather(*(service.grade_card(p.token, srs.Button.GOOD) for p in shown))
    assert all(r.status == "graded" and r.points == 5 for r in results)  # Good: a self-graded card
    assert await _count(service, ReviewLog) == 50


async def test_leech_is_flagged_after_eight_lapses(service, clock) -> None:
    user = await service.user_for_console("sam")
    card_id = await _deck(service, None, "hard")
    key = f"card:{card_id}"
    flagged_at = []
    for lapse in range(1, 13):
        for button in (srs.Button.GOOD, srs.Button.AGAIN):  # learn it, then forget it
            shown = await service.present(user, key)
            outcome = await service.grade_card(shown.token, button)
            if outcome.new_leech:
                flagged_at.append(lapse)
            clock.advance(days=1)
        if lapse == 8:
            assert await service.leeches(user) == [key]
            assert (await service.stats(user)).leeches == [key]
    assert flagged_at == [8, 12]  # at eight lapses, then again every four more


GOOD_DECK = """\
id: class-deck
title: Our class
version: 1
cards:
  - id: q1
    front: What is d/dx x^2?
    back: 2x
    typed:
      answer: 2*x
  - id: q2
    front: Product rule?
    back: f'g + fg'
"""


async def test_deck_import_export_and_removal(service) -> None:
    user = await service.user_for_discord(5, "tess")
    server = await service.join_server(user, 55, "S")
    other = await service.join_server(user, 66, "T")
    assert await service.import_deck(server, GOOD_DECK, "yaml") == "class-deck"
    listed = await service.list_decks(server)
    assert ("class-deck", "Our class", 2, False) in listed
    assert all(slug != "class-deck" for slug, *_ in await service.list_decks(other))
    exported = await service.export_deck(server, "class-deck", "yaml")
    assert "q1" in exported and "2*x" in exported
    csv_text = await service.export_deck(server, "class-deck", "csv")
    assert await service.import_deck(other, csv_text, "csv", deck_id="class-deck") == "class-deck"
    # an edited file keeps card ids (and progress); a removed card is retired, not deleted
    edited = GOOD_DECK.replace("  - id: q2\n    front: Product rule?\n    back: f'g + fg'\n", "")
    await service.import_deck(server, edited, "yaml")
    assert ("class-deck", "Our class", 1, False) in await service.list_decks(server)
    await service.remove_deck(server, "class-deck")
    assert all(slug != "class-deck" for slug, *_ in await service.list_decks(server))
    with pytest.raises(StudyError):
        await service.remove_deck(server, "derivative-rules")  # not the server's own


async def test_bad_deck_names_the_line_and_imports_nothing(service) -> None:
    from bot.study.decks import DeckError

    user = await service.user_for_discord(6, "uma")
    server = await service.join_server(user, 77, "U")
    bad = GOOD_DECK.replace("answer: 2*x", "answer: 2*x +")
    with pytest.raises(DeckError) as info:
        await service.import_deck(server, bad, "yaml")
    assert info.value.line == 9
    assert await service.list_decks(server) == []


async def test_shipped_decks_sync_idempotently(service) -> None:
    first = await service.sync_shipped_decks()
    assert first == ["derivative-rules", "ml-derivatives"]
    await service.sync_shipped_decks()
    decks = await service.list_decks(None)
    assert [(slug, shipped) for slug, _, _, shipped in decks] == [
        ("derivative-rules", True),
        ("ml-derivatives", True),
    ]
    assert all(count > 10 for _, _, count, _ in decks)


def _power_deck(cards: int, slug: str = "powers") -> str:
    """A valid deck of `cards` cards, each with inline math, LaTeX and a typed derivative."""
    lines = [f"id: {slug}", "title: Powers", "version: 1", "cards:"]
    for i in range(cards):
        n = i + 2
        lines += [
            f"  - id: power-{n}",
            f"    front: 'What is $\\frac{{d}}{{dx}} x^{{{n}}}$?'",
            f"    back: {n}x^{n - 1}",
            f"    latex_back: '\\frac{{d}}{{dx}} x^{{{n}}} = {n} x^{{{n - 1}}}'",
            "    typed:",
            f"      answer: {n}*x^{n - 1}",
            f"      function: x^{n}",
        ]
    return "\n".join(lines) + "\n"


async def _deck_card(service: StudyService, server: int, slug: str, card: str) -> int:
    async with service.sessions() as session:
        return await session.scalar(
            select(Card.id)
            .join(Deck, Card.deck_id == Deck.id)
            .where(Deck.server_id == server, Deck.slug == slug, Card.card_key == card)
        )


async def test_removing_a_deck_retires_it_and_importing_it_again_brings_it_back(
    service, clock
) -> None:
    user = await service.user_for_discord(8, "vic")
    server = await service.join_server(user, 88, "V")
    await service.import_deck(server, GOOD_DECK, "yaml")
    q1 = f"card:{await _deck_card(service, server, 'class-deck', 'q1')}"
    q2 = f"card:{await _deck_card(service, server, 'class-deck', 'q2')}"
    shown = await service.present(user, q1, server)
    assert (await service.grade_card(shown.token, srs.Button.GOOD)).graded
    clock.advance(days=1)
    queue = await service.due_queue(user, server)
    assert q1 in queue and q2 in queue  # q1 due again, q2 still new

    await service.remove_deck(server, "class-deck")
    assert all(slug != "class-deck" for slug, *_ in await service.list_decks(server))
    queue = await service.due_queue(user, server)
    assert q1 not in queue and q2 not in queue
    with pytest.raises(StudyError):
        await service.export_deck(server, "class-deck")
    # the student's progress is kept
    assert (
        await _count(service, ItemState, ItemState.user_id == user, ItemState.item_key == q1) == 1
    )
    assert (
        await _count(service, ReviewLog, ReviewLog.user_id == user, ReviewLog.item_key == q1) == 1
    )

    # the same deck imported again is the same cards, with the progress on them
    assert await service.import_deck(server, GOOD_DECK, "yaml") == "class-deck"
    assert ("class-deck", "Our class", 2, False) in await service.list_decks(server)
    assert f"card:{await _deck_card(service, server, 'class-deck', 'q1')}" == q1
    queue = await service.due_queue(user, server)
    assert q1 in queue and q2 in queue
    shown = await service.present(user, q1, server)
    assert not shown.new  # reviewed before: a review, not a new card
    assert (await service.grade_card(shown.token, srs.Button.GOOD)).schedule.interval == 6


async def test_one_deck_import_at_a_time(service) -> None:
    user = await service.user_for_discord(9, "wes")
    server = await service.join_server(user, 99, "W")
    first = asyncio.create_task(service.import_deck(server, _power_deck(60), "yaml"))
    await asyncio.sleep(0)  # the first import has started
    with pytest.raises(Exception, match="another deck import is running"):
        await service.import_deck(server, GOOD_DECK, "yaml")
    assert await first == "powers"
    assert [slug for slug, *_ in await service.list_decks(server)] == ["powers"]
    assert await service.import_deck(server, GOOD_DECK, "yaml") == "class-deck"  # free again


class RecordingPool(MathPool):
    """The real pool, noting the name of each task as it is submitted and as it completes."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.submitted: list[str] = []
        self.completed: list[str] = []

    async def arun(self, fn, /, *args, **kwargs):
        self.submitted.append(fn.__name__)
        try:
            return await super().arun(fn, *args, **kwargs)
        finally:
            self.completed.append(fn.__name__)


async def test_a_student_check_does_not_wait_for_a_whole_deck_import(
    session_factory, clock
) -> None:
    """Imports and answers share the pool: even with one worker, an answer submitted while a
    big deck is being checked is checked between two slices of the deck, not after it."""
    from bot.math import tasks

    settings = Settings(database_url="sqlite+aiosqlite://", _env_file=None)
    with RecordingPool(workers=1, timeout=10.0) as pool:
        service = StudyService(
            session_factory, pool, settings=settings, clock=clock, seeds=seeded()
        )
        user = await service.user_for_discord(10, "xia")
        server = await service.join_server(user, 100, "X")
        assert (await tasks.acheck(pool, "1", "1")).correct  # the worker is up
        pool.completed.clear()
        deck = asyncio.create_task(service.import_deck(server, _power_deck(150), "yaml"))
        while not pool.submitted[1:]:
            await asyncio.sleep(0.001)  # the import's first task is in the pool's queue
        assert (await tasks.acheck(pool, "2*x", "2x")).correct
        assert not deck.done()
        assert await deck == "powers"
    student = pool.completed.index("check_task")
    assert pool.completed[student + 1 :], (
        f"the answer waited for the whole import: {pool.completed}"
    )


async def test_a_card_too_slow_to_check_is_named(session_factory, pool, clock) -> None:
    from bot.study.decks import DeckError
    from bot.study.importing import ImportLimits

    # an old-style font switch makes the formula go to the real renderer, which on 1,000
    # characters takes well over the 50 ms allowed here (a fast card takes a few ms)
    slow = r"\rm " + " + ".join(f"x^{{{i}}}" for i in range(100))
    text = GOOD_DECK + f"  - id: slow\n    front: q\n    back: a\n    latex_back: '{slow}'\n"
    limits = ImportLimits(slice_seconds=0.05, card_seconds=0.05)
    settings = Settings(database_url="sqlite+aiosqlite://", _env_file=None)
    service = StudyService(
        session_factory, pool, settings=settings, import_limits=limits, seeds=seeded()
    )
    user = await service.user_for_discord(11, "yan")
    server = await service.join_server(user, 110, "Y")
    with pytest.raises(DeckError) as info:
        await service.import_deck(server, text, "yaml")
    assert str(info.value) == (
        "line 13: cards[2]: card 'slow': checking it took longer than 0.05 s; "
        "simplify its LaTeX or typed answer"
    )
    assert await service.list_decks(server) == []

    # and a deck that takes too long altogether says how far it got
    service.import_limits = ImportLimits(total_seconds=0.0)
    with pytest.raises(DeckError) as info:
        await service.import_deck(server, GOOD_DECK, "yaml")
    assert str(info.value) == (
        "line 5: cards[0]: checking the deck took longer than 0 s altogether (it had got to "
        "card 1 of 2): its formulas and typed answers are unusually heavy; split it into "
        "smaller decks"
    )


async def test_typed_card_with_its_function_names_the_mistake(service) -> None:
    user = await service.user_for_console("val")
    card_id = await _deck(service, None, "named", typed=True, function="sin(x)")
    shown = await service.present(user, f"card:{card_id}")
    wrong = await service.submit_answer(shown.token, "-cos x")
    assert wrong.status == "incorrect" and wrong.verdict.mistake == "trig"


async def test_session_summary_counts_items_not_answers(service, clock) -> None:
    user = await service.user_for_console("wes")
    start = clock()
    for _ in range(3):  # one new item failed, re-drilled twice in the same session
        shown = await service.present(user, "skill:power:1")
        await service.give_up(shown.token)
    report = await service.session_summary(user, start)
    assert (report.reviewed, report.correct, report.new_learned) == (1, 0, 1)


async def test_fsrs_grades_whole_days_so_a_card_is_not_back_the_same_day(service, clock) -> None:
    user = await service.user_for_console("fin")
    await service.set_scheduler(user, "fsrs")
    card_id = await _deck(service, None, "fsrs-deck")
    key = f"card:{card_id}"
    shown = await service.present(user, key)
    outcome = await service.grade_card(shown.token, srs.Button.GOOD)
    assert outcome.graded and outcome.schedule.due_at is not None
    for minutes in (30, 60, 600):
        clock.now = shown_at = clock.now + dt.timedelta(minutes=minutes)
        assert key not in await service.due_queue(user), shown_at
    # due by the study day: in the queue from the start of its due day, not only from the hour
    due = outcome.schedule.due_at
    clock.now = srs.day_start_utc(srs.local_day(due, "UTC"), "UTC") + dt.timedelta(minutes=1)
    assert clock.now <= due
    assert key in await service.due_queue(user)
    again = await service.grade_card((await service.present(user, key)).token, srs.Button.GOOD)
    assert again.graded


async def test_a_servers_default_scheduler_switch_rederives_from_the_log(service, clock) -> None:
    """Two students with the same history: one switches herself, the other's server switches
    its default. Their next review lands on the same schedule."""
    server = await service.join_server(await service.user_for_discord(1, "owner"), 99, "Class")
    own = await service.user_for_discord(2, "ola")
    via_server = await service.user_for_discord(3, "per")
    await service.join_server(via_server, 99, "Class")
    card_id = await _deck(service, None, "switch-deck")
    key = f"card:{card_id}"
    for days in (0, 1, 6):
        clock.advance(days=days)
        for user in (own, via_server):
            shown = await service.present(user, key, server)
            assert (await service.grade_card(shown.token, srs.Button.GOOD)).graded
    await service.set_scheduler(own, "fsrs")
    await service.update_server_settings(server, default_scheduler="fsrs")
    clock.advance(days=40)  # due under both schedulers (SM-2 on day 24, FSRS on day 36)
    outcomes = []
    for user in (own, via_server):
        shown = await service.present(user, key, server)
        outcomes.append(await service.grade_card(shown.token, srs.Button.GOOD))
    assert all(o.graded for o in outcomes)
    assert outcomes[0].schedule.scheduler == outcomes[1].schedule.scheduler == "fsrs"
    assert outcomes[0].schedule.due_at == outcomes[1].schedule.due_at


async def test_every_grade_logs_how_long_it_took(service, clock) -> None:
    user = await service.user_for_console("dur")
    card_id = await _deck(service, None, "timed")
    shown = await service.present(user, f"card:{card_id}")
    clock.advance(seconds=12)
    await service.grade_card(shown.token, srs.Button.GOOD)
    shown = await service.present(user, "skill:sum:1")
    clock.advance(seconds=40)
    await service.give_up(shown.token)
    async with service.sessions() as session:
        durations = (
            (
                await session.execute(
                    select(ReviewLog.duration_ms)
                    .where(ReviewLog.user_id == user)
                    .order_by(ReviewLog.id)
                )
            )
            .scalars()
            .all()
        )
    assert durations == [12_000, 40_000]


@pytest.mark.parametrize(
    "change",
    [
        {"day_start_hour": 25},
        {"day_start_hour": "5"},
        {"new_per_day": -1},
        {"new_per_day": True},
        {"reviews_per_day": 2.5},
        {"reviews_per_day": 10_001},
        {"theme": "pink"},
        {"timezone": "Mars/Olympus"},
        {"timezone": 5},
        {"colour": "red"},
    ],
)
async def test_bad_preferences_are_refused_and_nothing_changes(service, change) -> None:
    user = await service.user_for_console("val")
    before = await service.preferences(user)
    with pytest.raises(ValueError):
        await service.set_user_preferences(user, **change)
    assert await service.preferences(user) == before


async def test_good_preferences_are_kept(service) -> None:
    user = await service.user_for_console("win")
    await service.set_user_preferences(
        user, day_start_hour=0, new_per_day=0, reviews_per_day=1000, theme="light"
    )
    prefs = await service.preferences(user)
    assert (prefs.day_start_hour, prefs.new_per_day, prefs.reviews_per_day, prefs.theme) == (
        0,
        0,
        1000,
        "light",
    )


async def _state_row(service: StudyService, user: int, key: str, **values) -> None:
    """A stored item state, as if reviewed earlier (for ordering and window tests)."""
    card = int(key.split(":")[1]) if key.startswith("card:") else None
    async with service.sessions() as session, session.begin():
        session.add(
            ItemState(
                user_id=user, item_key=key, kind="card", card_id=card, scheduler="sm2", **values
            )
        )


async def test_due_order_is_most_overdue_relative_to_the_interval(service, clock) -> None:
    """3 days late on a 2-day item comes before 10 days late on a 100-day one, though fewer
    days late: the short memory is the one most likely lost."""
    user = await service.user_for_console("ord")
    await service.set_user_preferences(user, new_per_day=0)
    today = srs.local_day(clock.now, "UTC")
    ids = [await _deck(service, None, f"order-{k}") for k in range(3)]
    for card_id, interval, late in zip(ids, (100, 2, 6), (10, 3, 0), strict=True):
        await _state_row(
            service,
            user,
            f"card:{card_id}",
            interval=interval,
            repetitions=3,
            due_day=today - dt.timedelta(days=late),
            introduced_day=today - dt.timedelta(days=200),
        )
    assert await service.due_queue(user) == [f"card:{ids[1]}", f"card:{ids[0]}", f"card:{ids[2]}"]
    assert (await service.due_queue(user))[0] == f"card:{ids[1]}"


async def test_a_stored_presentation_comes_back_the_same(service) -> None:
    user = await service.user_for_console("pre")
    shown = await service.present(user, "skill:sum:1")
    again = await service.presentation(shown.token)
    assert (again.item_key, again.problem, again.new) == ("skill:sum:1", shown.problem, True)
    card_id = await _deck(service, None, "pres-deck")
    card = await service.present(user, f"card:{card_id}")
    assert (await service.presentation(card.token)).card == card.card
    other = await service.user_for_console("snoop")
    with pytest.raises(StudyError):
        await service.presentation(card.token, user_id=other)
    with pytest.raises(StudyError):
        await service.presentation("no-such-token")


async def test_revealing_a_typed_card_grades_it_as_given_up(service) -> None:
    user = await service.user_for_console("rev")
    card_id = await _deck(service, None, "reveal-deck", typed=True)
    shown = await service.present(user, f"card:{card_id}")
    wrong = await service.submit_answer(shown.token, "sin(x)")
    assert wrong.status == "incorrect"
    revealed = await service.reveal(shown.token)
    assert revealed.status == "revealed" and revealed.quality == 1 and revealed.graded
    assert (await service.reveal(shown.token)).status == "already"
    skipped = await service.present(user, "skill:power:1")
    outcome = await service.reveal(skipped.token)
    assert outcome.status == "revealed" and outcome.quality == 0 and outcome.steps


async def test_a_session_owes_the_items_it_failed(service, clock) -> None:
    user = await service.user_for_console("red")
    since = clock.now
    ids = [await _deck(service, None, f"redrill-{k}") for k in range(3)]
    grades = (srs.Button.AGAIN, srs.Button.GOOD, srs.Button.HARD)
    for card_id, button in zip(ids, grades, strict=True):
        shown = await service.present(user, f"card:{card_id}")
        await service.grade_card(shown.token, button)
        clock.advance(seconds=30)
    assert await service.session_redrills(user, since) == [f"card:{ids[0]}", f"card:{ids[2]}"]
    shown = await service.present(user, f"card:{ids[0]}")  # the re-drill, passed this time
    outcome = await service.grade_card(shown.token, srs.Button.GOOD)
    assert outcome.practice == "today"
    assert await service.session_redrills(user, since) == [f"card:{ids[2]}"]
    assert await service.session_redrills(user, clock.now) == []


async def test_reminder_cleared_and_a_pause_told_once(service, clock) -> None:
    user = await service.user_for_discord(404, "rem")
    assert await service.clear_reminder(user) is False
    await service.set_reminder(user, "07:00", "UTC")
    clock.now = dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC)
    (due,) = await service.reminders_due(discord_only=True)
    await service.reminder_undeliverable(due.reminder_id, "DMs closed")
    assert await service.pending_notice(user) == "DMs closed"
    assert await service.pending_notice(user) is None  # told once
    info = await service.reminder(user)
    assert info is not None and info.paused
    assert await service.clear_reminder(user) is True
    assert await service.reminder(user) is None


async def test_server_settings_update_and_refuse_nonsense(service) -> None:
    owner = await service.user_for_discord(500, "own")
    server = await service.join_server(owner, 123, "Class")
    settings = await service.update_server_settings(
        server, default_scheduler="fsrs", leaderboard_enabled=False, teacher_role_id=77
    )
    assert (settings.default_scheduler, settings.leaderboard_enabled) == ("fsrs", False)
    assert settings.teacher_role_id == 77
    assert (await service.server_settings(server)) == settings
    assert (await service.leaderboard(server)).enabled is False
    cleared = await service.update_server_settings(server, teacher_role_id=None)
    assert cleared.teacher_role_id is None and cleared.default_scheduler == "fsrs"
    with pytest.raises(ValueError):
        await service.update_server_settings(server, default_scheduler="leitner")
    with pytest.raises(ValueError):
        await service.update_server_settings(server, owner_id=1)


async def test_leaderboard_windows_count_back_seven_and_thirty_days(service, clock) -> None:
    ann = await service.user_for_discord(601, "ann")
    server = await service.join_server(ann, 600, "Windows")
    start = clock.now
    for key, days_ago in (("skill:power:1", 29), ("skill:sum:1", 6), ("skill:chain:1", 0)):
        clock.now = start - dt.timedelta(days=days_ago)
        await _answer_right(service, ann, key, server)
    clock.now = start
    week = await service.leaderboard(server, "week", user_id=ann)
    month = await service.leaderboard(server, "month", user_id=ann)
    everything = await service.leaderboard(server, "all", user_id=ann)
    assert (week.me.points, month.me.points, everything.me.points) == (20, 30, 30)
    clock.now = start + dt.timedelta(days=1)  # a day later the oldest of each window drops out
    assert (await service.leaderboard(server, "week", user_id=ann)).me.points == 10
    assert (await service.leaderboard(server, "month", user_id=ann)).me.points == 20


async def test_first_answers_on_new_items_do_not_use_up_the_review_limit(service, clock) -> None:
    user = await service.user_for_console("lim")
    await service.set_user_preferences(user, new_per_day=2, reviews_per_day=2)
    for key in ("skill:power:1", "skill:sum:1"):
        await _answer_right(service, user, key)
    clock.advance(days=1)
    for key in ("skill:chain:1", "skill:trig:1"):  # today's two new items, learned first
        await _answer_right(service, user, key)
    assert await service.due_queue(user) == ["skill:power:1", "skill:sum:1"]
    await _answer_right(service, user, "skill:power:1")
    assert await service.due_queue(user) == ["skill:sum:1"]


async def test_an_item_the_queue_offers_in_a_server_with_another_scheduler_is_a_review(
    service, clock
) -> None:
    """Learned in a DM under SM-2 (the global default), due the next day, answered in a server
    whose default is FSRS: the queue offered it, so it is a review (re-derived under FSRS),
    not practice."""
    user = await service.user_for_discord(700, "xan")
    server = await service.join_server(user, 701, "FSRS class")
    await service.update_server_settings(server, default_scheduler="fsrs")
    _, first = await _answer_right(service, user, "skill:power:1")  # in a DM
    assert first.graded and first.schedule.scheduler == "sm2"
    clock.advance(days=1)
    assert "skill:power:1" in await service.due_queue(user, server)
    _, second = await _answer_right(service, user, "skill:power:1", server)
    assert second.graded and second.practice is None and second.points == 10
    assert second.schedule.scheduler == "fsrs"


async def test_a_button_pressed_weeks_later_logs_at_most_a_day(service, clock) -> None:
    user = await service.user_for_console("late")
    shown = await service.present(user, "skill:trig:1")
    clock.advance(days=30)
    await service.give_up(shown.token)
    async with service.sessions() as session:
        logged = await session.scalar(
            select(ReviewLog.duration_ms).where(ReviewLog.user_id == user)
        )
    assert logged == 24 * 3600 * 1000


class _FailingPool:
    """A pool whose workers fail under every task, as the real one reports it after its retry."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def arun(self, *_args, **_kwargs):
        raise self.error


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (WorkerCrashed("worker died"), "checker is restarting"),
        (WorkTimeout("over its limit"), "took too long"),
    ],
)
async def test_a_problem_the_pool_cannot_build_is_our_fault_and_leaves_nothing(
    session_factory, clock, error, said
) -> None:
    settings = Settings(database_url="sqlite+aiosqlite://", _env_file=None)
    service = StudyService(
        session_factory, _FailingPool(error), settings=settings, clock=clock, seeds=lambda: 1
    )
    user = await service.user_for_console("pat")
    with pytest.raises(StudyError, match=said):
        await service.present(user, "skill:power:1")
    assert await _count(service, Presentation) == 0


async def test_an_answer_right_in_its_other_reading_is_no_lapse_and_can_be_retried(service) -> None:
    """`2/2(f')` is read as 2/(2·f'); as (2/2)·f' it is right: the student is told and retries,
    and the item is graded as a first-try answer (no lapse, no try used up)."""
    user = await service.user_for_console("ambi")
    shown = await service.present(user, "skill:power:1")
    right = sp.sstr(shown.problem.answer)
    ambiguous = await service.submit_answer(shown.token, f"2/2({right})", seconds=5)
    assert ambiguous.status == "invalid" and ambiguous.can_retry and not ambiguous.graded
    assert "that is right" in ambiguous.verdict.message
    assert ambiguous.verdict.alternative == f"(2/2)({right})"
    assert await _count(service, ReviewLog, ReviewLog.user_id == user) == 0
    fixed = await service.submit_answer(shown.token, f"(2/2)({right})", seconds=5)
    assert fixed.status == "correct" and fixed.quality == 5  # still the first try
    assert await _count(service, ReviewLog, ReviewLog.user_id == user, ReviewLog.quality < 3) == 0
