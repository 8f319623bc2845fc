"""The one command line, `derivbot` (also `python -m bot`).

Subcommands are thin: they read arguments, call the math engine (through the worker pool
wherever input is untrusted) and print. Their output formats are stable; other tools and
tests depend on them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO, Any

from bot.jsonl_check import check_stream, print_json, read_lines

CHECK_TIMEOUT = 2.0


# --- check ---------------------------------------------------------------------------------


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 (never replace workers) or more")
    return value


def cmd_check(args: argparse.Namespace) -> int:
    from bot.math.workers import MathPool

    out = sys.stdout
    recycling = {} if args.max_tasks is None else {"max_tasks": args.max_tasks}
    # the pool's fork server starts loading the engine now, while this process imports it too
    with MathPool(timeout=args.timeout, **recycling) as pool:
        if args.jsonl is None:
            if args.expected is None or args.answer is None:
                print("derivbot check: give EXPECTED ANSWER, or --jsonl FILE", file=sys.stderr)
                return 2
            problem = _kind_problem(args)
            if problem:
                print(f"derivbot check: {problem}", file=sys.stderr)
                return 2
            verdict = _check_one(pool, args)
            if args.json:
                print_json(verdict.to_dict(), out)
            else:
                _print_verdict(verdict, out)
            return 0 if verdict.verdict == "correct" else 1

        check_stream(pool, read_lines(args.jsonl), out)
    return 0


def _check_one(pool: Any, args: argparse.Namespace) -> Any:
    """One check in the pool: in the declared `--vars` (vectors too), or the one `--var`."""
    from bot.math import tasks

    if args.vars is None:
        return tasks.check(
            pool,
            args.expected,
            args.answer,
            function=args.function,
            var=args.var or "x",
            kind=args.kind,
            point=args.at,
        )
    from bot.math.check import check_vars_task

    names = [n for n in args.vars.split(",") if n.strip()]
    try:
        return pool.run(check_vars_task, args.expected, args.answer, args.function, names, args.var)
    except Exception as exc:
        return tasks.verdict_for_failure(exc)


def _kind_problem(args: argparse.Namespace) -> str | None:
    if args.vars is not None and args.kind is not None:
        return "--kind does not go with --vars"
    if args.kind is not None and args.at is None:
        return f"--kind {args.kind} needs --at A (the point)"
    if args.at is not None and args.kind is None:
        return "--at needs --kind value or --kind tangent"
    if args.kind == "tangent" and args.function is None:
        return "--kind tangent needs --function F (the function, for f(A))"
    return None


def _print_verdict(verdict: Any, out: IO[str]) -> None:
    if verdict.reading is not None:
        out.write(f"I read your answer as: {verdict.reading.text}\n")
        for note in verdict.reading.notes:
            out.write(f"  ({note})\n")
    out.write(f"{verdict.verdict}: {verdict.message}\n")
    if verdict.mistake:
        out.write(f"mistake [{verdict.mistake}]: {verdict.diagnosis}\n")
    for k, part in enumerate(getattr(verdict, "components", ()), 1):
        named = f" [{part.mistake}] {part.diagnosis}" if part.mistake else ""
        out.write(f"  component {k}: {part.verdict}: {part.message}{named}\n")


# --- skills and generate ---------------------------------------------------------------------


def cmd_skills(args: argparse.Namespace) -> int:
    from bot.math.generator import SKILLS

    if args.json:
        print_json(
            [
                {"name": s.name, "levels": s.levels, "description": s.description}
                for s in SKILLS.values()
            ],
            sys.stdout,
        )
    else:
        width = max(len(name) for name in SKILLS)
        for skill in SKILLS.values():
            print(f"{skill.name:<{width}}  levels 1-{skill.levels}  {skill.description}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from bot.math.generator import SKILLS, generate

    if args.skill not in SKILLS:
        print(
            f"derivbot generate: unknown skill {args.skill!r}; see `derivbot skills`",
            file=sys.stderr,
        )
        return 2
    if not 1 <= args.level <= SKILLS[args.skill].levels:
        print(f"derivbot generate: level must be 1-{SKILLS[args.skill].levels}", file=sys.stderr)
        return 2
    for k in range(args.count):
        problem = generate(args.skill, args.level, args.seed + k)
        if args.jsonl:
            print_json(problem.to_json(), sys.stdout)
        else:
            print(f"[{problem.skill} L{problem.level} seed {problem.seed}] {problem.prompt}")
            for i, hint in enumerate(problem.hints, 1):
                print(f"    hint {i}/{len(problem.hints)}: {hint.text}")
            for step in problem.steps:
                print(f"    {step.text}")
            print(f"    answer: {problem.answer}")
    return 0


# --- render ----------------------------------------------------------------------------------


def cmd_render(args: argparse.Namespace) -> int:
    from bot.math.render import render_latex, render_tangent

    if args.tangent is not None:
        from bot.math.parser import ParseError, parse

        try:
            function = parse(args.tangent, args.var).expr
        except ParseError as exc:
            print(f"derivbot render: {exc}", file=sys.stderr)
            return 2
        import sympy as sp

        result = render_tangent(function, args.at, var=sp.Symbol(args.var), theme=args.theme)
    elif args.latex is not None:
        result = render_latex(args.latex, theme=args.theme)
    else:
        print("derivbot render: give --latex TEX or --tangent FUNCTION --at A", file=sys.stderr)
        return 2
    if result.png is None:
        print(
            f"derivbot render: could not render ({result.error}); as text: {result.text}",
            file=sys.stderr,
        )
        return 1
    Path(args.output).write_bytes(result.png)
    print(f"wrote {args.output} ({len(result.png)} bytes)")
    return 0


# --- migrate and decks -------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    import asyncio

    from bot.db import migrate

    if args.check:
        from alembic.util.exc import CommandError

        try:
            migrate.check(args.url)
        except CommandError as exc:
            print(f"derivbot migrate --check: {exc}", file=sys.stderr)
            return 1
        print("models and migrations agree")
        return 0
    if args.down:
        asyncio.run(migrate.downgrade_async(args.url, args.down))
        print(f"database downgraded to {args.down}")
        return 0
    asyncio.run(migrate.prepare_database(args.url, revision=args.revision))
    print(f"database at {migrate.current(args.url) or 'base'}")
    return 0


def cmd_deck(args: argparse.Namespace) -> int:
    from bot.study import decks

    if args.deck_command == "validate":
        path = Path(args.path) if args.path else None
        problems = decks.validate_path(path, render=not args.no_render)
        warnings = decks.warn_path(path)  # a card asking several things: said, not failed
        for warning in warnings:
            where = f"{warning.source}: " if warning.source else ""
            print(f"warning: {where}{warning}", file=sys.stderr)
        if warnings:
            print(f"{len(warnings)} warning(s)", file=sys.stderr)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"{len(problems)} problem(s)", file=sys.stderr)
            return 1
        print("all decks are valid")
        return 0
    if args.deck_command == "sync":
        import asyncio

        return asyncio.run(_sync_decks(args.url))
    print("derivbot deck: validate [PATH] | sync", file=sys.stderr)
    return 2


async def _sync_decks(url: str | None) -> int:
    from bot.db import migrate
    from bot.db.engine import create_engine, session_factory
    from bot.math.workers import MathPool
    from bot.study.service import StudyService

    engine = create_engine(url)
    try:
        with MathPool(workers=1) as pool:
            service = StudyService(session_factory(engine), pool)
            loaded = await migrate.prepare_database(url, then=service.sync_shipped_decks)
    finally:
        await engine.dispose()
    print(f"loaded decks: {', '.join(loaded)}")
    return 0


# --- the Discord bot -------------------------------------------------------------------------

NO_TOKEN = """No DISCORD_TOKEN is set, so the Discord bot cannot start.
Put DISCORD_TOKEN=... in a .env file (see README, "Run it on Discord"), then `make run` again.
Meanwhile the engine works offline: `derivbot generate --skill chain`, `derivbot check ...`."""


CONSOLE_INSTEAD = (
    "No DISCORD_TOKEN, so this is the local console; to run the Discord bot instead, put "
    'DISCORD_TOKEN=... in .env (README, "Run it on Discord") and `make run` again.'
)


def cmd_run(args: argparse.Namespace) -> int:
    """The Discord bot; without a token, the console in its place (with --optional-token, as
    `make run` passes, or when a person is at the terminal). A service without a token and
    without the flag fails loudly instead of waiting for input nobody will type."""
    import logging

    from bot.config import get_settings

    settings = get_settings()
    if settings.discord_token is None:
        if args.optional_token or sys.stdin.isatty():
            from bot import console

            return console.main(console.Options(), note=CONSOLE_INSTEAD)
        print(NO_TOKEN)
        return 2
    import asyncio

    from bot.app import create_bot, serve
    from bot.metrics import Metrics

    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.wait_db and not _wait_for_database(settings.database_url, args.wait_db):
        return 3
    metrics = Metrics() if settings.metrics_port is not None else None
    bot = create_bot(settings, metrics=metrics)
    asyncio.run(serve(bot, settings.discord_token.get_secret_value()))
    return 0


def _wait_for_database(url: str, seconds: float) -> bool:
    """Until the database answers (a container's database may still be starting): True, or
    False after ``seconds`` with the last error printed."""
    import asyncio

    from bot.db.engine import wait_until_ready

    error = asyncio.run(wait_until_ready(url, timeout=seconds))
    if error is not None:
        print(
            f"derivbot: the database did not answer within {seconds:g} s: {error}",
            file=sys.stderr,
        )
        return False
    return True


def cmd_console(args: argparse.Namespace) -> int:
    from bot import console

    if args.count < 1:
        print("derivbot console: --count must be at least 1", file=sys.stderr)
        return 2
    if args.level is not None and not args.quiz:
        print("derivbot console: --level goes with --quiz SKILL", file=sys.stderr)
        return 2
    if args.quiz:
        from bot.math.generator import SKILLS

        if args.quiz not in SKILLS:
            print(
                f"derivbot console: unknown skill {args.quiz!r}; see `derivbot skills`",
                file=sys.stderr,
            )
            return 2
        if args.level is not None and not 1 <= args.level <= SKILLS[args.quiz].levels:
            print(f"derivbot console: level must be 1-{SKILLS[args.quiz].levels}", file=sys.stderr)
            return 2
    options = console.Options(
        user=args.user,
        quiz=args.quiz,
        level=args.level,
        count=args.count,
        review=args.review,
        open_images=args.open,
        images=Path(args.images) if args.images else None,
        seed=args.seed,
    )
    return console.main(options)


def cmd_sync(args: argparse.Namespace) -> int:
    """Publish the slash commands globally (Discord takes up to an hour to show them); the
    bot does not do this on every start, only to DEV_GUILD_ID."""
    import asyncio

    from bot.app import create_bot
    from bot.config import get_settings

    settings = get_settings()
    if settings.discord_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2

    async def sync() -> int:
        bot = create_bot(settings, sync_on_start=False)
        async with bot:
            await bot.login(settings.discord_token.get_secret_value())  # runs setup_hook
            synced = await bot.tree.sync()
        print(f"synced {len(synced)} commands globally: {', '.join(c.name for c in synced)}")
        return 0

    return asyncio.run(sync())


# --- wiring ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="derivbot",
        description="derivbot: differentiation practice with answers checked by sympy.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_engine_commands(sub)
    _add_front_end_commands(sub)
    _add_database_commands(sub)
    from bot.ops import classreport, dbcopy, reminders

    reminders.add_parser(sub)
    dbcopy.add_parser(sub)
    classreport.add_parser(sub)
    return parser


def _add_engine_commands(sub: argparse._SubParsersAction) -> None:
    """check, skills, generate, render: the math engine, no database."""
    check = sub.add_parser("check", help="check answers against expected derivatives")
    check.add_argument("expected", nargs="?", help="the right derivative (trusted)")
    check.add_argument("answer", nargs="?", help="the answer to check")
    check.add_argument("--jsonl", metavar="FILE", help="check one JSON object per line (- = stdin)")
    check.add_argument("--function", help="the function that was differentiated (names mistakes)")
    check.add_argument(
        "--var",
        default=None,
        help="the variable (default x); with --vars, the one a partial derivative is taken in",
    )
    check.add_argument(
        "--vars",
        metavar="X,Y",
        help="the variables of a problem in several variables (EXPECTED may be a vector)",
    )
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    check.add_argument(
        "--kind",
        choices=["value", "tangent"],
        help="what is asked of EXPECTED (the derivative) at --at: its value, or the tangent line",
    )
    check.add_argument("--at", metavar="A", help="the point for --kind (a number, e.g. 3 or pi/4)")
    check.add_argument(
        "--timeout",
        type=_positive_float,
        default=CHECK_TIMEOUT,
        help=f"seconds one check may take (default {CHECK_TIMEOUT:g})",
    )
    check.add_argument(
        "--max-tasks",
        type=_non_negative_int,
        default=None,
        metavar="N",
        help="replace each worker process after N checks (default: the pool's)",
    )
    check.set_defaults(handler=cmd_check)

    skills = sub.add_parser("skills", help="list the skills problems are generated for")
    skills.add_argument("--json", action="store_true")
    skills.set_defaults(handler=cmd_skills)

    gen = sub.add_parser("generate", help="generate problems with answers and worked steps")
    gen.add_argument("--skill", required=True)
    gen.add_argument("--level", type=int, default=1)
    gen.add_argument("--count", type=int, default=1)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--jsonl", action="store_true", help="one JSON object per line")
    gen.set_defaults(handler=cmd_generate)

    render = sub.add_parser("render", help="render LaTeX (or a tangent-line picture) to PNG")
    render.add_argument("--latex", help="math-mode LaTeX, without $")
    render.add_argument("--tangent", metavar="FUNCTION", help="plot FUNCTION and its tangent")
    render.add_argument("--at", type=float, default=1.0, help="where the tangent touches")
    render.add_argument("--var", default="x")
    render.add_argument("-o", "--output", required=True, metavar="FILE.png")
    render.add_argument("--theme", choices=("dark", "light"), default="dark")
    render.set_defaults(handler=cmd_render)


def _add_front_end_commands(sub: argparse._SubParsersAction) -> None:
    """run, console, sync: the two front-ends."""
    run = sub.add_parser(
        "run", help="start the Discord bot (without DISCORD_TOKEN: the local console)"
    )
    run.add_argument(
        "--optional-token",
        action="store_true",
        help="without a token, open the console even when stdin is not a terminal",
    )
    run.add_argument(
        "--wait-db",
        type=_positive_float,
        default=0.0,
        metavar="SECONDS",
        help="first wait up to SECONDS for the database to answer (containers)",
    )
    run.set_defaults(handler=cmd_run)
    _add_console_command(sub)
    sync = sub.add_parser("sync", help="publish the slash commands globally")
    sync.set_defaults(handler=cmd_sync)


def _add_console_command(sub: argparse._SubParsersAction) -> None:
    con = sub.add_parser(
        "console",
        help="study in the terminal: quiz, review, stats, ...",
        description="Study in the terminal, on the same database as the Discord bot. Without "
        "--quiz or --review it opens a menu (type help). When stdin is not a terminal it reads "
        "one line per prompt, so sessions can be scripted; while answering, `hint`, "
        "`solution` (or `skip`) and `quit` do what the buttons do on Discord.",
    )
    con.add_argument("--user", metavar="NAME", help="who is studying (default: your login)")
    con.add_argument(
        "--quiz",
        nargs="?",
        const="",
        metavar="SKILL",
        help="a quiz, then exit (no SKILL: the most due one)",
    )
    con.add_argument("--level", type=int, help="with --quiz SKILL: its level (default 1)")
    con.add_argument("--count", type=int, default=10, help="problems in the quiz (default 10)")
    con.add_argument("--review", action="store_true", help="review what is due, then exit")
    con.add_argument("--open", action="store_true", help="open images in the system viewer")
    con.add_argument("--images", metavar="DIR", help="where images go (./derivbot-images)")
    con.add_argument("--seed", type=int, help=argparse.SUPPRESS)  # fixed problems for scripts
    con.set_defaults(handler=cmd_console)


def _add_database_commands(sub: argparse._SubParsersAction) -> None:
    """migrate, deck, class: the schema, the shipped decks, a server's class report."""
    migrate = sub.add_parser("migrate", help="upgrade the database schema (Alembic)")
    migrate.add_argument("--url", help="database URL (default: DATABASE_URL / settings)")
    migrate.add_argument("--revision", default="head")
    migrate.add_argument("--down", metavar="REVISION", help="downgrade to REVISION (e.g. base)")
    migrate.add_argument(
        "--check", action="store_true", help="fail if models and migrations differ"
    )
    migrate.set_defaults(handler=cmd_migrate)

    deck = sub.add_parser("deck", help="flashcard decks")
    deck_sub = deck.add_subparsers(dest="deck_command", metavar="COMMAND")
    validate = deck_sub.add_parser("validate", help="check deck files: schema, ids, LaTeX, answers")
    validate.add_argument("path", nargs="?", help="a deck file or folder (default: cards/)")
    validate.add_argument("--no-render", action="store_true", help="skip rendering the LaTeX")
    deck_sync = deck_sub.add_parser("sync", help="load the shipped decks into the database")
    deck_sync.add_argument("--url", help="database URL (default: DATABASE_URL / settings)")
    deck.set_defaults(handler=cmd_deck)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except BrokenPipeError:  # `derivbot generate ... | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
