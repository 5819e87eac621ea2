"""Parsing and evaluation of Company query bodies (select, where conditions + expression, limit, offset)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from gainsight_simulator.values import canonical, same_value

Record = dict[str, Any]
Predicate = Callable[[Record], bool]

SUPPORTED_OPERATORS = (
    "EQ",
    "NE",
    "IN",
    "CONTAINS",
    "STARTS_WITH",
    "ENDS_WITH",
    "IS_NULL",
    "IS_NOT_NULL",
)
_VALUELESS = ("IS_NULL", "IS_NOT_NULL")
_TOKEN = re.compile(r"\s*(\(|\)|[A-Za-z0-9_]+)")


class QueryError(ValueError):
    """The query body is malformed or uses something the simulator does not support."""


@dataclass
class CompanyQuery:
    select: list[str]
    predicate: Predicate
    limit: int
    offset: int

    def run(self, companies: Iterable[Record]) -> list[Record]:
        """Matching companies in storage order, paged, projected to ``select`` plus ``Gsid``."""
        matches = [company for company in companies if self.predicate(company)]
        page = matches[self.offset : self.offset + self.limit]
        return [project(company, self.select) for company in page]


def project(company: Record, select: list[str]) -> Record:
    """Selected fields (null when the company has none) plus ``Gsid``."""
    out = {name: company.get(name) for name in select}
    out["Gsid"] = company.get("Gsid")
    return out


def _text(value: Any) -> str:
    return "" if value is None else str(canonical(value))


def _condition(spec: Any, index: int) -> tuple[str, Predicate]:
    if not isinstance(spec, dict):
        raise QueryError(f"where.conditions[{index}] must be an object")
    name, alias, operator = spec.get("name"), spec.get("alias"), spec.get("operator")
    if not isinstance(name, str) or not name:
        raise QueryError(f"where.conditions[{index}].name must be a field name")
    if not isinstance(alias, str) or not re.fullmatch(r"[A-Za-z0-9_]+", alias):
        raise QueryError(f"where.conditions[{index}].alias must be a word")
    if not isinstance(operator, str) or operator.upper() not in SUPPORTED_OPERATORS:
        raise QueryError(f"where.conditions[{index}].operator {operator!r} is not supported")
    operator = operator.upper()
    values = spec.get("value")
    if operator in _VALUELESS:
        values = values if isinstance(values, list) else []
    elif not isinstance(values, list) or not values:
        raise QueryError(f"where.conditions[{index}].value must be a non-empty list")
    if any(isinstance(v, dict | list) for v in values):
        raise QueryError(f"where.conditions[{index}].value holds an object or array")
    if operator in ("EQ", "NE", "CONTAINS", "STARTS_WITH", "ENDS_WITH") and len(values) != 1:
        raise QueryError(f"where.conditions[{index}]: {operator} takes exactly one value")

    def field(company: Record) -> Any:
        return company.get(name)

    predicates: dict[str, Predicate] = {
        "EQ": lambda c: same_value(field(c), values[0]),
        "NE": lambda c: not same_value(field(c), values[0]),
        "IN": lambda c: any(same_value(field(c), v) for v in values),
        "CONTAINS": lambda c: field(c) is not None and _text(values[0]) in _text(field(c)),
        "STARTS_WITH": lambda c: field(c) is not None and _text(field(c)).startswith(_text(values[0])),
        "ENDS_WITH": lambda c: field(c) is not None and _text(field(c)).endswith(_text(values[0])),
        "IS_NULL": lambda c: field(c) is None or field(c) == "",
        "IS_NOT_NULL": lambda c: not (field(c) is None or field(c) == ""),
    }
    return alias, predicates[operator]


class _ExpressionParser:
    """expr := term (OR term)* ; term := factor (AND factor)* ; factor := alias | '(' expr ')'."""

    def __init__(self, text: str, aliases: dict[str, Predicate]) -> None:
        self.tokens = self._tokenize(text)
        self.pos = 0
        self.aliases = aliases

    @staticmethod
    def _tokenize(text: str) -> list[str]:
        tokens, pos = [], 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if not match:
                if text[pos:].strip():
                    raise QueryError(f"where.expression: unexpected text at {text[pos:]!r}")
                break
            tokens.append(match.group(1))
            pos = match.end()
        return tokens

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _next(self) -> str:
        token = self._peek()
        if token is None:
            raise QueryError("where.expression ends too early")
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        predicate = self._expr()
        if self._peek() is not None:
            raise QueryError(f"where.expression: unexpected {self._peek()!r}")
        return predicate

    def _expr(self) -> Predicate:
        parts = [self._term()]
        while (self._peek() or "").upper() == "OR":
            self._next()
            parts.append(self._term())
        return parts[0] if len(parts) == 1 else (lambda c: any(p(c) for p in parts))

    def _term(self) -> Predicate:
        parts = [self._factor()]
        while (self._peek() or "").upper() == "AND":
            self._next()
            parts.append(self._factor())
        return parts[0] if len(parts) == 1 else (lambda c: all(p(c) for p in parts))

    def _factor(self) -> Predicate:
        token = self._next()
        if token == "(":
            inner = self._expr()
            if self._next() != ")":
                raise QueryError("where.expression: missing ')'")
            return inner
        if token not in self.aliases:
            raise QueryError(f"where.expression: unknown alias {token!r}")
        return self.aliases[token]


def _where(where: Any) -> Predicate:
    if where is None:
        return lambda company: True
    if not isinstance(where, dict):
        raise QueryError("where must be an object")
    conditions = where.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        raise QueryError("where.conditions must be a non-empty list")
    aliases: dict[str, Predicate] = {}
    for index, spec in enumerate(conditions):
        alias, predicate = _condition(spec, index)
        if alias in aliases:
            raise QueryError(f"where.conditions: duplicate alias {alias!r}")
        aliases[alias] = predicate
    expression = where.get("expression")
    if expression is None or (isinstance(expression, str) and not expression.strip()):
        # Guess: without an expression all conditions are AND-ed.
        expression = " AND ".join(aliases)
    if not isinstance(expression, str):
        raise QueryError("where.expression must be a string")
    return _ExpressionParser(expression, aliases).parse()


def _bounded_int(body: dict[str, Any], name: str, default: int, low: int, high: int | None) -> int:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high and value > high):
        bound = f"{low}..{high}" if high else f">= {low}"
        raise QueryError(f"{name} must be an integer {bound}")
    return value


def parse_query(body: Any, max_limit: int = 5000) -> CompanyQuery:
    """Validate a query body; raises QueryError for anything malformed."""
    if not isinstance(body, dict):
        raise QueryError("query body must be a JSON object")
    select = body.get("select")
    if not isinstance(select, list) or not select or not all(isinstance(s, str) and s for s in select):
        raise QueryError("select must be a non-empty list of field names")
    return CompanyQuery(
        select=list(select),
        predicate=_where(body.get("where")),
        limit=_bounded_int(body, "limit", max_limit, 1, max_limit),
        offset=_bounded_int(body, "offset", 0, 0, None),
    )
