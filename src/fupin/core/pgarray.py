"""One PostgreSQL array parameter written as its text literal.

Django's PostgreSQL cursors bind parameters on the client (psycopg's ClientCursor), and psycopg
quotes a Python list element by element in Python: about 4 µs an element, which for the
registry import's look-ups of 400,000 ID numbers was several seconds of CPU. The literal
'{"a","b"}' is one string, quoted once by libpq; PostgreSQL gives it the type of the column it is
compared with (`col = ANY(%s)`), so the same literal serves text and integer columns.
"""

from __future__ import annotations


def array_literal(values) -> str:
    """The array literal of `values` (strings or integers), each element double-quoted; backslash
    and double quote escaped as the array input syntax asks. None is not allowed (use a filter)."""
    items = [v if type(v) is str else _element(v) for v in values]
    joined = '","'.join(items)
    if "\\" in joined or joined.count('"') != 2 * max(len(items) - 1, 0):
        # an element holds a quote or a backslash: escape each one
        joined = '","'.join(s.replace("\\", "\\\\").replace('"', '\\"') for s in items)
    return '{"' + joined + '"}' if items else "{}"


def _element(v) -> str:
    if v is None or isinstance(v, bytes):
        raise TypeError(f"array_literal: {v!r} is not a string or a number")
    return str(v)
