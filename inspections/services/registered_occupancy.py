"""Import how many persons the population register (BRP) counts per address: counts only.

The municipality exports, per address, the number of persons registered there on a reference
date (peildatum), as CSV. We keep that number per housing location, to compare it with what the
housing allows. Never who: a file that carries a BSN, a name, a date of birth or a nationality is
refused as a whole, before anything else is looked at, and nothing of it is stored.

Everything is read and checked before anything is written: a bad file changes nothing and is
answered with every problem found (up to MAX_REPORTED_ERRORS), each naming its row. Row numbers
are line numbers as a spreadsheet shows them: the header is row 1, the first address row 2.

Rows are matched to the housing locations of the municipality: by BAG verblijfsobject id when
the row has one, else (or when no location has that id, and the row also gives an address) by
postcode, house number, letter and addition. Two queries for the whole file, not one per row.
Counts are upserted per (location, reference date), so a later file for the same date replaces
the earlier count of the addresses it lists. The same file for the same municipality twice is
one import (a unique constraint on its SHA-256).
"""

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backend.accounts.models import User, municipality_code_validator
from backend.api.problems import Conflict
from backend.audit.models import Action
from backend.audit.services import record_event
from geo.models import Municipality
from inspections.models import HousingLocation, RegisteredOccupancy, RegisteredOccupancyImport
from inspections.validators import is_bsn, normalise_postcode, validate_verblijfsobject_id

ALLOWED_COLUMNS = (
    "bag_verblijfsobject_id",
    "postcode",
    "house_number",
    "house_letter",
    "house_number_addition",
    "persons",
)
# Header names (lowercase, without spaces, underscores and hyphens) that name personal data.
PERSONAL_DATA_HEADERS = frozenset(
    {
        "bsn",
        "burgerservicenummer",
        "sofinummer",
        "sofi",
        "anummer",
        "administratienummer",
        "naam",
        "name",
        "voornaam",
        "voornamen",
        "achternaam",
        "geslachtsnaam",
        "firstname",
        "lastname",
        "surname",
        "geboortedatum",
        "dateofbirth",
        "birthdate",
        "nationaliteit",
        "nationality",
    }
)
# A header that contains one of these is personal data too ("bsn_bewoner", "geboortedatum_1").
_PERSONAL_DATA_PARTS = ("bsn", "burgerservicenummer", "sofinummer", "geboortedatum")
MAX_REPORTED_ERRORS = 50
MAX_PERSONS = 100_000
MAX_HOUSE_NUMBER = 99_999
# Parameters per IN (...) query: below SQLite's historic limit of 999 variables.
_QUERY_CHUNK = 900

_WHOLE_NUMBER = re.compile(r"^\d+$")
_LETTER = re.compile(r"^[A-Za-z]$")
_ADDITION = re.compile(r"^[A-Za-z0-9]{1,4}$")
_ADDRESS_COLUMNS = ("postcode", "house_number", "house_letter", "house_number_addition")


@dataclass(frozen=True)
class ImportResult:
    record: RegisteredOccupancyImport
    created: bool  # False: this file was imported before; `record` is that import, unchanged


@dataclass
class _Row:
    number: int  # line in the file; the header is row 1
    persons: int
    bag_id: str = ""
    postcode: str = ""
    house_number: int | None = None
    house_letter: str = ""
    house_number_addition: str = ""
    address_valid: bool = True  # False when the letter or the addition is wrong

    @property
    def address(self) -> tuple | None:
        if not (self.postcode and self.house_number and self.address_valid):
            return None
        return (self.postcode, self.house_number, self.house_letter, self.house_number_addition)

    @property
    def address_key(self) -> str:
        number = f"{self.house_number}{self.house_letter}"
        if self.house_number_addition:
            number += f"-{self.house_number_addition}"
        return f"{self.postcode} {number}"

    @property
    def key(self) -> str:
        """How the row is named in reports: its BAG id, else postcode and number. Never a count."""
        return self.bag_id or self.address_key


@dataclass
class _Problems:
    """Row problems, reported in the order of the rows."""

    found: list[tuple[int, str]] = field(default_factory=list)

    def add(self, row: int, message: str) -> None:
        self.found.append((row, message))

    def raise_if_any(self) -> None:
        if self.found:
            ordered = sorted(self.found, key=lambda problem: problem[0])  # stable within a row
            raise _invalid_file(
                [_("Row %(row)d: %(message)s") % {"row": r, "message": m} for r, m in ordered]
            )


def _invalid_file(problems: list[str]) -> ValidationError:
    shown = problems[:MAX_REPORTED_ERRORS]
    if len(problems) > len(shown):
        shown.append(_("... and %(count)d more") % {"count": len(problems) - len(shown)})
    summary = _(
        "The file has %(count)d problem(s); nothing was stored. Correct them and upload the "
        "whole file again."
    ) % {"count": len(problems)}
    return ValidationError({"file": [summary, *shown]})


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def import_registered_occupancy(
    *,
    file_bytes: bytes,
    file_name: str,
    municipality_code: str,
    reference_date: date,
    imported_by: User | None,
) -> ImportResult:
    """Check a BRP count file completely, then store its counts; all or nothing.

    Raises rest_framework ValidationError ({"file": [...]} or {"municipality_code": [...]},
    {"reference_date": [...]}) for a file or arguments that cannot be imported, and Conflict
    when this very file was imported before for another reference date.
    """
    _check_arguments(municipality_code=municipality_code, reference_date=reference_date)
    sha256 = hashlib.sha256(file_bytes).hexdigest()
    existing = _existing_import(municipality_code, sha256, reference_date)
    if existing is not None:
        return ImportResult(record=existing, created=False)

    rows = _read_rows(file_bytes)
    locations = _match(rows, municipality_code)
    unmatched = [
        {
            "row": row.number,
            "key": row.key,
            "reason": _("no registered housing location at this address in %(code)s")
            % {"code": municipality_code},
        }
        for row in rows
        if row.number not in locations
    ]

    with transaction.atomic():
        try:
            with transaction.atomic():
                record = RegisteredOccupancyImport.objects.create(
                    municipality_code=municipality_code,
                    reference_date=reference_date,
                    file_name=file_name[:200],
                    file_sha256=sha256,
                    rows=len(rows),
                    matched=len(locations),
                    unmatched=unmatched,
                    imported_by=imported_by,
                )
        except IntegrityError:
            # The same file, imported at the same moment by another request that committed first.
            existing = _existing_import(municipality_code, sha256, reference_date)
            if existing is None:
                raise
            return ImportResult(record=existing, created=False)
        RegisteredOccupancy.objects.bulk_create(
            [
                RegisteredOccupancy(
                    location_id=locations[row.number],
                    reference_date=reference_date,
                    persons=row.persons,
                    source=record,
                )
                for row in rows
                if row.number in locations
            ],
            update_conflicts=True,
            unique_fields=["location", "reference_date"],
            update_fields=["persons", "source"],
            batch_size=500,
        )
        record_event(
            actor=imported_by,
            action=Action.IMPORT,
            target=record,
            municipality_code=municipality_code,
            detail=_(
                "Registered occupancy (BRP counts) on %(date)s from %(file)s: %(rows)d rows, "
                "%(matched)d matched, %(unmatched)d unmatched."
            )
            % {
                "date": reference_date.isoformat(),
                "file": file_name,
                "rows": record.rows,
                "matched": record.matched,
                "unmatched": len(unmatched),
            },
        )
    return ImportResult(record=record, created=True)


def _check_arguments(*, municipality_code: str, reference_date: date) -> None:
    try:
        municipality_code_validator(municipality_code)
    except DjangoValidationError as exc:
        raise ValidationError({"municipality_code": exc.messages}) from exc
    if not Municipality.objects.filter(code=municipality_code).exists():
        raise ValidationError(
            {
                "municipality_code": [
                    _(
                        "No municipality with code %(code)s is known here; use the CBS code of "
                        "a municipality whose boundaries were imported, e.g. GM1783."
                    )
                    % {"code": municipality_code}
                ]
            }
        )
    if reference_date > timezone.localdate():
        raise ValidationError(
            {
                "reference_date": [
                    _(
                        "The reference date %(date)s is in the future; use the date the register "
                        "extract counts (its peildatum), which has passed."
                    )
                    % {"date": reference_date.isoformat()}
                ]
            }
        )


def _existing_import(
    municipality_code: str, sha256: str, reference_date: date
) -> RegisteredOccupancyImport | None:
    existing = (
        RegisteredOccupancyImport.objects.filter(
            municipality_code=municipality_code, file_sha256=sha256
        )
        .select_related("imported_by")
        .first()
    )
    if existing is not None and existing.reference_date != reference_date:
        raise Conflict(
            _(
                "This very file was already imported for %(code)s as the counts on %(date)s "
                "(import %(id)d). The same file cannot also be the counts on %(other)s: upload the "
                "extract made for that date."
            )
            % {
                "code": municipality_code,
                "date": existing.reference_date.isoformat(),
                "id": existing.pk,
                "other": reference_date.isoformat(),
            },
            existing=existing.pk,
        )
    return existing


# Reading and checking the file


def _decode(file_bytes: bytes) -> str:
    if file_bytes.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _refuse(
            _(
                "This is a spreadsheet workbook (.xlsx or .xls), not a CSV file; nothing was "
                "stored. In Excel choose Save As > 'CSV UTF-8' and upload that file."
            )
        )
    if file_bytes.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(
            _(
                "The file is UTF-16 text; nothing was stored. Save it as 'CSV UTF-8' (in Excel: "
                "Save As > CSV UTF-8) and upload again."
            )
        )
    try:
        text = file_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(
            _(
                "The file is not UTF-8 text (byte %(position)d); nothing was stored. Save it as "
                "'CSV UTF-8' (in Excel: Save As > CSV UTF-8) and upload again."
            )
            % {"position": exc.start + 1}
        ) from exc
    if "\x00" in text:
        raise _refuse(
            _("The file contains NUL bytes, so it is not a CSV text file; nothing was stored.")
        )
    return text


def _delimiter(header_line: str) -> str:
    """Dutch Excel writes ';', most other tools ','."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _normalise_header(name: str) -> str:
    return name.strip().lower()


def _personal_data_header(name: str) -> bool:
    squashed = re.sub(r"[\s_\-.]", "", name.lower())
    return squashed in PERSONAL_DATA_HEADERS or any(p in squashed for p in _PERSONAL_DATA_PARTS)


def _column_label(index: int, name: str) -> str:
    if name.strip():
        return _("column %(number)d (%(name)r)") % {"number": index + 1, "name": name.strip()}
    return _("column %(number)d (no name)") % {"number": index + 1}


def _read_table(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the (row number, values) of every non-blank line."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if not first_line:
        raise _refuse(
            _(
                "The file is empty; nothing was stored. Expected a header line naming the columns "
                "(persons, and bag_verblijfsobject_id or postcode and house_number), then one "
                "line per address."
            )
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue  # blank lines, or lines of separators only
            if header is None:
                header = values
            else:
                records.append((reader.line_num, values))
    except csv.Error as exc:
        raise _refuse(
            _("Row %(row)d cannot be read as CSV (%(error)s); nothing was stored.")
            % {"row": reader.line_num, "error": exc}
        ) from exc
    return header or [], records


def _looks_like_bsn(value: str) -> bool:
    """A BSN, also one whose leading 0 a spreadsheet dropped (012345672 -> 12345672)."""
    value = value.strip()
    return is_bsn(value) or (len(value) == 8 and value.isdigit() and is_bsn("0" + value))


def _check_personal_data(header: list[str], records: list[tuple[int, list[str]]]) -> None:
    """Refuse the whole file when any column names or holds personal data."""
    found = [
        _("%(column)s looks like personal data") % {"column": _column_label(i, name)}
        for i, name in enumerate(header)
        if _personal_data_header(name)
    ]
    first_bsn_row: dict[int, int] = {}
    for number, values in records:
        for index, value in enumerate(values):
            if index not in first_bsn_row and _looks_like_bsn(value):
                first_bsn_row[index] = number
    for index, number in sorted(first_bsn_row.items()):
        name = header[index] if index < len(header) else ""
        found.append(
            _("%(column)s holds values that pass the BSN eleven-test (first in row %(row)d)")
            % {"column": _column_label(index, name), "row": number}
        )
    if found:
        raise _refuse(
            _(
                "The file was refused and nothing was stored: %(found)s. This system stores "
                "counts of persons per address only, never BSNs, names, dates of birth or "
                "nationalities. Export only the columns %(allowed)s, and upload that file."
            )
            % {"found": "; ".join(found), "allowed": ", ".join(ALLOWED_COLUMNS)}
        )


def _columns(header: list[str], records: list[tuple[int, list[str]]]) -> dict[str, int]:
    """Column name -> index; raise for unknown, duplicate or missing columns."""
    problems, columns = [], {}
    allowed = ", ".join(ALLOWED_COLUMNS)
    for index, raw in enumerate(header):
        name = _normalise_header(raw)
        if not name:
            if any(index < len(values) and values[index].strip() for _n, values in records):
                problems.append(
                    _(
                        "%(column)s has values but no name; name it one of %(allowed)s, or "
                        "remove it."
                    )
                    % {"column": _column_label(index, raw), "allowed": allowed}
                )
            continue  # an empty trailing column, as spreadsheets write them
        if name not in ALLOWED_COLUMNS:
            problems.append(
                _("Unknown %(column)s. The allowed columns are %(allowed)s.")
                % {"column": _column_label(index, raw), "allowed": allowed}
            )
        elif name in columns:
            problems.append(
                _("Column %(name)s appears twice (columns %(first)d and %(second)d); keep one.")
                % {"name": name, "first": columns[name] + 1, "second": index + 1}
            )
        else:
            columns[name] = index
    if "persons" not in columns:
        problems.append(
            _(
                "The column persons is missing: it holds the number of persons registered at each "
                "address. The allowed columns are %(allowed)s."
            )
            % {"allowed": allowed}
        )
    has_address = "postcode" in columns and "house_number" in columns
    if "bag_verblijfsobject_id" not in columns and not has_address:
        problems.append(
            _(
                "The file names no address: add the column bag_verblijfsobject_id, or the columns "
                "postcode and house_number (house_letter and house_number_addition optional)."
            )
        )
    elif ("postcode" in columns) != ("house_number" in columns):
        problems.append(
            _("Columns postcode and house_number go together: add %(missing)s.")
            % {"missing": "house_number" if "postcode" in columns else "postcode"}
        )
    if problems:
        raise _invalid_file(problems)
    return columns


def _parse_row(
    number: int, values: list[str], columns: dict[str, int], width: int, problems: _Problems
) -> _Row | None:
    """The row's values; bag_id and address are set only when valid, for the duplicate check."""
    if any(value.strip() for value in values[width:]):
        problems.add(
            number,
            _(
                "%(found)d values, but the header names %(width)d columns; quote values that "
                "contain the separator, or remove the extra values."
            )
            % {"found": len(values), "width": width},
        )
        return None

    def cell(name: str) -> str:
        index = columns.get(name)
        return values[index].strip() if index is not None and index < len(values) else ""

    row = _Row(number=number, persons=0)
    persons = cell("persons")
    if not persons:
        problems.add(number, _("persons is empty; give the number of persons, 0 or more."))
    elif not _WHOLE_NUMBER.match(persons) or int(persons) > MAX_PERSONS:
        problems.add(
            number,
            _("persons must be a whole number from 0 to %(max)d; got %(value)r.")
            % {"max": MAX_PERSONS, "value": persons},
        )
    else:
        row.persons = int(persons)

    if bag_id := cell("bag_verblijfsobject_id"):
        try:
            validate_verblijfsobject_id(bag_id)
            row.bag_id = bag_id
        except DjangoValidationError as exc:
            for message in exc.messages:
                problems.add(number, message)

    if postcode := cell("postcode"):
        try:
            row.postcode = normalise_postcode(postcode)
        except DjangoValidationError as exc:
            for message in exc.messages:
                problems.add(number, message)
    if house_number := cell("house_number"):
        if _WHOLE_NUMBER.match(house_number) and 1 <= int(house_number) <= MAX_HOUSE_NUMBER:
            row.house_number = int(house_number)
        else:
            problems.add(
                number,
                _("house_number must be a whole number from 1 to %(max)d; got %(value)r.")
                % {"max": MAX_HOUSE_NUMBER, "value": house_number},
            )
    if letter := cell("house_letter"):
        if _LETTER.match(letter):
            row.house_letter = letter.upper()
        else:
            row.address_valid = False
            problems.add(
                number,
                _("house_letter is one letter, e.g. A; got %(value)r.") % {"value": letter},
            )
    if addition := cell("house_number_addition"):
        if _ADDITION.match(addition):
            row.house_number_addition = addition.upper()
        else:
            row.address_valid = False
            problems.add(
                number,
                _(
                    "house_number_addition is up to 4 letters or digits, e.g. 2 or BIS; got "
                    "%(value)r."
                )
                % {"value": addition},
            )

    if any(cell(name) for name in _ADDRESS_COLUMNS) and not (postcode and house_number):
        problems.add(
            number,
            _(
                "the address is incomplete: give postcode and house_number (house_letter and "
                "house_number_addition are optional), or leave all four empty."
            ),
        )
    elif not bag_id and not postcode:
        problems.add(
            number, _("no address: give a bag_verblijfsobject_id, or postcode and house_number.")
        )
    return row


def _check_duplicates(rows: list[_Row], problems: _Problems) -> None:
    seen: dict[tuple, _Row] = {}
    for row in rows:
        keys = []
        if row.bag_id:
            keys.append(
                (("bag", row.bag_id), _("BAG verblijfsobject id %(id)s") % {"id": row.bag_id})
            )
        if row.address:
            keys.append(
                (("address", *row.address), _("address %(key)s") % {"key": row.address_key})
            )
        for key, label in keys:
            first = seen.setdefault(key, row)
            if first is not row:
                problems.add(
                    row.number,
                    _(
                        "the same %(label)s as row %(first)d; list each address once (add the "
                        "counts together if the register gives two)."
                    )
                    % {"label": label, "first": first.number},
                )
                break


def _read_rows(file_bytes: bytes) -> list[_Row]:
    header, records = _read_table(_decode(file_bytes))
    _check_personal_data(header, records)
    columns = _columns(header, records)
    if not records:
        raise _refuse(
            _(
                "The file has a header but no rows; nothing was stored. Add one line per address "
                "with the number of persons registered there."
            )
        )
    problems = _Problems()
    rows = [
        row
        for number, values in records
        if (row := _parse_row(number, values, columns, len(header), problems)) is not None
    ]
    _check_duplicates(rows, problems)
    problems.raise_if_any()
    return rows


# Matching rows to housing locations


def _chunks(values: set, size: int = _QUERY_CHUNK):
    ordered = sorted(values)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _match(rows: list[_Row], municipality_code: str) -> dict[int, int]:
    """Row number -> housing location id, for the rows that match a location of the municipality.

    First by BAG id; a row whose BAG id matches nothing falls back to its address, if it gives
    one, but only to a location that has no BAG id of its own (one with another id is another
    verblijfsobject). One query per 900 BAG ids and one per 900 postcodes.
    """
    locations = HousingLocation.objects.filter(municipality__code=municipality_code)
    by_bag: dict[str, int] = {}
    for chunk in _chunks({row.bag_id for row in rows if row.bag_id}):
        by_bag.update(
            locations.filter(bag_verblijfsobject_id__in=chunk).values_list(
                "bag_verblijfsobject_id", "id"
            )
        )
    by_address: dict[tuple, tuple[int, str]] = {}
    by_address_needed = [row for row in rows if row.bag_id not in by_bag and row.address]
    for chunk in _chunks({row.postcode for row in by_address_needed}):
        for values in locations.filter(postcode__in=chunk).values_list(
            "id",
            "bag_verblijfsobject_id",
            "postcode",
            "house_number",
            "house_letter",
            "house_number_addition",
        ):
            by_address[tuple(values[2:])] = (values[0], values[1])

    matched: dict[int, int] = {}
    for row in rows:
        if row.bag_id in by_bag:
            matched[row.number] = by_bag[row.bag_id]
        elif row.address in by_address:
            location_id, location_bag_id = by_address[row.address]
            if not row.bag_id or not location_bag_id:
                matched[row.number] = location_id

    # Two rows, one by BAG id and one by address, may name the same location.
    problems, first_row = _Problems(), {}
    for row in rows:
        location_id = matched.get(row.number)
        if location_id is None:
            continue
        first = first_row.setdefault(location_id, row)
        if first is not row:
            problems.add(
                row.number,
                _(
                    "%(key)s is the same housing location as row %(first)d (%(first_key)s); list "
                    "each address once."
                )
                % {"key": row.key, "first": first.number, "first_key": first.key},
            )
    problems.raise_if_any()
    return matched
