"""Thousands of values in one query parameter (roster imports' lookups).

Django writes ``field__in=[...]`` as one placeholder per value, each compiled and sent on its own;
one array parameter costs a fraction of that once there are thousands, and PostgreSQL, which sees
how long the array is, still plans the lookup by index.
"""

from collections.abc import Iterable

from django.db.models.expressions import RawSQL

_TYPES = {"text", "bigint"}


def one_of(values: Iterable, sql_type: str = "text") -> RawSQL:
    """For ``field__in=one_of(values)``: the values as ``SELECT unnest(array)`` of ``sql_type``
    (text or bigint)."""
    if sql_type not in _TYPES:
        raise ValueError(f"one_of takes {', '.join(sorted(_TYPES))} values")
    # The type is one of _TYPES; the values are a parameter.
    return RawSQL(f"SELECT unnest(%s::{sql_type}[])", [list(values)])  # noqa: S611


# --- Rows of a service's own statement, as model instances -----------------------------------------


def columns_of(model, alias: str | None = None) -> str:
    """Every column of ``model``'s table, qualified by ``alias`` if given, in the order
    ``model_from_row`` reads them (for a statement that returns whole rows: ``RETURNING``, a
    ``SELECT … FOR UPDATE``)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{field.column}" for field in model._meta.concrete_fields)


def model_from_row(model, row):
    """The instance of ``model`` a row of ``columns_of(model, …)`` describes, as if the ORM had
    read it (``Model.from_db``)."""
    return model.from_db("default", [field.attname for field in model._meta.concrete_fields], row)


def compact(sql: str) -> str:
    """``sql`` without its ``--`` comments and with its whitespace collapsed, for a long statement
    run on every request: psycopg converts a statement's placeholders once and keeps the result
    only for statements up to 4 KB (``psycopg._queries.MAX_CACHED_STATEMENT_LENGTH``); longer
    ones are parsed again on every call. (No ``--`` may stand inside a string literal.)"""
    lines = (line.split("--", 1)[0] for line in sql.splitlines())
    return " ".join(" ".join(lines).split())
