"""``field__any_of=[…]``: membership in a list of integer keys bound as one parameter.

Django's ``__in`` writes one placeholder per value, and each value passes through the field's
preparation and the driver's placeholder parsing: for a person on 1,000 accounts that cost more
than the database spent on the whole list. Here the list is one array parameter on PostgreSQL
(``= ANY(%s)``, planned with the list's exact length) and one JSON text on SQLite (``IN (SELECT
value FROM json_each(%s))``). Registered on integer and foreign-key fields (``apps.py``).
"""

import json
from typing import Any

from django.db.models import Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        keys = [int(key) for key in self.rhs]  # integer keys only: nothing else is bound here
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, keys]
        # ``lhs`` is the compiled column; the keys are bound.
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608
        return sql, [*lhs_params, json.dumps(keys)]
