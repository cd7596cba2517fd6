"""Registered occupancy (BRP counts per address): the import service, its command and its API."""

import datetime as dt
import itertools
from decimal import Decimal
from io import StringIO

import pytest
import yaml
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from backend.accounts.roles import Role
from backend.api.problems import Conflict
from backend.audit.models import AuditEvent
from geo.models import Municipality
from inspections.api import registered_occupancy as registered_occupancy_api
from inspections.models import (
    HousingLocation,
    NormProfile,
    Organisation,
    RegisteredOccupancy,
    RegisteredOccupancyImport,
)
from inspections.services.registered_occupancy import import_registered_occupancy

pytestmark = pytest.mark.django_db

URL = "/api/v1/registered-occupancy-imports/"
DATE = dt.date(2026, 10, 1)
HEADER = "bag_verblijfsobject_id;postcode;house_number;house_letter;house_number_addition;persons"
BAG_A = "1783010000000001"
BAG_OTHER_MUNICIPALITY = "1842010000000005"
REASON = "no registered housing location at this address in GM1783"

_kvk_numbers = itertools.count(10000001)


# Local helpers: the housing registration service and its factories are written in parallel.


def organisation() -> Organisation:
    return Organisation.objects.create(
        kvk_number=str(next(_kvk_numbers)),
        name="Flex Huisvesting BV",
        status="verified",
        municipality_code="GM1783",
        is_housing_provider=True,
        street="Havenstraat",
        house_number=1,
        postcode="2671AA",
        place="Naaldwijk",
    )


def location_fields(
    *,
    postcode: str,
    house_number: int,
    house_letter: str = "",
    house_number_addition: str = "",
    bag_verblijfsobject_id: str = "",
    municipality_code: str = "GM1783",
    point: Point | None = None,
    provider: Organisation,
) -> dict:
    return {
        "street": "Lange Broekweg",
        "house_number": house_number,
        "house_letter": house_letter,
        "house_number_addition": house_number_addition,
        "postcode": postcode,
        "place": "Naaldwijk",
        "bag_verblijfsobject_id": bag_verblijfsobject_id,
        "point": point or Point(4.205, 51.995, srid=4326),
        "kind": "shared_house",
        "usable_floor_area_m2": Decimal("120.00"),
        "toilets": 2,
        "showers": 2,
        "kitchens": 1,
        "provider": provider,
        "municipality": Municipality.objects.get(code=municipality_code),
        "norm_profile": NormProfile.objects.get(code="snf-residence"),
        "capacity": 8,
    }


def make_location(provider=None, **fields) -> HousingLocation:
    return HousingLocation.objects.create(
        **location_fields(provider=provider or organisation(), **fields)
    )


@pytest.fixture
def locations(demo_region) -> dict[str, HousingLocation]:
    provider = organisation()
    return {
        "by_bag": make_location(
            provider, postcode="2671AB", house_number=1, bag_verblijfsobject_id=BAG_A
        ),
        "plain": make_location(provider, postcode="2671AB", house_number=2),
        "lettered": make_location(
            provider,
            postcode="2671AB",
            house_number=3,
            house_letter="A",
            house_number_addition="2",
        ),
        # Midden-Delfland: rows naming it are not Westland's to import.
        "elsewhere": make_location(
            provider,
            postcode="2636AA",
            house_number=5,
            bag_verblijfsobject_id=BAG_OTHER_MUNICIPALITY,
            municipality_code="GM1842",
            point=Point(4.315, 51.975, srid=4326),
        ),
    }


@pytest.fixture
def beheerder(make_user):
    return make_user(Role.MUNICIPAL_ADMIN, ["GM1783"], username="beheer.westland")


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    data = ("\r\n".join(lines) + "\r\n").encode()
    return (b"\xef\xbb\xbf" + data) if bom else data


# Dutch Excel: ';', a BOM, headers in any case with spaces around them.
GOOD_FILE = csv_bytes(
    " BAG_verblijfsobject_id ;Postcode;HOUSE_NUMBER;house_letter;house_number_addition;Persons ",
    f"{BAG_A};;;;;6",  # row 2: by BAG id
    ";2671 ab;2;;;4",  # row 3: by postcode and number (postcode written loosely)
    ";2671AB;3;a;2;9",  # row 4: by postcode, number, letter and addition
    ";2636AA;5;;;3",  # row 5: a location, but in Midden-Delfland
    ";2671AB;99;;;2",  # row 6: no location at all
    f"{BAG_OTHER_MUNICIPALITY};;;;;1",  # row 7: BAG id of Midden-Delfland's location
    ";;;;;",  # a line of separators only, as spreadsheets write them: skipped
    bom=True,
)


def run_import(content: bytes, *, reference_date=DATE, user=None, name="brp.csv"):
    return import_registered_occupancy(
        file_bytes=content,
        file_name=name,
        municipality_code="GM1783",
        reference_date=reference_date,
        imported_by=user,
    )


def counts() -> tuple[int, int]:
    return RegisteredOccupancyImport.objects.count(), RegisteredOccupancy.objects.count()


def persons_by_location() -> dict[int, int]:
    return dict(RegisteredOccupancy.objects.values_list("location_id", "persons"))


def refused(content: bytes) -> list[str]:
    """Import `content`, expecting the file to be refused with nothing written."""
    before = counts()
    with pytest.raises(ValidationError) as caught:
        run_import(content)
    assert counts() == before
    return [str(message) for message in caught.value.detail["file"]]


# The service: a good file


def test_a_semicolon_file_with_bom_matches_by_bag_id_and_by_address(locations, beheerder):
    result = run_import(GOOD_FILE, user=beheerder)

    assert result.created
    record = result.record
    assert (record.municipality_code, record.reference_date) == ("GM1783", DATE)
    assert (record.rows, record.matched) == (6, 3)
    assert record.file_name == "brp.csv"
    assert len(record.file_sha256) == 64
    assert record.imported_by == beheerder
    assert persons_by_location() == {
        locations["by_bag"].pk: 6,
        locations["plain"].pk: 4,
        locations["lettered"].pk: 9,
    }
    assert set(RegisteredOccupancy.objects.values_list("reference_date", "source")) == {
        (DATE, record.pk)
    }


def test_unmatched_rows_are_reported_by_key_without_anything_about_residents(locations):
    record = run_import(GOOD_FILE).record

    assert record.unmatched == [
        {"row": 5, "key": "2636AA 5", "reason": REASON},
        {"row": 6, "key": "2671AB 99", "reason": REASON},
        {"row": 7, "key": BAG_OTHER_MUNICIPALITY, "reason": REASON},
    ]
    assert not RegisteredOccupancy.objects.filter(location=locations["elsewhere"]).exists()


def test_a_comma_file_without_bom_and_only_some_columns(locations):
    record = run_import(csv_bytes("postcode,house_number,persons", "2671AB,2,3")).record

    assert (record.rows, record.matched, record.unmatched) == (1, 1, [])
    assert persons_by_location() == {locations["plain"].pk: 3}


def test_a_row_whose_bag_id_is_unknown_falls_back_to_an_address_without_bag_id(locations):
    content = csv_bytes(
        "bag_verblijfsobject_id,postcode,house_number,persons",
        "1783010000000777,2671AB,2,5",  # the location at 2671AB 2 has no BAG id: matched
        "1783010000000888,2671AB,1,5",  # the location at 2671AB 1 is another verblijfsobject
    )

    record = run_import(content).record

    assert persons_by_location() == {locations["plain"].pk: 5}
    assert record.unmatched == [{"row": 3, "key": "1783010000000888", "reason": REASON}]


def test_the_import_is_audited(locations, beheerder):
    record = run_import(GOOD_FILE, user=beheerder).record

    event = AuditEvent.objects.get(target_type="inspections.registeredoccupancyimport")
    assert (event.action, event.target_id) == ("import", str(record.pk))
    assert (event.actor, event.municipality_code) == (beheerder, "GM1783")
    assert "6 rows, 3 matched, 3 unmatched" in event.detail


def test_the_same_file_again_returns_the_existing_import_and_writes_nothing(locations):
    first = run_import(GOOD_FILE).record
    before = (counts(), persons_by_location(), AuditEvent.objects.count())

    again = run_import(GOOD_FILE, name="copy of brp.csv")

    assert not again.created
    assert again.record.pk == first.pk
    assert again.record.file_name == "brp.csv"
    assert (counts(), persons_by_location(), AuditEvent.objects.count()) == before


def test_the_same_file_for_another_date_is_a_conflict(locations):
    run_import(GOOD_FILE)
    before = counts()

    with pytest.raises(Conflict, match="already imported for GM1783 as the counts on 2026-10-01"):
        run_import(GOOD_FILE, reference_date=dt.date(2026, 9, 1))
    assert counts() == before


def test_a_new_file_for_the_same_date_replaces_the_counts_it_lists(locations):
    first = run_import(GOOD_FILE).record
    update = csv_bytes(HEADER, f"{BAG_A};;;;;2", ";2671AB;99;;;1")

    second = run_import(update).record

    assert second.pk != first.pk
    assert RegisteredOccupancy.objects.count() == 3  # upserted, not added
    assert persons_by_location() == {
        locations["by_bag"].pk: 2,  # replaced
        locations["plain"].pk: 4,  # not in the new file: kept
        locations["lettered"].pk: 9,
    }
    assert RegisteredOccupancy.objects.get(location=locations["by_bag"]).source == second
    # Another date is another count.
    run_import(csv_bytes(HEADER, f"{BAG_A};;;;;7"), reference_date=dt.date(2026, 7, 1))
    assert RegisteredOccupancy.objects.filter(location=locations["by_bag"]).count() == 2


def test_matching_is_done_in_bulk(demo_region, django_assert_max_num_queries):
    provider = organisation()
    HousingLocation.objects.bulk_create(
        HousingLocation(
            **location_fields(
                provider=provider,
                postcode="2671CD",
                house_number=number,
                bag_verblijfsobject_id=f"178301{number:010d}" if number % 2 else "",
            )
        )
        for number in range(1, 151)
    )
    lines = [
        f"178301{number:010d};;;;;3" if number % 2 else f";2671CD;{number};;;3"
        for number in range(1, 201)  # 150 matched (75 by BAG id, 75 by address), 50 unmatched
    ]

    with django_assert_max_num_queries(12) as queries:
        record = run_import(csv_bytes(HEADER, *lines)).record

    assert (record.rows, record.matched, len(record.unmatched)) == (200, 150, 50)
    location_queries = [q for q in queries.captured_queries if "housinglocation" in q["sql"]]
    assert len(location_queries) == 2  # one by BAG id, one by postcode: not one per row
    assert RegisteredOccupancy.objects.count() == 150


# The service: files that are refused, each with nothing written


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            csv_bytes("postcode;house_number;persons;remarks", "2671AB;2;4;ok"),
            "Unknown column 4 ('remarks'). The allowed columns are bag_verblijfsobject_id, "
            "postcode, house_number, house_letter, house_number_addition, persons.",
            id="unknown column",
        ),
        pytest.param(
            csv_bytes("postcode;house_number", "2671AB;2"),
            "The column persons is missing",
            id="no persons column",
        ),
        pytest.param(
            csv_bytes("house_letter;persons", "A;2"),
            "The file names no address: add the column bag_verblijfsobject_id, or the columns "
            "postcode and house_number",
            id="no address columns",
        ),
        pytest.param(
            csv_bytes(HEADER, ";2671AB;2;;;-1"),
            "Row 2: persons must be a whole number from 0 to 100000; got '-1'.",
            id="negative persons",
        ),
        pytest.param(
            csv_bytes(HEADER, ";2671AB;2;;;vier"),
            "Row 2: persons must be a whole number from 0 to 100000; got 'vier'.",
            id="non-numeric persons",
        ),
        pytest.param(
            csv_bytes(HEADER, ";2671AB;2;;;"),
            "Row 2: persons is empty",
            id="empty persons",
        ),
        pytest.param(
            csv_bytes(HEADER, ";0671AB;2;;;3"),
            "Row 2: A postcode is 4 digits (not starting with 0) and 2 letters, e.g. 2671 AB; "
            "got '0671AB'.",
            id="bad postcode",
        ),
        pytest.param(
            csv_bytes(HEADER, "0363200000123456;;;;;3"),
            "Row 2: Digits 5-6 of a BAG verblijfsobject id are 01; 0363200000123456 has 20",
            id="BAG id of a nummeraanduiding",
        ),
        pytest.param(
            csv_bytes(HEADER, "12345;;;;;3"),
            "Row 2: A BAG verblijfsobject id is 16 digits; got '12345'.",
            id="BAG id too short",
        ),
        pytest.param(
            csv_bytes(HEADER, ";2671AB;0;;;3"),
            "Row 2: house_number must be a whole number from 1 to 99999; got '0'.",
            id="house number zero",
        ),
        pytest.param(
            csv_bytes(HEADER, ";2671AB;2;AB;;3"),
            "Row 2: house_letter is one letter, e.g. A; got 'AB'.",
            id="two house letters",
        ),
        pytest.param(
            csv_bytes(HEADER, ";2671AB;2;;-BIS2;3"),
            "Row 2: house_number_addition is up to 4 letters or digits",
            id="bad addition",
        ),
        pytest.param(
            csv_bytes(HEADER, ";2671AB;;;;3"),
            "Row 2: the address is incomplete: give postcode and house_number",
            id="postcode without number",
        ),
        pytest.param(
            csv_bytes(HEADER, ";;;;;3"),
            "Row 2: no address: give a bag_verblijfsobject_id, or postcode and house_number.",
            id="no address",
        ),
        pytest.param(
            csv_bytes("postcode;house_number;persons", "2671AB;2;3;7"),
            "Row 2: 4 values, but the header names 3 columns",
            id="extra value",
        ),
        pytest.param(
            csv_bytes(HEADER, ";2671AB;2;;;3", f"{BAG_A};;;;;1", ";2671 ab;2;;;4"),
            "Row 4: the same address 2671AB 2 as row 2",
            id="duplicate address",
        ),
        pytest.param(
            csv_bytes(HEADER, f"{BAG_A};;;;;3", f"{BAG_A};;;;;1"),
            f"Row 3: the same BAG verblijfsobject id {BAG_A} as row 2",
            id="duplicate BAG id",
        ),
        pytest.param(b"", "The file is empty", id="empty file"),
        pytest.param(b"\r\n  \r\n", "The file is empty", id="blank lines only"),
        pytest.param(
            csv_bytes(HEADER, bom=True),
            "The file has a header but no rows",
            id="header only",
        ),
        pytest.param("postcode;persons\n2671AB;3\n".encode("utf-16"), "UTF-16", id="UTF-16"),
        pytest.param(b"postcode;persons\n2671\xe9B;3\n", "not UTF-8 text", id="latin-1"),
        pytest.param(b"PK\x03\x04rest of a workbook", "Save As > 'CSV UTF-8'", id="xlsx"),
    ],
)
def test_an_invalid_file_is_refused_with_a_clear_message(locations, content, expected):
    messages = refused(content)

    assert any(expected in message for message in messages), messages
    assert any("nothing was stored" in message for message in messages), messages


def test_two_rows_naming_one_location_differently_are_refused(locations):
    content = csv_bytes(HEADER, f"{BAG_A};;;;;3", ";2671AB;1;;;3")

    messages = refused(content)

    assert f"Row 3: 2671AB 1 is the same housing location as row 2 ({BAG_A})" in messages[1]


def test_every_row_error_is_reported_and_the_list_is_capped(locations):
    messages = refused(csv_bytes(HEADER, ";2671AB;2;;;-1", ";2671AB;3;;;3", ";2671AB;4;;;x"))
    assert messages[0].startswith("The file has 2 problem(s); nothing was stored.")
    assert [m.split(":")[0] for m in messages[1:]] == ["Row 2", "Row 4"]

    # A duplicate is found also when the rows have other problems; messages in row order.
    both = refused(csv_bytes(HEADER, ";2671AB;2;;;-1", ";2671AB;2;;;3", ";2671AB;5;AB;;1"))
    assert both[1:] == [
        "Row 2: persons must be a whole number from 0 to 100000; got '-1'.",
        "Row 3: the same address 2671AB 2 as row 2; list each address once (add the counts "
        "together if the register gives two).",
        "Row 4: house_letter is one letter, e.g. A; got 'AB'.",
    ]

    many = refused(csv_bytes(HEADER, *(f";2671AB;{n};;;-1" for n in range(1, 61))))
    assert many[0].startswith("The file has 60 problem(s)")
    assert len(many) == 1 + 50 + 1
    assert many[-1] == "... and 10 more"


@pytest.mark.parametrize(
    "header",
    ["bsn", "BSN", "Burgerservicenummer", "sofi_nummer", "A-nummer", "naam", "Voornaam",
     "geboorte_datum", "Date of birth", "nationaliteit", "bsn_bewoner"],
)  # fmt: skip
def test_a_column_named_like_personal_data_refuses_the_file(locations, header):
    messages = refused(csv_bytes(f"postcode;house_number;persons;{header}", "2671AB;2;3;x"))

    assert len(messages) == 1
    assert messages[0].startswith("The file was refused and nothing was stored: column 4")
    assert "looks like personal data" in messages[0]
    assert "stores counts of persons per address only, never BSNs" in messages[0]


def test_values_that_pass_the_bsn_eleven_test_refuse_the_file_whatever_the_column(locations):
    content = csv_bytes(
        "postcode;house_number;persons;kenmerk", "2671AB;2;3;", "2671AB;3;1;111222333"
    )

    messages = refused(content)

    assert len(messages) == 1
    assert (
        "column 4 ('kenmerk') holds values that pass the BSN eleven-test (first in row 3)"
        in messages[0]
    )
    assert "never BSNs" in messages[0]
    assert "111222333" not in messages[0]  # the refusal never repeats the number


def test_a_bsn_whose_leading_zero_a_spreadsheet_dropped_is_still_a_bsn(locations):
    # 012345672 passes the eleven-test; Excel writes it as 12345672.
    messages = refused(csv_bytes("postcode;house_number;persons;nr", "2671AB;2;3;12345672"))

    assert "column 4 ('nr') holds values that pass the BSN eleven-test" in messages[0]


def test_a_bsn_in_an_unnamed_column_refuses_the_file(locations):
    messages = refused(csv_bytes("postcode;house_number;persons;", "2671AB;2;3;111.222.333"))

    assert "column 4 (no name) holds values that pass the BSN eleven-test" in messages[0]


def test_an_empty_trailing_column_is_ignored_but_an_unnamed_one_with_values_is_not(locations):
    assert run_import(csv_bytes("postcode;house_number;persons;", "2671AB;2;3;")).created

    messages = refused(csv_bytes("postcode;house_number;persons;", "2671AB;3;3;x"))
    assert "column 4 (no name) has values but no name" in messages[1]


def test_unknown_municipality_and_future_dates_are_refused(locations):
    with pytest.raises(ValidationError) as caught:
        import_registered_occupancy(
            file_bytes=GOOD_FILE,
            file_name="brp.csv",
            municipality_code="GM9999",
            reference_date=DATE,
            imported_by=None,
        )
    assert "No municipality with code GM9999" in str(caught.value.detail["municipality_code"][0])

    with pytest.raises(ValidationError) as caught:
        run_import(GOOD_FILE, reference_date=timezone.localdate() + dt.timedelta(days=1))
    assert "is in the future" in str(caught.value.detail["reference_date"][0])
    assert counts() == (0, 0)


# Management command


def test_command_imports_and_prints_the_report(locations, beheerder, tmp_path):
    path = tmp_path / "brp-westland.csv"
    path.write_bytes(GOOD_FILE)
    out = StringIO()

    call_command(
        "import_registered_occupancy",
        str(path),
        "--municipality=GM1783",
        "--date=2026-10-01",
        "--user=beheer.westland",
        stdout=out,
    )

    output = out.getvalue()
    assert "6 rows, 3 matched, 3 unmatched" in output
    assert f"row 5: 2636AA 5: {REASON}" in output
    assert f"row 7: {BAG_OTHER_MUNICIPALITY}: {REASON}" in output
    record = RegisteredOccupancyImport.objects.get()
    assert (record.file_name, record.imported_by) == ("brp-westland.csv", beheerder)

    again = StringIO()
    call_command(
        "import_registered_occupancy", str(path), "--municipality=GM1783", "--date=2026-10-01",
        stdout=again,
    )  # fmt: skip
    assert "already imported" in again.getvalue()
    assert RegisteredOccupancyImport.objects.count() == 1


def test_command_refuses_an_invalid_file_and_stores_nothing(locations, tmp_path):
    path = tmp_path / "brp.csv"
    path.write_bytes(csv_bytes("bsn;postcode;house_number;persons", "111222333;2671AB;2;1"))

    with pytest.raises(CommandError, match="The file was refused and nothing was stored"):
        call_command(
            "import_registered_occupancy", str(path), "--municipality=GM1783", "--date=2026-10-01"
        )
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--municipality=GM1783", "--date=1-10-2026"], "write it as YYYY-MM-DD"),
        (["--municipality=GM1783", "--date=2026-10-01", "--user=nobody"], "No active user"),
        (["--municipality=Westland", "--date=2026-10-01"], "municipality_code: A CBS"),
    ],
)
def test_command_explains_wrong_arguments(locations, tmp_path, arguments, expected):
    path = tmp_path / "brp.csv"
    path.write_bytes(GOOD_FILE)

    with pytest.raises(CommandError, match=expected):
        call_command("import_registered_occupancy", str(path), *arguments)
    assert counts() == (0, 0)


# API


def upload(client, content=GOOD_FILE, municipality_code="GM1783", name="brp.csv", **extra):
    return client.post(
        URL,
        {
            "file": SimpleUploadedFile(name, content, content_type="text/csv"),
            "municipality_code": municipality_code,
            "reference_date": "2026-10-01",
        },
        format="multipart",
        **extra,
    )


def test_a_municipal_admin_uploads_a_file_then_the_same_file_again(
    locations, beheerder, client_for
):
    client = client_for(beheerder)

    response = upload(client)

    assert response.status_code == 201, response.content
    body = response.json()
    record = RegisteredOccupancyImport.objects.get()
    assert body == {
        "id": record.pk,
        "municipality_code": "GM1783",
        "reference_date": "2026-10-01",
        "file_name": "brp.csv",
        "rows": 6,
        "matched": 3,
        "unmatched_count": 3,
        "unmatched": record.unmatched,
        "imported_by": "beheer.westland",
        "created_at": body["created_at"],
    }
    assert RegisteredOccupancy.objects.count() == 3

    again = upload(client, name="brp (1).csv")
    assert again.status_code == 200, again.content
    assert again.json() == body
    assert counts() == (1, 3)


def test_admins_list_and_read_the_imports_of_their_municipalities_only(
    locations, beheerder, client_for, make_user
):
    ours = run_import(GOOD_FILE, user=beheerder).record
    theirs = import_registered_occupancy(
        file_bytes=csv_bytes(HEADER, ";2636AA;5;;;2"),
        file_name="brp-md.csv",
        municipality_code="GM1842",
        reference_date=DATE,
        imported_by=None,
    ).record
    assert theirs.matched == 1
    client = client_for(beheerder)

    listed = client.get(URL)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["results"]] == [ours.pk]
    detail = client.get(f"{URL}{ours.pk}/")
    assert detail.status_code == 200
    assert detail.json()["unmatched_count"] == 3
    assert "ETag" in detail

    hidden = client.get(f"{URL}{theirs.pk}/")
    assert hidden.status_code == 404
    assert hidden["Content-Type"] == "application/problem+json"


def test_an_import_for_a_municipality_the_admin_does_not_administer_is_forbidden(
    locations, beheerder, client_for
):
    response = upload(client_for(beheerder), municipality_code="GM1842")

    assert response.status_code == 403
    assert response.json()["detail"].startswith("You administer GM1783, not GM1842")
    assert counts() == (0, 0)


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.PLANNER, Role.EMPLOYER])
def test_other_roles_may_not_upload_or_read(locations, make_user, client_for, role):
    client = client_for(make_user(role, [] if role == Role.EMPLOYER else ["GM1783"]))

    assert upload(client).status_code == 403
    assert client.get(URL).status_code == 403
    assert counts() == (0, 0)


def test_anonymous_users_must_sign_in(locations, api_client):
    response = upload(api_client)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert counts() == (0, 0)


def test_a_file_with_bsns_is_a_problem_with_errors_on_file(locations, beheerder, client_for):
    content = csv_bytes("postcode;house_number;persons;id", "2671AB;2;3;111222333")

    response = upload(client_for(beheerder), content)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/validation-error"
    assert problem["errors"]["file"][0].startswith("The file was refused and nothing was stored")
    assert "111222333" not in response.content.decode()
    assert counts() == (0, 0)


def test_row_errors_are_listed_in_the_problem(locations, beheerder, client_for):
    response = upload(client_for(beheerder), csv_bytes(HEADER, ";2671AB;2;;;-1", ";0671AB;3;;;2"))

    assert response.status_code == 400
    errors = response.json()["errors"]["file"]
    assert [e.split(":")[0] for e in errors[1:]] == ["Row 2", "Row 3"]
    assert counts() == (0, 0)


def test_missing_fields_and_json_bodies_are_explained(locations, beheerder, client_for):
    client = client_for(beheerder)

    missing = client.post(URL, {"municipality_code": "GM1783"}, format="multipart")
    assert missing.status_code == 400
    assert set(missing.json()["errors"]) == {"file", "reference_date"}

    as_json = client.post(URL, {"municipality_code": "GM1783"}, format="json")
    assert as_json.status_code == 415
    assert counts() == (0, 0)


def test_a_file_over_the_size_limit_is_refused(locations, beheerder, client_for, monkeypatch):
    monkeypatch.setattr(registered_occupancy_api, "MAX_UPLOAD_BYTES", 100)

    response = upload(client_for(beheerder), GOOD_FILE + b";2671AB;100;;;1\r\n" * 10)

    assert response.status_code == 413
    assert response.json()["type"] == "/problems/content-too-large"
    assert "at most 20 MB" in response.json()["detail"]
    assert counts() == (0, 0)


def test_the_schema_documents_the_multipart_upload(api_client):
    response = api_client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)

    post = schema["paths"][URL]["post"]
    multipart = post["requestBody"]["content"]["multipart/form-data"]["schema"]
    component = schema["components"]["schemas"][multipart["$ref"].rsplit("/", 1)[-1]]
    assert component["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": component["properties"]["file"]["description"],
    }
    assert set(component["required"]) == {"file", "municipality_code", "reference_date"}
    assert {"200", "201", "400", "401", "403"} <= set(post["responses"])


def test_a_concurrent_import_of_the_same_file_returns_the_one_that_won(locations, monkeypatch):
    from inspections.services import registered_occupancy as service

    winner = run_import(GOOD_FILE).record
    before = (counts(), persons_by_location(), AuditEvent.objects.count())
    real_lookup, calls = service._existing_import, []

    def lookup_that_misses_once(*args):
        calls.append(args)
        return None if len(calls) == 1 else real_lookup(*args)

    monkeypatch.setattr(service, "_existing_import", lookup_that_misses_once)

    result = run_import(GOOD_FILE)  # reaches the insert, hits the unique constraint

    assert (result.created, result.record.pk, len(calls)) == (False, winner.pk, 2)
    assert (counts(), persons_by_location(), AuditEvent.objects.count()) == before
