"""The recursive-descent grammar behind `bot.math.parser`: tokens in, a sympy expression out.

Only whitelisted sympy constructors are called, and every limit (depth, size, number magnitude,
power nesting) is checked before sympy evaluates anything: user text is hostile (see
`bot.math.parser` for the public entry points).
"""

from __future__ import annotations

import re
from fractions import Fraction

import sympy as sp

from bot.math.limits import (
    MAX_DECIMAL_DIGITS,
    MAX_DEPTH,
    MAX_INTEGER,
    MAX_NODES,
    MAX_POWER_NESTING,
    guard_numeric_power,
    power_nesting,
)
from bot.math.tokens import (
    BRACKETS,
    CONSTANTS,
    FUNCTIONS,
    INVERSES,
    ROOTS,
    VULGAR,
    ParseError,
    Tok,
    split_name,
    tokenize,
)
from bot.math.variables import merge_indexed


class _Parser:
    """`split_division` reads `a/bc` as (a/b)·c instead of a/(bc): the other reading, made
    only to tell the student about it. `others`: further variables (a line's y); `declared`:
    the problem declared them all (several variables), so errors list them."""

    def __init__(
        self,
        toks: list[Tok],
        text: str,
        var: sp.Symbol,
        *,
        split_division: bool = False,
        others: tuple[str, ...] = (),
        declared: bool = False,
    ) -> None:
        self.toks = merge_indexed(toks, (var.name, *others)) if declared else toks
        self.text = text
        self.i = 0
        self.var = var
        self.var_name = var.name
        self.others = {name: sp.Symbol(name) for name in others}
        self.declared = declared
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
        return split_name(t, self.var_name, self.notes, tuple(self.others), declared=self.declared)

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
            exponent = self.exponent(base_tok, natural=base is sp.E)
            result = self.make_pow(base, exponent, op.pos)
        self.leave()
        return result

    def exponent(self, base_tok: Tok, *, natural: bool = False) -> sp.Expr:
        """The exponent after `^`: a signed factor; `e^2x` and `e^-3x` take the whole `2x`.
        With declared variables only e's exponent does (`e^2y`), so `x^2y^2` is x²·y²."""
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
            and (natural or not self.declared)
            and self.split(self.tok)[0] in (self.var_name, *(self.others if self.declared else ()))
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
        inner = _Parser(
            tokenize(text), text, self.var, others=tuple(self.others), declared=self.declared
        )
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
