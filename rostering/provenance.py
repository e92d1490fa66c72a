"""Which roster source made what (``RosterRecord``): kept as an import from a source that has
records (OneRoster) applies each chunk, and read by a bulk snapshot to find what it no longer
lists. One statement per chunk and kind."""

import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

from rostering.models import RosterRecord


@dataclass(frozen=True)
class Noted:
    key: str
    made: bool  # this row made the thing (created, or restored from deleted)
    org_sourced_id: str = ""
    org_name: str = ""


def record_key(*parts: str) -> str:
    return RosterRecord.KEY_SEPARATOR.join(parts)


def records_note(*, institution_id: int, source: str, kind: str, entries: Sequence[Noted]) -> None:
    """Keep what ``source`` says about each entry: its school, and whether it made the thing (a
    thing once made by the source stays its own, whoever lists it since)."""
    if not entries:
        return
    latest = {entry.key: entry for entry in entries}  # a key twice in a chunk: its last row
    table = RosterRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (institution_id, source, kind, key, made, org_sourced_id, org_name)
            SELECT %s, %s, %s, new.key, new.made, new.org_sourced_id, new.org_name
            FROM json_to_recordset(%s::json)
                AS new(key text, made boolean, org_sourced_id text, org_name text)
            ON CONFLICT ON CONSTRAINT roster_record_unique DO UPDATE SET
                made = {table}.made OR EXCLUDED.made,
                org_sourced_id = EXCLUDED.org_sourced_id, org_name = EXCLUDED.org_name
            WHERE NOT {table}.made AND EXCLUDED.made
                OR ({table}.org_sourced_id, {table}.org_name)
                    IS DISTINCT FROM (EXCLUDED.org_sourced_id, EXCLUDED.org_name)
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [
                institution_id,
                source,
                kind,
                json.dumps(
                    [
                        {
                            "key": e.key,
                            "made": e.made,
                            "org_sourced_id": e.org_sourced_id[:255],
                            "org_name": e.org_name[:255],
                        }
                        for e in latest.values()
                    ]
                ),
            ],
        )
