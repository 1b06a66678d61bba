"""fupin.core.pgarray: the text literal PostgreSQL reads back as the same array."""

import pytest
from django.db import connection

from fupin.core.pgarray import array_literal
from fupin.registry.selectors import active_holders

TRICKY = ['a"b', "c\\d", '",', "{x}", "NULL", " sp ", "中文", "", "a,b", '\\"']


def test_literal_text():
    assert array_literal([]) == "{}"
    assert array_literal(["1", 2]) == '{"1","2"}'
    with pytest.raises(TypeError):
        array_literal(["a", None])


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL array input")
@pytest.mark.parametrize("values", [[], ["a"], TRICKY, ['"', '""'], [1, 2, 30000000000]])
def test_postgresql_reads_the_same_array(values):
    with connection.cursor() as c:
        c.execute("SELECT %s::text[]", [array_literal(values)])
        assert c.fetchone()[0] == [str(v) for v in values]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL array input")
def test_integer_column_takes_the_literal():
    with connection.cursor() as c:
        c.execute("SELECT 5 = ANY(%s), 6 = ANY(%s)", [array_literal([4, 5]), array_literal([4, 5])])
        assert c.fetchone() == (True, False)


@pytest.mark.django_db
def test_active_holders_with_a_quote_in_an_id_finds_nothing_and_does_not_break():
    assert active_holders(['43"', "x\\y"]) == {}
