"""Our own grammar for what students type.

User text is hostile, so it never reaches ``eval``/``sympify``/``parse_expr``: a tokenizer and a
small recursive-descent parser build sympy expressions from a whitelist of constructors, with
hard limits on length, depth, size and number magnitude checked *before* sympy evaluates
anything. The grammar is forgiving in the ways students write maths (implicit products,
``sin x``, ``sin^2 x``, unicode superscripts, a LaTeX subset) and strict everywhere else.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from bot.math.limits import (
    MAX_DECIMAL_DIGITS,
    MAX_DEPTH,
    MAX_INTEGER,
    MAX_LENGTH,
    MAX_NODES,
    MAX_POWER_NESTING,
    guard_numeric_power,
    power_nesting,
)
from bot.math.tokens import (
    ALIASES,
    BRACKETS,
    CONSTANTS,
    FUNCTIONS,
    INVERSES,
    PREFIX,
    ROOTS,
    VULGAR,
    ParseError,
    Tok,
    normalise,
    split_name,
    tokenize,
)

__all__ = [
    "ALIASES",
    "CONSTANTS",
    "FUNCTIONS",
    "INVERSES",
    "ParseError",
    "Reading",
    "parse",
    "parse_line",
    "plain",
    "read",
]


@dataclass(frozen=True)
class Reading:
    """A parsed answer and the canonical way to show it back ("I read your answer as …")."""

    expr: sp.Expr
    text: str
    notes: tuple[str, ...] = ()
    decimals: bool = False  # typed with decimal numbers (perhaps a rounded exact value)
    # `3/4x` is read as 3/(4x); the other natural reading, (3/4)x, and the student's text with
    # the brackets that say it: a checker tells the student when that one would be right
    alternative: sp.Expr | None = None
    alternative_text: str | None = None

    @functools.cached_property
    def latex(self) -> str:
        """Made on demand: printing LaTeX costs as much as checking, and most replies are text."""
        return sp.latex(self.expr)


# --- parser --------------------------------------------------------------------------------


class _Parser:
    """`split_division` reads `a/bc` as (a/b)·c instead of a/(bc): the other reading, made
    only to tell the student about it. `others`: further variables (a line's y)."""

    def __init__(
        self,
        toks: list[Tok],
        text: str,
        var: sp.Symbol,
        *,
        split_division: bool = False,
        others: tuple[str, ...] = (),
    ) -> None:
        self.toks = toks
        self.text = text
        self.i = 0
        self.var = var
        self.var_name = var.name
        self.others = {name: sp.Symbol(name) for name in others}
        self.depth = 0
        self.nodes = 0
        self.abs_depth = 0
        self.notes: list[str] = []
        self.decimals = False
        self.split_division = split_division
        self.divided_product = False  # `a/bc` was read: the other reading may differ
        self.brackets: list[tuple[int, int]] = []  # where the other reading puts brackets

    # helpers
    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def advance(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def at(self, kind: str, value: str | None = None) -> bool:
        t = self.tok
        return t.kind == kind and (value is None or t.value == value)

    def node(self) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ParseError(f"that expression is too long to check (over {MAX_NODES} parts)")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"too deeply nested (more than {MAX_DEPTH} levels)", self.tok.pos)

    def leave(self) -> None:
        self.depth -= 1

    # grammar
    def parse(self) -> sp.Expr:
        if self.at("eof"):
            raise ParseError("the answer is empty")
        expr = self.sum()
        if not self.at("eof"):
            t = self.tok
            if t.kind == "rp":
                raise ParseError(f"`{t.value}` has no matching opening bracket", t.pos)
            if t.kind == "pipe":
                raise ParseError("`|` has no matching opening `|`", t.pos)
            raise ParseError(f"unexpected `{t.value}`", t.pos)
        return expr

    def sum(self) -> sp.Expr:
        self.enter()
        terms = [self.signed_term()]
        while self.at("op", "+") or self.at("op", "-"):
            op = self.advance()
            self.expect_operand(op)
            term = self.signed_term()
            terms.append(-term if op.value == "-" else term)
            self.node()
        self.leave()
        return terms[0] if len(terms) == 1 else sp.Add(*terms)

    def expect_operand(self, op: Tok) -> None:
        t = self.tok
        if t.kind == "eof":
            raise ParseError(
                f"the answer ends with `{op.value}`; something is missing after it", op.pos
            )
        if t.kind == "rp" or t.kind == "comma" or (t.kind == "op" and t.value in "*/^"):
            raise ParseError(f"something is missing after `{op.value}`", op.pos)

    def signed_term(self) -> sp.Expr:
        if self.at("op", "-") or self.at("op", "+"):
            op = self.advance()
            self.expect_operand(op)
            self.enter()
            inner = self.signed_term()
            self.leave()
            self.node()
            return -inner if op.value == "-" else inner
        return self.term()

    def term(self) -> sp.Expr:
        start = self.tok.pos
        result = self.implicit_product()
        while self.at("op", "*") or self.at("op", "/") or self.starts_factor():
            if self.starts_factor():  # `1/2 x`: what follows a spaced divisor multiplies
                result = sp.Mul(result, self.implicit_product())
                self.node()
                continue
            op = self.advance()
            self.expect_operand(op)
            right = self.signed_factor(after_division=op.value == "/")
            split = self.split_division and op.value == "/" and self.starts_factor()
            if split and not self.tok.space_before:  # `a/bc` read as (a/b)c: bracket `a/b`
                self.brackets.append((start, self.tok.pos))
            self.node()
            if op.value == "*":
                result = sp.Mul(result, right)
            else:
                if right == 0:
                    raise ParseError("division by zero", op.pos)
                result = sp.Mul(result, sp.Pow(right, -1))
        return result

    def signed_factor(self, *, after_division: bool) -> sp.Expr:
        """`2*-x` and `1/-x`: a sign right after an explicit operator belongs to the factor."""
        if self.at("op", "-") or self.at("op", "+"):
            op = self.advance()
            self.expect_operand(op)
            self.enter()
            inner = self.signed_factor(after_division=after_division)
            self.leave()
            return -inner if op.value == "-" else inner
        return self.implicit_product(after_division=after_division)

    def starts_factor(self) -> bool:
        t = self.tok
        if t.kind in ("num", "name", "sup", "sqrtsym", "frac", "sqrt"):
            return t.kind != "sup"
        if t.kind == "lp":
            return True
        if t.kind == "pipe":
            return self.abs_depth == 0
        return t.kind == "lpipe"

    def implicit_product(
        self,
        *,
        after_division: bool = False,
        stop_at_function: bool = False,
        tight: bool = False,
    ) -> sp.Expr:
        """Juxtaposed factors: `2x sin x` is a product.

        After `/`, and inside an exponent, only factors written *without* a space stay
        together: `1/2x` is 1/(2x) and `e^-5x` is e^(-5x), as on most calculators, while
        `1/2 x^(1/2)` is (1/2)·x^(1/2) and `e^-5x cos 3x` is e^(-5x)·cos(3x).
        """
        first_tok = self.tok
        tight = tight or after_division
        factors = [self.power()]
        while self.starts_factor():
            if tight and self.tok.space_before:
                break
            if after_division and self.split_division:
                break
            if stop_at_function and self.at("name") and self.is_function_start():
                break
            previous = self.toks[self.i - 1]
            if self.at("num") and previous.kind == "num" and factors[-1].is_Number:
                # `1 980`, `1.2.3`: a typo or a thousands separator, never silently a product
                raise ParseError(
                    "two numbers in a row; write one number, or * between them", self.tok.pos
                )
            if self.at("num") and not self.tok.space_before and previous.kind == "name":
                written = self.text[previous.pos : self.tok.pos + len(self.tok.value)]
                raise ParseError(
                    f"`{written}` is ambiguous; write a power as x^3, a product as 3x or 3*x",
                    self.tok.pos,
                )
            factors.append(self.power())
            self.node()
        if len(factors) == 1:
            return factors[0]
        if after_division:
            self.divided_product = True
            self.notes.append(
                f"I read `/{self.text[first_tok.pos : self.tok.pos].strip()}` as dividing by the "
                "whole product; use brackets if you meant otherwise"
            )
        return sp.Mul(*factors)

    def split(self, t: Tok) -> list[str]:
        return split_name(t, self.var_name, self.notes, tuple(self.others))

    def is_function_start(self) -> bool:
        parts = self.split(self.tok)
        return parts[0] in FUNCTIONS

    def power(self) -> sp.Expr:
        self.enter()
        base_tok = self.tok
        base = self.postfix()
        result = base
        if self.at("op", "^"):
            op = self.advance()
            self.expect_operand(op)
            exponent = self.exponent(base_tok)
            result = self.make_pow(base, exponent, op.pos)
        self.leave()
        return result

    def exponent(self, base_tok: Tok) -> sp.Expr:
        """The exponent after `^`: a signed factor; `e^2x` and `e^-3x` take the whole `2x`."""
        sign = 1
        if self.at("op", "-") or self.at("op", "+"):
            if self.advance().value == "-":
                sign = -1
            if self.at("eof"):
                raise ParseError("the exponent is missing", self.tok.pos)
        start = self.tok
        exp = self.power()
        if (
            start.kind == "num"
            and self.at("name")
            and not self.tok.space_before
            and self.split(self.tok)[0] in (self.var_name,)
        ):
            # only the variable itself joins (`e^2x`, `e^-5x`): `e^-5x(…)` and `e^2x sin x`
            # keep their bracket or function outside the exponent
            more = self.power()
            last = self.toks[self.i - 1]
            written = self.text[start.pos : last.pos + len(last.value)]
            if sign < 0:
                written = "-" + written
            self.notes.append(f"I read the exponent `{written}` as a whole: ^({written})")
            exp = sp.Mul(exp, more)
        return -exp if sign < 0 else exp

    def postfix(self) -> sp.Expr:
        expr = self.primary()
        while self.at("sup"):
            t = self.advance()
            expr = self.make_pow(expr, self.superscript_value(t), t.pos)
        return expr

    def superscript_value(self, t: Tok) -> sp.Expr:
        m = re.fullmatch(r"([+-]?)(\d+)", t.value)
        if not m:  # eˣ, e²ˣ⁺¹: read the raised text as an exponent, within the same limits
            return self.raised(t)
        value = self.integer(m.group(2), t.pos)
        return -value if m.group(1) == "-" else value

    def raised(self, t: Tok) -> sp.Expr:
        text = " " * t.pos + t.value  # superscripts map one-for-one: positions stay the input's
        inner = _Parser(tokenize(text), text, self.var, others=tuple(self.others))
        inner.depth, inner.nodes = self.depth, self.nodes
        value = inner.parse()
        self.nodes = inner.nodes
        self.notes.extend(inner.notes)
        self.decimals = self.decimals or inner.decimals
        return value

    def integer(self, digits: str, pos: int) -> sp.Integer:
        if len(digits) > 13 or int(digits) > MAX_INTEGER:
            raise ParseError("that number is too large (the limit is 10^12)", pos)
        return sp.Integer(int(digits))

    def primary(self) -> sp.Expr:
        t = self.tok
        self.node()
        if t.kind == "num":
            self.advance()
            return self.number(t)
        if t.kind == "name":
            return self.name()
        if t.kind == "lp":
            return self.group()
        if (t.kind == "pipe" and self.abs_depth == 0) or t.kind == "lpipe":
            return self.absolute()
        if t.kind == "sqrtsym":
            self.advance()
            if self.at("eof"):
                raise ParseError(f"`{t.value}` needs something after it", t.pos)
            index = ROOTS[t.value]
            if index == 2:
                return sp.sqrt(self.postfix())
            return self.make_pow(self.postfix(), sp.Rational(1, index), t.pos)
        if t.kind == "sqrt":
            return self.latex_sqrt()
        if t.kind == "frac":
            return self.latex_frac()
        if t.kind == "eof":
            raise ParseError("the answer ends too early; something is missing", t.pos)
        if t.kind == "rp":
            raise ParseError(f"`{t.value}` has no matching opening bracket", t.pos)
        if t.kind == "pipe":
            raise ParseError("`|` has nothing inside it", t.pos)
        if t.kind == "sup":
            raise ParseError("a superscript needs something before it", t.pos)
        if t.kind == "comma":
            raise ParseError("unexpected `,`", t.pos)
        if t.kind == "under":
            raise ParseError("unexpected `_`", t.pos)
        raise ParseError(f"something is missing before `{t.value}`", t.pos)

    def number(self, t: Tok) -> sp.Expr:
        if t.value in VULGAR:
            part = VULGAR[t.value]
            return sp.Rational(part.numerator, part.denominator)
        text = t.value.rstrip(".") if t.value.endswith(".") else t.value
        if "." not in text:
            return self.integer(text, t.pos)
        self.decimals = True
        whole, frac = text.split(".")
        if len((whole + frac).lstrip("0")) > MAX_DECIMAL_DIGITS:
            raise ParseError("that number has too many digits", t.pos)
        value = Fraction(int(whole or "0") * 10 ** len(frac) + int(frac), 10 ** len(frac))
        return sp.Rational(value.numerator, value.denominator)

    def group(self) -> sp.Expr:
        open_tok = self.advance()
        saved_abs = self.abs_depth
        self.abs_depth = 0
        if self.at("rp"):
            raise ParseError("empty brackets", open_tok.pos)
        inner = self.sum()
        self.abs_depth = saved_abs
        self.close(open_tok)
        return inner

    def close(self, open_tok: Tok) -> None:
        want = BRACKETS[open_tok.value]
        t = self.tok
        if t.kind == "rp" and t.value == want:
            self.advance()
            return
        if t.kind == "rp":
            raise ParseError(
                f"`{open_tok.value}` is closed by `{t.value}`; expected `{want}`", t.pos
            )
        if t.kind == "eof":
            raise ParseError(f"`{open_tok.value}` is never closed; add `{want}`", open_tok.pos)
        raise ParseError(f"expected `{want}` to close `{open_tok.value}`", t.pos)

    def absolute(self) -> sp.Expr:
        open_tok = self.advance()
        self.abs_depth += 1
        if self.at("pipe"):
            raise ParseError("`| |` has nothing inside it", open_tok.pos)
        inner = self.sum()
        self.abs_depth -= 1
        if not self.at("pipe"):
            raise ParseError("`|` is never closed; add another `|`", open_tok.pos)
        self.advance()
        return sp.Abs(inner)

    def brace_arg(self, what: str, cmd: Tok) -> sp.Expr:
        if self.at("lp", "{"):
            return self.group()
        t = self.tok
        if t.kind == "num" and len(t.value) >= 1:
            # \frac12 means 1/2: one digit per argument
            self.advance()
            if len(t.value) > 1 and t.value.isdigit():
                rest = Tok("num", t.value[1:], t.pos + 1)
                self.toks.insert(self.i, rest)
                return sp.Integer(int(t.value[0]))
            return self.number(t)
        if t.kind == "name":
            return self.postfix()
        raise ParseError(f"`\\{cmd.value}` needs {what} in braces", cmd.pos)

    def latex_frac(self) -> sp.Expr:
        cmd = self.advance()
        num = self.brace_arg("a numerator", cmd)
        den = self.brace_arg("a denominator", cmd)
        if den == 0:
            raise ParseError("division by zero", cmd.pos)
        return sp.Mul(num, sp.Pow(den, -1))

    def latex_sqrt(self) -> sp.Expr:
        cmd = self.advance()
        index: sp.Expr = sp.Integer(2)
        if self.at("lp", "["):
            index = self.group()
            if not (index.is_Integer and 2 <= int(index) <= 100):
                raise ParseError("the root index must be a whole number from 2 to 100", cmd.pos)
        arg = self.brace_arg("its argument", cmd)
        if index == 2:
            return sp.sqrt(arg)
        return self.make_pow(arg, sp.Rational(1, int(index)), cmd.pos)

    # names: variables, constants, functions, and letter runs like `xsin` or `cosx`
    def name(self) -> sp.Expr:
        t = self.advance()
        parts = self.split(t)
        if len(parts) > 1:
            # put the pieces back as separate tokens so functions inside the run take arguments
            offset = t.pos
            pieces = []
            for k, p in enumerate(parts):
                pieces.append(Tok("name", p, offset, t.space_before if k == 0 else False))
                offset += len(p)
            self.toks[self.i - 1 : self.i] = pieces
            self.i -= 1
            t = self.advance()
            parts = [t.value]
        word = parts[0]
        if word == self.var_name:
            return self.var
        if word in self.others:
            return self.others[word]
        if word in CONSTANTS:
            return CONSTANTS[word]
        return self.function(word, t)

    def function(self, word: str, t: Tok) -> sp.Expr:
        power: sp.Expr | None = None
        base: sp.Expr | None = None
        # log_2(x), log_{10} x, log10(x), log2 x
        if word == "log" and self.at("under"):
            self.advance()
            base = self.group() if self.at("lp") else self.primary()
        elif (
            word == "log"
            and self.at("num")
            and not self.tok.space_before
            and self.tok.value
            in (
                "2",
                "10",
            )
        ):
            base = sp.Integer(int(self.advance().value))
        # sin^2 x, sin^{-1}(x), sin²x, sin⁻¹ x
        if self.at("op", "^") or self.at("sup"):
            power = self.function_power(word)
            if power == -1:
                if word not in INVERSES:
                    raise ParseError(
                        f"`{word}^-1` is ambiguous; write 1/{word}(…) or the inverse function",
                        t.pos,
                    )
                self.notes.append(
                    f"I read `{word}^-1` as the inverse function {INVERSES[word]}, not 1/{word}"
                )
                word = INVERSES[word]
                power = None
        arg = self.function_argument(word, t)
        if base is not None:
            if base.is_number and (base <= 0 or base == 1):
                raise ParseError("a logarithm's base must be positive and not 1", t.pos)
            result = sp.log(arg, base)
        elif isinstance(arg, tuple):
            if word not in ("log", "ln"):
                raise ParseError(f"`{word}` takes one argument", t.pos)
            value, b = arg
            if b.is_number and (b <= 0 or b == 1):
                raise ParseError("a logarithm's base must be positive and not 1", t.pos)
            result = sp.log(value, b)
        else:
            result = FUNCTIONS[word](arg)
        if power is not None:
            result = self.make_pow(result, power, t.pos)
        return result

    def function_power(self, word: str) -> sp.Expr:
        if self.at("sup"):
            t = self.advance()
            return self.superscript_value(t)
        op = self.advance()
        self.expect_operand(op)
        if self.at("lp"):
            value = self.group()
        else:
            sign = -1 if self.at("op", "-") else 1
            if self.at("op", "-") or self.at("op", "+"):
                self.advance()
            if not self.at("num"):
                raise ParseError(
                    f"write a number after `{word}^` (like {word}^2 x), or use brackets",
                    op.pos,
                )
            value = sign * self.number(self.advance())
        return value

    def function_argument(self, word: str, t: Tok) -> sp.Expr | tuple[sp.Expr, sp.Expr]:
        if self.at("lp") and self.tok.value in "([{":
            open_tok = self.advance()
            saved_abs = self.abs_depth
            self.abs_depth = 0
            if self.at("rp"):
                raise ParseError(f"`{word}()` has nothing inside the brackets", open_tok.pos)
            inner = self.sum()
            second = None
            if self.at("comma"):
                self.advance()
                second = self.sum()
            self.abs_depth = saved_abs
            self.close(open_tok)
            return inner if second is None else (inner, second)
        if self.at("eof") or self.at("op") or self.at("rp") or self.at("comma"):
            raise ParseError(f"`{word}` needs an argument, like {word}(x)", t.pos)
        # `sin 3x` is sin(3x); `2 sin x cos x` stops the argument at the next function
        self.enter()
        arg = self.implicit_product(stop_at_function=True)
        self.leave()
        return arg

    def make_pow(self, base: sp.Expr, exponent: sp.Expr, pos: int) -> sp.Expr:
        """Refuse powers whose exact value would explode, before sympy tries to compute them."""
        if base.is_number and exponent.is_number:
            guard_numeric_power(base, exponent, pos)
        if exponent.is_Integer and abs(int(exponent)) > 10**6:
            raise ParseError("that exponent is too large to check", pos)
        depth = power_nesting(exponent) + 1
        if depth > MAX_POWER_NESTING:
            raise ParseError("that tower of exponents is too tall to check", pos)
        if base == 0 and exponent.is_number and exponent.is_negative:
            raise ParseError("division by zero", pos)
        return sp.Pow(base, exponent)


# A sentence's full stop, and the `$…$` or `$$…$$` Discord users put around maths.
_WRAPPED = re.compile(r"\s*(\$\$?)(.*?)(\$\$?)\s*", re.DOTALL)


def _unwrap(text: str) -> str:
    """Blank out a final full stop and `$…$` around the answer (spaces keep positions)."""
    for _ in range(2):  # `$cos x.$` and `$cos x$.`
        end = len(text.rstrip())
        if end and text[end - 1] == "." and not text[: end - 1].rstrip().endswith("."):
            text = text[: end - 1] + " " + text[end:]
        m = _WRAPPED.fullmatch(text)
        if m and m.group(1) == m.group(3) and m.group(2).strip():
            text = (
                text[: m.start(1)]
                + " " * len(m.group(1))
                + m.group(2)
                + " " * len(m.group(3))
                + text[m.end(3) :]
            )
    return text


def _prepared(text: str) -> str:
    """The text as the grammar reads it: checked, look-alikes mapped, wrappers blanked."""
    if not isinstance(text, str):
        raise ParseError("the answer must be text")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the answer is too long (at most {MAX_LENGTH} characters)")
    return _unwrap(normalise(text))


def _without_label(normal: str, var: str) -> str:
    prefix = PREFIX.match(normal)
    if prefix and prefix.group(0).rstrip("= ").strip() == var:
        prefix = None  # "x = 2" is an equation, not a label in front of an answer
    if prefix:
        normal = " " * prefix.end() + normal[prefix.end() :]
    if not normal.strip():
        raise ParseError("the answer is empty")
    return normal


def _run(parser: _Parser) -> sp.Expr:
    try:
        expr = parser.parse()
    except RecursionError:
        raise ParseError(f"too deeply nested (more than {MAX_DEPTH} levels)") from None
    except (OverflowError, MemoryError):
        raise ParseError("that number is too large to check") from None
    return _real(expr)


def _real(expr: sp.Expr) -> sp.Expr:
    if expr.has(sp.I):
        raise ParseError(
            "that is not a real number anywhere (a square root or log of a negative constant)"
        )
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ParseError("that expression is undefined (it divides by zero)")
    return expr


def _read(text: str, var: str) -> tuple[sp.Expr, _Parser]:
    normal = _without_label(_prepared(text), var)
    parser = _Parser(tokenize(normal), normal, sp.Symbol(var))
    return _run(parser), parser


def _other_reading(normal: str, var: str, expr: sp.Expr) -> tuple[sp.Expr, str] | None:
    """`3/4x` read as (3/4)x, and the text with brackets saying so; None if it is the same."""
    parser = _Parser(tokenize(normal), normal, sp.Symbol(var), split_division=True)
    try:
        other = _run(parser)
    except ParseError:
        return None
    if other == expr or not parser.brackets:
        return None
    marks = [(start, "(") for start, _ in parser.brackets]
    marks += [(end, ")") for _, end in parser.brackets]
    shown = normal
    for pos, mark in sorted(marks, reverse=True):
        shown = shown[:pos] + mark + shown[pos:]
    return other, shown.strip()


def parse(text: str, var: str = "x") -> Reading:
    """Read a student's answer; raises ParseError with a friendly message and position."""
    expr, parser = _read(text, var)
    other = _other_reading(parser.text, var, expr) if parser.divided_product else None
    return Reading(
        expr=expr,
        text=plain(expr),
        notes=tuple(parser.notes),
        decimals=parser.decimals,
        alternative=other[0] if other else None,
        alternative_text=other[1] if other else None,
    )


def parse_line(text: str, var: str = "x", solve_for: str = "y") -> Reading:
    """Read a line as an expression in `var` (`6x - 9`, `y = 6x - 9`) or as an equation in
    `var` and `solve_for`, linear in `solve_for` (`y - 9 = 6(x - 3)`, `6x - y = 9`), which is
    solved for it: what a tangent-line answer may look like."""
    normal = _prepared(text)
    equals = [k for k, ch in enumerate(normal) if ch == "="]
    if not equals:
        return parse(text, var)
    if len(equals) > 1:
        raise ParseError("a line is one equation: write it with one `=`", equals[1])
    k = equals[0]
    if re.match(rf"\s*[A-Za-z]\s*\(\s*{re.escape(var)}\s*\)\s*=", normal):  # `y(x) = …`, a label
        return parse(text, var)
    y = sp.Symbol(solve_for)
    others = (solve_for,) if solve_for != var else ()
    left_text = normal[:k]
    try:
        if not left_text.strip():
            raise ParseError("nothing before `=`", k)
        left = _Parser(tokenize(left_text), left_text, sp.Symbol(var), others=others)
        lhs = _run(left)
    except ParseError:
        if PREFIX.match(normal):  # a label: `f(x) = 6x - 9`, `y' = …`, `= 6x - 9`
            return parse(text, var)
        raise
    right_text = " " * (k + 1) + normal[k + 1 :]
    if not right_text.strip():
        raise ParseError("nothing after `=`", k)
    right = _Parser(tokenize(right_text), right_text, sp.Symbol(var), others=others)
    right.nodes = left.nodes
    rhs = _run(right)
    equation = sp.Add(lhs, -rhs)
    if not equation.has(y):
        raise ParseError(
            f"a line is an equation in {var} and {solve_for}, like {solve_for} = m·{var} + b; "
            f"this one has no {solve_for}"
        )
    slope = sp.diff(equation, y)
    if slope.has(y) or slope == 0:
        raise ParseError(
            f"I can't solve that for {solve_for}; write the line as {solve_for} = m·{var} + b"
        )
    solved = _real(-equation.subs(y, 0) / slope)
    notes = [*left.notes, *right.notes]
    if lhs != y or rhs.has(y):
        notes.append(f"I solved your equation for {solve_for}: {solve_for} = {plain(solved)}")
    return Reading(
        expr=solved,
        text=plain(solved),
        notes=tuple(notes),
        decimals=left.decimals or right.decimals,
    )


def read(text: str, var: str = "x") -> sp.Expr:
    """What `parse` reads, without the text shown back to a student (printing it costs half as
    much as reading): for trusted texts read in bulk, such as a deck's typed answers."""
    return _read(text, var)[0]


def plain(expr: sp.Expr) -> str:
    """The plain-text reading students see: `^` for powers and `·` for products."""
    return sp.sstr(expr).replace("**", "^").replace("*", "·")
