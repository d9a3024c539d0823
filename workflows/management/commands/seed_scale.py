"""Builds scale data (accounts, people, grants, quotes, revisions, lines, workflow processes and
tasks) in bulk, shaped exactly like the rows the product writes: see ``workflows.scale``.

    manage.py seed_scale --size small          # seconds; CI and tests
    manage.py seed_scale --size full           # 10,000 accounts, 100,000 quotes (PostgreSQL)
    manage.py seed_scale --accounts 2000 --quotes 20000

Adds to what is there: new account numbers each run, and users under a login-ID prefix
(``--prefix``, default ``scale.``) not used before. Every seeded user's password is
``scale-password-2026``.
"""

import dataclasses

from django.core.management.base import BaseCommand, CommandError

from workflows.scale import SIZES, AlreadySeeded, seed


class Command(BaseCommand):
    help = "Builds scale data for benchmarks: accounts, people, grants, quotes and tasks."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--accounts", type=int, help="number of corporate accounts")
        parser.add_argument("--accounts-per-rep", type=int, help="accounts of each representative")
        parser.add_argument("--quotes", type=int, help="number of quotes")
        parser.add_argument("--lines", type=int, help="lines per quote revision")
        parser.add_argument("--contacts-per-account", type=int, help="billing contacts")
        parser.add_argument("--members-per-account", type=int, help="members (no billing rights)")
        parser.add_argument("--prefix", default="scale.", help="login-ID prefix of seeded users")

    def handle(self, *args, **options):
        size = SIZES[options["size"]]
        overrides = {
            field.name: options[field.name]
            for field in dataclasses.fields(size)
            if options.get(field.name) is not None
        }
        size = dataclasses.replace(size, **overrides)
        try:
            seed(size, write=self.stdout.write, prefix=options["prefix"])
        except AlreadySeeded as exc:
            raise CommandError(str(exc)) from None
