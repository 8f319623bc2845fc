"""The class at a glance (`StudyService.class_view`, `class_csv`), on every backend: a small
class's answers seeded row by row, so every number a teacher reads is known exactly."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import sympy as sp

from bot.config import Settings
from bot.db.models import Card, Deck, ItemState, QuizAttempt, ReviewLog
from bot.math.generator import generate
from bot.math.workers import MathPool
from bot.study.cases.classview import CSV_COLUMNS, grid_data
from bot.study.service import StudyService
from tests.seeds import seeded

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
GUILD, OTHER_GUILD = 111, 222


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=1, timeout=10.0) as p:
        yield p


@pytest.fixture
def service(session_factory, pool) -> StudyService:
    settings = Settings(database_url="sqlite+aiosqlite://", _env_file=None)
    return StudyService(session_factory, pool, settings=settings, clock=lambda: NOW, seeds=seeded())


def _day(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


class Seeder:
    """Writes log rows, attempts and item states as grading would have left them."""

    def __init__(self, service: StudyService) -> None:
        self.service = service
        self.rows: list[object] = []
        self.minute = 0

    def log(self, user, server, key, quality, day, *, counted=True, points=0) -> None:
        self.minute += 1  # every answer a moment after the one before
        self.rows.append(
            ReviewLog(
                user_id=user,
                server_id=server,
                item_key=key,
                kind=key.split(":")[0],
                quality=quality,
                scheduler="sm2",
                reviewed_at=_at(day) + dt.timedelta(minutes=self.minute),
                local_day=day,
                state_after={},
                points=points,
                counted=counted,
            )
        )

    def attempt(self, user, server, skill, mistake, answer, hour, *, seed=1, verdict="incorrect"):
        self.rows.append(
            QuizAttempt(
                user_id=user,
                server_id=server,
                skill=skill,
                level=1,
                seed=seed,
                answer_text=answer,
                verdict=verdict,
                mistake=mistake,
                created_at=_at(_day(3, 2), hour),
            )
        )

    def state(self, user, skill, level, *, due=None, leech=0, unlocked=True, **kw) -> None:
        self.rows.append(
            ItemState(
                user_id=user,
                item_key=f"skill:{skill}:{level}",
                kind="skill",
                skill=skill,
                level=level,
                scheduler=kw.pop("scheduler", "sm2"),
                due_day=due,
                introduced_day=_day(2, 20) if unlocked else None,
                unlocked=unlocked,
                leech_flagged=leech > 0,
                lapses=leech,
                **kw,
            )
        )

    async def commit(self) -> None:
        async with self.service.sessions() as session, session.begin():
            session.add_all(self.rows)


async def _member(service: StudyService, discord_id: int, name: str, guild: int = GUILD):
    user = await service.user_for_discord(discord_id, name)
    return user, await service.join_server(user, guild, "Calculus")


async def _card(service: StudyService, server: int | None, front: str) -> int:
    async with service.sessions() as session, session.begin():
        deck = Deck(server_id=server, slug=f"d{server}", title="d")
        session.add(deck)
        await session.flush()
        card = Card(deck_id=deck.id, card_key="c", front=front, back="b")
        session.add(card)
        await session.flush()
        return card.id


async def seed_class(service: StudyService) -> int:
    """Ada, Ben and =Cleo study in the server; a teacher only looks; Dan studies elsewhere."""
    ada, server = await _member(service, 1, "Ada")
    ben, _ = await _member(service, 2, "Ben")
    cleo, _ = await _member(service, 3, "=Cleo")
    await _member(service, 9, "Teacher")
    dan, other = await _member(service, 4, "Dan", OTHER_GUILD)
    await service.join_server(ada, OTHER_GUILD, "Elsewhere")
    await service.set_stats_shared(cleo, server, True)  # private or not, teachers see everyone
    here_card = await _card(service, server, "What is  d/dx e^x?")
    there_card = await _card(service, other, "Elsewhere's card")
    s = Seeder(service)
    _seed_ada(s, ada, server, other)
    _seed_ben_and_cleo(s, ben, cleo, server)
    s.log(dan, other, "skill:trig:1", 5, _day(3, 2), points=10)
    s.attempt(dan, other, "trig", "trig", "cos x", 9)
    s.rows.append(_card_leech(cleo, here_card, 8))
    s.rows.append(_card_leech(ada, there_card, 12))  # a card of another server's deck
    await s.commit()
    return server


def _seed_ada(s: Seeder, ada: int, server: int, other: int) -> None:
    # chain: two misses, then ten first tries (the last at level 2)
    s.log(ada, server, "skill:chain:1", 1, _day(2, 20))
    s.log(ada, server, "skill:chain:1", 1, _day(2, 21))
    for day in [_day(2, d) for d in range(22, 29)] + [_day(3, 1), _day(3, 2)]:
        s.log(ada, server, "skill:chain:1", 5, day, points=10)
    s.log(ada, server, "skill:chain:2", 5, _day(3, 2), points=20)
    s.log(ada, server, "skill:power:1", 1, _day(3, 1))
    s.log(ada, server, "skill:power:1", 3, _day(3, 2), counted=False)  # practice
    s.log(ada, server, "skill:power:1", 5, _day(3, 2), points=10)
    for day in (_day(3, 1), _day(3, 2)):  # flashcards: points and streak days, no skill
        for _ in range(4):
            s.log(ada, server, "card:1", 4, day, points=5)
    for _ in range(5):  # in another server: none of it counts here
        s.log(ada, other, "skill:chain:1", 1, _day(3, 2), counted=False)
        s.attempt(ada, other, "chain", "chain", "elsewhere", 10)
    s.state(ada, "chain", 1, due=_day(3, 10))
    s.state(ada, "chain", 2, due=_day(3, 3))
    s.state(ada, "chain", 3, unlocked=False)
    s.state(ada, "power", 1, due=_day(3, 4), leech=8)
    s.attempt(ada, server, "chain", "chain", "cos(x^2)", 8, seed=5)
    s.attempt(ada, server, "power", "power", "x^3", 9, seed=6)
    s.attempt(ada, server, "power", "power", "3x^3", 12, seed=33)
    s.attempt(ada, server, "power", None, "7", 12)  # wrong, no mistake named
    s.attempt(ada, server, "power", None, "))", 12, verdict="invalid")


def _seed_ben_and_cleo(s: Seeder, ben: int, cleo: int, server: int) -> None:
    s.log(ben, server, "skill:chain:1", 1, _day(3, 1))
    s.log(ben, server, "skill:chain:1", 0, _day(3, 2))
    s.log(ben, server, "skill:power:1", 4, _day(3, 2), points=10)
    s.state(
        ben,
        "chain",
        1,
        scheduler="fsrs",
        due_at=dt.datetime(2026, 3, 5, 10, tzinfo=dt.UTC),
        leech=9,
    )
    s.state(ben, "power", 1, due=_day(3, 3))
    for hour in (10, 11, 14):
        s.attempt(ben, server, "chain", "chain", f"cos(x^2) #{hour}", hour, seed=11)
    s.attempt(ben, server, "power", "not_differentiated", "x^2", 7)
    s.log(cleo, server, "skill:power:1", 4, _day(3, 2), points=10)
    s.state(cleo, "power", 1, due=_day(3, 5), leech=8)
    s.attempt(cleo, server, "power", "sign", "-2x", 6)
    s.attempt(cleo, server, "power", "not_differentiated", "x^3 + 1", 13, seed=22)


def _card_leech(user: int, card: int, lapses: int) -> ItemState:
    return ItemState(
        user_id=user,
        item_key=f"card:{card}",
        kind="card",
        card_id=card,
        scheduler="sm2",
        introduced_day=_day(2, 20),
        leech_flagged=True,
        lapses=lapses,
    )


async def test_the_matrix_counts_this_servers_work_per_student_and_skill(service) -> None:
    server = await seed_class(service)
    view = await service.class_view(server)
    assert view.skills == ("power", "chain")  # practised here, in the registry's order
    # the teacher who only looks is no row; Dan studies elsewhere; =Cleo shares, Ada does not
    assert [s.name for s in view.students] == ["=Cleo", "Ada", "Ben"]
    cleo, ada, ben = view.students
    chain = ada.cells["chain"]
    assert (chain.level, chain.levels) == (2, 3)  # level 3 is not unlocked
    assert (chain.reviews, chain.problems, chain.first_try) == (12, 12, 10)
    assert (chain.recent_first_try, chain.recent_problems) == (10, 10)  # the misses are older
    assert chain.recent_accuracy == 1.0 and round(chain.accuracy, 3) == 0.833
    assert (chain.points, chain.last_studied, chain.next_due) == (110, _day(3, 2), _day(3, 3))
    assert chain.top_mistake == "chain"
    power = ada.cells["power"]
    assert (power.reviews, power.problems, power.first_try, power.points) == (2, 3, 1, 10)
    assert (power.next_due, power.top_mistake) == (_day(3, 4), "power")
    assert (ada.points, ada.streak, ada.discord_id) == (160, 2, 1)  # cards score too
    assert ben.cells["chain"].next_due == _day(3, 5)  # FSRS: its due instant, as a study day
    assert ben.cells["chain"].recent_accuracy == 0.0
    assert ben.cells["power"].top_mistake == "not_differentiated"
    assert (ben.points, ben.streak) == (10, 0)
    assert set(cleo.cells) == {"power"}  # no chain cell: not started
    assert cleo.cells["power"].top_mistake == "not_differentiated"  # a tie: alphabetical
    grid = grid_data(view)
    assert grid.title == view.server_name == "Calculus"
    assert grid.students == ("=Cleo", "Ada", "Ben") and grid.skills == view.skills
    assert grid.cells[0][1] is None
    assert (grid.cells[1][1].level, grid.cells[1][1].correct, grid.cells[1][1].attempts) == (
        2,
        10,
        10,
    )


async def test_the_three_mistakes_made_most_with_their_latest_example(service) -> None:
    server = await seed_class(service)
    view = await service.class_view(server)
    found = [(m.code, m.words, m.count, m.students) for m in view.mistakes]
    assert found == [
        (
            "chain",
            "chain rule misapplied (inner derivative missing or taken at the wrong part)",
            4,
            2,
        ),
        ("not_differentiated", "answered the function itself", 2, 2),  # two students beat one
        ("power", "power rule misapplied", 2, 1),
    ]  # the sign mistake (once) is fourth; another server's chain mistakes are not counted
    chain, same, power = (m.example for m in view.mistakes)
    assert (chain.student, chain.answer, chain.skill, chain.level) == (
        "Ben",
        "cos(x^2) #14",
        "chain",
        1,
    )
    assert chain.problem == generate("chain", 1, 11).prompt
    assert (same.student, same.answer) == ("=Cleo", "x^3 + 1")
    assert same.problem == generate("power", 1, 22).prompt
    assert (power.student, power.answer) == ("Ada", "3x^3")
    assert power.problem == generate("power", 1, 33).prompt
    quick = await service.class_view(server, examples=False)
    assert [m.example.problem for m in quick.mistakes] == [None, None, None]


async def test_the_class_leeches_most_shared_first(service) -> None:
    server = await seed_class(service)
    view = await service.class_view(server)
    assert [(leech.label, leech.students, leech.lapses) for leech in view.leeches] == [
        ("power · level 1", ("Ada", "=Cleo"), 16),
        ("chain · level 1", ("Ben",), 9),
        ("card: What is d/dx e^x?", ("=Cleo",), 8),
    ]  # Ada's leech on another server's card is not shown here


async def test_the_csv_has_one_row_per_student_and_skill(service) -> None:
    server = await seed_class(service)
    text = await service.class_csv(server)
    rows = list(csv.reader(io.StringIO(text)))
    assert (
        rows[0]
        == list(CSV_COLUMNS)
        == [
            "student",
            "discord_id",
            "skill",
            "level",
            "reviews",
            "problems",
            "first_try",
            "accuracy",
            "last_studied",
            "next_due",
            "streak",
            "points",
            "top_mistake",
        ]
    )
    assert rows[1:] == [
        # a name that would start a spreadsheet formula is made inert
        ["'=Cleo", "3", "power", "1", "1", "1", "1", "100", "2026-03-02", "2026-03-05", "0", "10",
         "answered the function itself"],
        ["'=Cleo", "3", "chain", "0", "0", "0", "0", "", "", "", "0", "0", ""],
        ["Ada", "1", "power", "1", "2", "3", "1", "33", "2026-03-02", "2026-03-04", "2", "10",
         "power rule misapplied"],
        ["Ada", "1", "chain", "2", "12", "12", "10", "83", "2026-03-02", "2026-03-03", "2", "110",
         "chain rule misapplied (inner derivative missing or taken at the wrong part)"],
        ["Ben", "2", "power", "1", "1", "1", "1", "100", "2026-03-02", "2026-03-03", "0", "10",
         "answered the function itself"],
        ["Ben", "2", "chain", "1", "2", "2", "0", "0", "2026-03-02", "2026-03-05", "0", "0",
         "chain rule misapplied (inner derivative missing or taken at the wrong part)"],
    ]  # fmt: skip


async def test_a_server_nobody_studied_in_is_an_empty_class(service) -> None:
    _, server = await _member(service, 9, "Teacher")
    view = await service.class_view(server)
    assert (view.skills, view.students, view.mistakes, view.leeches) == ((), (), (), ())
    assert (await service.class_csv(server)).splitlines() == [",".join(CSV_COLUMNS)]
    assert await service.server_id_for_guild(GUILD) == server
    assert await service.server_id_for_guild(404) is None


async def test_real_answers_show_up_with_their_named_mistake(service) -> None:
    user, server = await _member(service, 5, "Eve")
    shown = await service.present(user, "skill:chain:1", server)
    wrong = await service.submit_answer(shown.token, sp.sstr(shown.problem.function))
    assert wrong.status == "incorrect" and wrong.verdict.mistake == "not_differentiated"
    right = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer))
    assert right.status == "correct"
    view = await service.class_view(server)
    (eve,) = view.students
    cell = eve.cells["chain"]
    assert (cell.level, cell.problems, cell.first_try, cell.reviews) == (1, 1, 0, 1)
    (mistake,) = view.mistakes
    assert (mistake.code, mistake.count, mistake.example.student) == (
        "not_differentiated",
        1,
        "Eve",
    )
    assert mistake.example.problem == shown.problem.prompt


async def test_students_are_shown_by_the_name_this_server_knows_them_by(service) -> None:
    user = await service.user_for_discord(6, "bo")
    server = await service.join_server(user, GUILD, "Calculus", member_name="Bo K.")
    await service.join_server(user, OTHER_GUILD, "Elsewhere", member_name="Bobby")
    shown = await service.present(user, "skill:sum:1", server)
    await service.submit_answer(shown.token, sp.sstr(shown.problem.answer))
    (student,) = (await service.class_view(server)).students
    assert student.name == "Bo K."
