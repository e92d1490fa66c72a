"""A OneRoster import stopped part-way (a deploy) carries on where it stopped, its bulk removals
included: what they remove is worked out afresh, so none is skipped or done twice."""

import pytest
from django.core.files.base import ContentFile

from accounts.models import User
from rostering import sis_import
from rostering.models import SisImport, SisImportState, SisImportType
from rostering.sis_import import ImportInterrupted, sis_import_request, sis_import_run
from tests.rostering.oneroster_district import district_zip
from tests.rostering.oneroster_helpers import active_people, import_oneroster, links
from tests.rostering.test_sis_import_jobs import stops_at_chunk

HALF = {"without": ("U-K1", "U-K2", "U-P1", "U-R1"), "filler": 12}


def half_district_request(institution):
    """The bulk zip missing half the district, its removals allowed, queued."""
    return sis_import_request(
        institution=institution,
        filename="half.zip",
        upload=ContentFile(district_zip(**HALF)),
        by=None,
        import_type=SisImportType.ONEROSTER_CSV,
        options={"allow_removals": True},
    )


# In chunks of 2 rows: users.csv 1-9, classes.csv 10-11, enrollments.csv 12-19, the guardians'
# links 20-21, then the removals: links 22-23, enrollments 24-34, people 35-45.
@pytest.mark.parametrize("stop_at", [2, 12, 21, 23, 25, 30, 36, 40, 45])
def test_a_bulk_import_stopped_anywhere_ends_as_one_that_was_not(institution, monkeypatch, stop_at):
    import_oneroster(institution, district_zip())
    monkeypatch.setattr(sis_import, "CHUNK_ROWS", 2)
    record = half_district_request(institution)

    with pytest.raises(ImportInterrupted):
        sis_import_run(import_id=record.pk, should_stop=stops_at_chunk(stop_at))
    record.refresh_from_db()
    assert record.state == SisImportState.QUEUED
    sis_import_run(import_id=record.pk)

    record.refresh_from_db()
    assert record.state == SisImportState.DONE
    assert links(institution) == {("U-P2", "U-K3", "sis_import")}
    assert active_people(institution) == {"U-T1", "U-A1", "U-K3", "U-P2"}
    assert User.objects.filter(sis_user_id__startswith="U-F", is_active=True).count() == 12
    removed = record.counts["People no longer listed"]
    assert (removed["rows"], removed["changed"], removed["skipped"]) == (22, 22, 0)


def test_each_files_planned_total_is_what_it_applies(institution):
    import_oneroster(institution, district_zip())
    record = half_district_request(institution)
    planned = []

    def should_stop() -> bool:
        if not planned:
            planned.extend(SisImport.objects.get(pk=record.pk).progress)
        return False

    sis_import_run(import_id=record.pk, should_stop=should_stop)

    record.refresh_from_db()
    assert {entry["file"]: entry["total"] for entry in planned} == {
        name: counts["rows"] for name, counts in record.counts.items()
    }
    assert record.counts["People no longer listed"]["rows"] == 22
