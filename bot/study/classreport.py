"""The class at a glance as data (what `StudyService.class_view` returns) and as what the
front-ends show of it: the picture's plain values (`grid_data`), the gradebook CSV and a
plain-text report. Pure: no database, no discord; the use case is `cases.classview`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from bot.math.diagnosis import CODES
from bot.math.render.classgrid import ClassGrid, GridCell

#: "Recent accuracy" is over each student's last this many problems of a skill.
RECENT_PROBLEMS = 10
#: How many mistakes `/class` names.
TOP_MISTAKES = 3
CSV_COLUMNS = (
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
)
#: A spreadsheet reads a cell starting with one of these as a formula: names are user text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class SkillCell:
    """One student's work on one skill."""

    level: int  # the highest level reached (unlocked), 0 before any answer
    levels: int
    reviews: int  # counted reviews (that moved the schedule), in this server
    problems: int  # problems finished in this server, practice included
    first_try: int  # of those, solved at the first try without a hint
    recent_problems: int  # the last RECENT_PROBLEMS of them
    recent_first_try: int
    points: int
    last_studied: dt.date | None  # the student's study day of their latest answer here
    next_due: dt.date | None
    top_mistake: str | None  # the mistake code they make most on this skill

    @property
    def accuracy(self) -> float | None:
        return self.first_try / self.problems if self.problems else None

    @property
    def recent_accuracy(self) -> float | None:
        return self.recent_first_try / self.recent_problems if self.recent_problems else None


@dataclass(frozen=True)
class ClassStudent:
    user_id: int
    discord_id: int | None
    name: str
    streak: int
    points: int  # earned in this server
    cells: dict[str, SkillCell] = field(default_factory=dict)  # by skill, only those practised


@dataclass(frozen=True)
class MistakeExample:
    student: str
    skill: str
    level: int
    problem: str | None  # the problem's prompt (None when it could not be rebuilt)
    answer: str  # what the student typed: user text, echo it safely


@dataclass(frozen=True)
class ClassMistake:
    code: str
    words: str  # `diagnosis.CODES`, e.g. "inner derivative missing"
    count: int  # wrong answers with this mistake
    students: int  # how many students made it
    example: MistakeExample


@dataclass(frozen=True)
class ClassLeech:
    item_key: str
    label: str  # "chain · level 2", or a card's front (deck text: echo it safely)
    students: tuple[str, ...]  # who keeps failing it, most lapses first
    lapses: int  # over all of them


@dataclass(frozen=True)
class ClassView:
    server_id: int
    server_name: str
    day: dt.date  # UTC today, the day the view is of
    skills: tuple[str, ...]  # the columns: skills anyone here practised, in the registry's order
    students: tuple[ClassStudent, ...]  # by name
    mistakes: tuple[ClassMistake, ...]  # the TOP_MISTAKES most made, most first
    leeches: tuple[ClassLeech, ...]  # most students first


def grid_data(view: ClassView, *, max_students: int = 60) -> ClassGrid:
    """The view as the plain values the renderer takes (`bot.math.render.classgrid`), at most
    `max_students` rows (the CSV has everyone)."""
    shown = view.students[:max_students]
    return ClassGrid(
        title=view.server_name,
        day=view.day.isoformat(),
        skills=view.skills,
        students=tuple(s.name for s in shown),
        cells=tuple(tuple(_grid_cell(s.cells.get(skill)) for skill in view.skills) for s in shown),
        more=len(view.students) - len(shown),
        recent=RECENT_PROBLEMS,
    )


def _grid_cell(cell: SkillCell | None) -> GridCell | None:
    if cell is None:
        return None
    return GridCell(cell.level, cell.levels, cell.recent_first_try, cell.recent_problems)


def class_csv_rows(view: ClassView) -> list[list[str]]:
    """`CSV_COLUMNS`, then one row per student and skill (every skill the class practised; a
    skill the student has not: zeros and blanks). Accuracy is a whole percentage of problems
    solved at the first try without a hint; dates are ISO; the mistake is in words."""
    out = [list(CSV_COLUMNS)]
    for student in view.students:
        for skill in view.skills:
            cell = student.cells.get(skill)
            accuracy = cell.accuracy if cell is not None else None
            out.append(
                [
                    _cell_text(student.name),
                    "" if student.discord_id is None else str(student.discord_id),
                    skill,
                    str(cell.level if cell else 0),
                    str(cell.reviews if cell else 0),
                    str(cell.problems if cell else 0),
                    str(cell.first_try if cell else 0),
                    "" if accuracy is None else str(int(100 * accuracy + 0.5)),  # half up
                    _iso(cell.last_studied if cell else None),
                    _iso(cell.next_due if cell else None),
                    str(student.streak),
                    str(cell.points if cell else 0),
                    mistake_words(cell.top_mistake) if cell and cell.top_mistake else "",
                ]
            )
    return out


def class_csv_text(view: ClassView) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(class_csv_rows(view))
    return buffer.getvalue()


def _iso(day: dt.date | None) -> str:
    return "" if day is None else day.isoformat()


def _cell_text(text: str) -> str:
    """User text made inert for spreadsheets: a leading = + - @ would start a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def class_report_text(view: ClassView) -> str:
    """The view as plain text for a terminal: the grid ("L2 7/10": the level reached, first
    tries among the last problems), the mistakes made most with an example, the leeches."""
    count = len(view.students)
    lines = [
        f"{view.server_name or 'server ' + str(view.server_id)}: {count} student"
        f"{'s' if count != 1 else ''} x {len(view.skills)} skills, {view.day.isoformat()}",
    ]
    if view.students:
        width = min(24, max(len("student"), *(len(s.name) for s in view.students)))
        columns = [max(10, len(skill)) for skill in view.skills]
        head = [f"{'student':<{width}}"] + [
            f"{k:<{w}}" for k, w in zip(view.skills, columns, strict=True)
        ]
        lines += ["", "  ".join(head).rstrip()]
        for student in view.students:
            row = [f"{student.name[:width]:<{width}}"]
            for skill, w in zip(view.skills, columns, strict=True):
                cell = student.cells.get(skill)
                text = (
                    "-"
                    if cell is None
                    else (f"L{cell.level} {cell.recent_first_try}/{cell.recent_problems}")
                )
                row.append(f"{text:<{w}}")
            lines.append("  ".join(row).rstrip())
    lines += ["", "Mistakes made most:"]
    for rank, m in enumerate(view.mistakes, start=1):
        ex = m.example
        asked = ex.problem or f"{ex.skill} level {ex.level}"
        lines.append(f"  {rank}. {m.words}: {m.count} wrong answers, {m.students} students")
        lines.append(f"     e.g. {ex.student} on {asked!r}: answered {ex.answer!r}")
    if not view.mistakes:
        lines.append("  none named yet")
    lines.append("Leeches:")
    lines += [f"  {leech.label}: {', '.join(leech.students)}" for leech in view.leeches]
    if not view.leeches:
        lines.append("  none")
    return "\n".join(lines) + "\n"


def mistake_words(code: str) -> str:
    """A mistake code in words (`diagnosis.CODES`), e.g. "inner derivative missing"."""
    return CODES.get(code, code.replace("_", " "))


__all__ = [
    "CSV_COLUMNS",
    "RECENT_PROBLEMS",
    "TOP_MISTAKES",
    "ClassLeech",
    "ClassMistake",
    "ClassStudent",
    "ClassView",
    "MistakeExample",
    "SkillCell",
    "class_csv_rows",
    "class_csv_text",
    "class_report_text",
    "grid_data",
    "mistake_words",
]
