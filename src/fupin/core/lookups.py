"""`field__any=[...]`: the rows whose field is one of many values, for look-ups of thousands.

On PostgreSQL it is `field = ANY('{...}')`, the list sent as ONE array literal
(fupin.core.pgarray). `field__in=` of 10,000 values costs far more on the client than on the
server: the ORM prepares each value, psycopg's client-side binding quotes each one in Python and
parses a query of 10,000 placeholders (about 10 % of the Python time of a 130,000-household
re-import). Other databases get the IN list `__in` would give.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup

from fupin.core.pgarray import array_literal


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        prep = self.lhs.output_field.get_prep_value
        return [prep(v) for v in dict.fromkeys(self.rhs)]  # once each, in the caller's order

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = self.rhs
        if not values:
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, array_literal(values)]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # household_id__any: relations keep lookups of their own
