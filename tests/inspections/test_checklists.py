"""The seeded SNF checklist, checking answers, versions that never change, and the read API."""

import math
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import ValidationError

from backend.accounts.roles import Role
from backend.api.problems import Conflict
from backend.audit.models import AuditEvent
from fixtures import checklists as seed_data
from inspections.models import (
    AnswerType,
    ChecklistItem,
    ChecklistTemplate,
    Measure,
    TemplateStatus,
    Theme,
)
from inspections.services import checklists as services
from inspections.services.checklists import (
    ITEM_FIELDS,
    add_item,
    check_answer,
    current_template,
    new_version,
    publish_template,
    remove_item,
    update_item,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/checklist-templates/"


def seeded() -> ChecklistTemplate:
    return ChecklistTemplate.objects.get(code="snf-inspection", version=1)


def items_of(template: ChecklistTemplate) -> list[tuple]:
    """Everything about the items of a template but their ids: what must never change."""
    return [
        tuple(getattr(item, name) for name in ITEM_FIELDS)
        for item in template.items.order_by("position")
    ]


def template_state(template: ChecklistTemplate) -> tuple:
    template = ChecklistTemplate.objects.get(pk=template.pk)
    fields = ("code", "version", "name", "source", "status", "published_at")
    return (*(getattr(template, name) for name in fields), items_of(template))


@pytest.fixture
def admin(make_user):
    return make_user(Role.MUNICIPAL_ADMIN, ["GM1783"])


# The seeded template


class TestSeed:
    def test_version_1_is_published_after_migrating(self):
        template = seeded()
        assert template.status == TemplateStatus.PUBLISHED
        assert template.published_at == datetime(2026, 1, 1, tzinfo=timezone.utc)
        assert template.name == "Labour-migrant housing inspection (SNF norm)"
        assert "SNF norm 2025" in template.source
        assert "Wet goed verhuurderschap" in template.source
        assert current_template() == template

    def test_items_cover_every_theme_in_positions_1_to_n(self):
        items = list(seeded().items.order_by("position"))
        assert len(items) >= 30
        assert [item.position for item in items] == list(range(1, len(items) + 1))
        assert {item.theme for item in items} == set(Theme.values)
        assert len({item.code for item in items}) == len(items)
        # Grouped: once a theme is left, it does not come back.
        themes = [item.theme for item in items]
        assert [t for i, t in enumerate(themes) if i == 0 or t != themes[i - 1]] == list(
            dict.fromkeys(themes)
        )
        prefixes = {item.code.split("-")[0]: set() for item in items}
        for item in items:
            prefixes[item.code.split("-")[0]].add(item.theme)
        assert all(len(themes) == 1 for themes in prefixes.values())

    def test_every_item_rests_on_a_rule_and_is_consistent(self):
        for item in seeded().items.all():
            assert item.norm_article.strip(), item.code
            assert item.question.strip(), item.code
            item.full_clean()  # lengths and choices, which SQLite would not enforce
            assert services._item_errors(item) == {}, item.code
            if item.answer_type == AnswerType.YES_NO:
                assert item.passing_answer is not None, item.code

    def test_counting_items_record_occupancy_without_pass_or_fail(self):
        items = {item.code: item for item in seeded().items.all()}
        assert {code: items[code].measures for code in ("OCC-01", "OCC-02", "OCC-03")} == {
            "OCC-01": Measure.PERSONS,
            "OCC-02": Measure.BEDS,
            "OCC-03": Measure.BEDROOMS,
        }
        counting = [item for item in items.values() if item.measures]
        assert len(counting) == 3
        assert all(item.answer_type == AnswerType.NUMBER for item in counting)
        assert all(check_answer(item, 12) is None for item in counting)

    def test_the_required_topics_are_there(self):
        items = {item.code: item for item in seeded().items.all()}
        questions = " ".join(item.question for item in items.values()).lower()
        for topic in (
            "3.5 m²",
            "80×200 cm",
            "0.36 m³",
            "chair",
            "socket",
            "lock their bedroom",
            "toilet per 8",
            "shower per 8",
            "hot running water",
            "cooking places",
            "refrigerator",
            "washing machine",
            "dried outside the bedrooms",
            "under one roof",
            "smoke detector in every bedroom",
            "co detector",
            "fire extinguishers",
            "escape routes",
            "emergency lighting",
            "extension cords",
            "ventilated",
            "mould",
            "clean",
            "pests",
            "waste",
            "information card",
            "number of beds allowed",
            "emergency numbers",
            "tenancy contract",
            "employment contract",
            "deposit",
        ):
            assert topic in questions, topic
        # Fire safety: smoke and CO detectors and escape routes are critical and need a photo.
        for code in ("FIRE-02", "FIRE-03", "FIRE-05"):
            assert items[code].failure_severity == "critical", code
            assert items[code].photo_required, code
        smoke = items["FIRE-01"]
        assert (smoke.answer_type, smoke.min_value, smoke.max_value) == ("number", 1, None)
        mould = items["HYG-02"]
        assert (mould.passing_answer, mould.photo_required, mould.theme) == (False, True, "hygiene")
        heating = items["FAC-06"]
        assert heating.answer_type == AnswerType.CHOICE
        assert heating.choices == ["central", "electric", "stove", "none"]
        assert heating.passing_choices == ["central", "electric"]
        assert items["INFO-01"].norm_article.endswith("information card required since 2021")
        assert "Wet goed verhuurderschap" in items["INFO-04"].norm_article
        assert items["INFO-07"].answer_type == AnswerType.TEXT

    def test_seeding_again_changes_nothing(self):
        before = template_state(seeded())
        seed_data.seed(ChecklistTemplate, ChecklistItem)
        assert ChecklistTemplate.objects.filter(code="snf-inspection").count() == 1
        assert template_state(seeded()) == before

    def test_seeding_an_empty_database_creates_the_template(self):
        seeded().delete()
        seed_data.seed(ChecklistTemplate, ChecklistItem)
        assert seeded().items.count() == len(seed_data.ITEMS)


# Checking answers


def item(answer_type, code="X-01", **fields) -> ChecklistItem:
    return ChecklistItem(code=code, answer_type=answer_type, **fields)


class TestCheckAnswer:
    def test_yes_no(self):
        present = item("yes_no", "FIRE-02", passing_answer=True)
        mould = item("yes_no", "HYG-02", passing_answer=False)
        assert check_answer(present, True) is True
        assert check_answer(present, False) is False
        assert check_answer(mould, False) is True
        assert check_answer(mould, True) is False
        assert check_answer(present, None) is None  # not applicable

    @pytest.mark.parametrize("value", ["maybe", "true", 1, 0, 1.0, [True]])
    def test_yes_no_takes_booleans_only(self, value):
        with pytest.raises(ValueError, match=r"^FIRE-02 expects yes or no \(true/false\), got"):
            check_answer(item("yes_no", "FIRE-02", passing_answer=True), value)

    def test_the_message_shows_what_was_sent(self):
        with pytest.raises(ValueError, match="maybe") as error:
            check_answer(item("yes_no", "FIRE-02", passing_answer=True), "maybe")
        assert str(error.value) == "FIRE-02 expects yes or no (true/false), got 'maybe'."

    @pytest.mark.parametrize(
        ("value", "passed"),
        [(0, False), (1, True), (2, True), (1.5, True), (Decimal("3"), True), (0.99, False)],
    )
    def test_numbers_pass_from_the_minimum(self, value, passed):
        assert check_answer(item("number", "FIRE-01", min_value=Decimal("1")), value) is passed

    def test_numbers_within_both_bounds(self):
        ranged = item("number", min_value=Decimal("1"), max_value=Decimal("4.5"))
        assert [check_answer(ranged, v) for v in (0, 1, 4.5, 4.51, 10)] == [
            False,
            True,
            True,
            False,
            False,
        ]
        assert check_answer(item("number", max_value=Decimal("2")), -5) is True  # open below

    def test_numbers_without_bounds_neither_pass_nor_fail(self):
        assert check_answer(item("number"), 7) is None

    @pytest.mark.parametrize(
        "value",
        [True, False, "3", "", [1], {"n": 1}, math.nan, math.inf, -math.inf, Decimal("NaN")],
    )
    def test_numbers_are_finite_numbers_and_not_booleans(self, value):
        with pytest.raises(ValueError, match=r"^FIRE-01 expects a (finite )?number, got"):
            check_answer(item("number", "FIRE-01", min_value=Decimal("1")), value)

    @pytest.mark.parametrize("value", [0, 12, 12.0, Decimal("3")])
    def test_counts_have_no_pass_or_fail(self, value):
        assert check_answer(item("number", "OCC-01", measures="persons"), value) is None

    @pytest.mark.parametrize("value", [-1, -0.5, 2.5, Decimal("0.1")])
    def test_counts_are_whole_and_not_negative(self, value):
        with pytest.raises(ValueError, match=r"^OCC-02 counts beds in use: expects a whole number"):
            check_answer(item("number", "OCC-02", measures="beds_in_use"), value)

    def test_counts_are_not_booleans(self):
        with pytest.raises(ValueError, match="OCC-01 expects a number"):
            check_answer(item("number", "OCC-01", measures="persons"), True)

    def test_choices(self):
        heating = item(
            "choice",
            "FAC-06",
            choices=["central", "electric", "stove", "none"],
            passing_choices=["central", "electric"],
        )
        assert check_answer(heating, "central") is True
        assert check_answer(heating, "stove") is False
        assert check_answer(heating, "none") is False
        assert check_answer(heating, None) is None
        for wrong in ("gas", "Central", "", 1, True, ["central"]):
            with pytest.raises(
                ValueError,
                match=r"^FAC-06 expects one of 'central', 'electric', 'stove', 'none', got",
            ):
                check_answer(heating, wrong)

    def test_choices_without_passing_ones_neither_pass_nor_fail(self):
        assert check_answer(item("choice", choices=["a", "b"], passing_choices=[]), "a") is None

    def test_text(self):
        other = item("text", "INFO-07")
        assert check_answer(other, "Bicycles in the hall.") is None
        assert check_answer(other, "") is None
        assert check_answer(other, "x" * 2000) is None
        with pytest.raises(ValueError, match=r"INFO-07 takes at most 2000 characters.*got 2001"):
            check_answer(other, "x" * 2001)
        with pytest.raises(ValueError, match="INFO-07 expects text, got 5"):
            check_answer(other, 5)

    def test_every_seeded_item_takes_a_typical_answer(self):
        typical = {"yes_no": True, "number": 3, "text": "ok"}
        for seeded_item in seeded().items.all():
            value = (
                seeded_item.choices[0] if seeded_item.choices else typical[seeded_item.answer_type]
            )
            check_answer(seeded_item, value)


# Versions: publish, copy, edit drafts only


class TestVersions:
    def test_a_published_version_cannot_be_published_again(self, admin):
        with pytest.raises(Conflict, match="version 1 is published already") as error:
            publish_template(actor=admin, template=seeded())
        assert error.value.status_code == 409

    def test_the_items_of_a_published_version_never_change(self, admin):
        template = seeded()
        before = template_state(template)
        first = template.items.get(code="FIRE-02")
        attempts = [
            lambda: update_item(actor=admin, item=first, data={"question": "Changed?"}),
            lambda: add_item(actor=admin, template=template, data=self.new_item()),
            lambda: remove_item(actor=admin, item=first),
        ]
        for attempt in attempts:
            with pytest.raises(Conflict) as error:
                attempt()
            assert error.value.status_code == 409
            assert "published version 1 never changes: make a new version" in str(error.value)
        assert template_state(template) == before

    def new_item(self, **changes) -> dict:
        return {
            "code": "FIRE-09",
            "theme": "fire_safety",
            "question": "Is there a fire escape plan on every floor?",
            "answer_type": "yes_no",
            "passing_answer": True,
            "failure_severity": "major",
            "norm_article": "SNF norm §4.4",
            **changes,
        }

    def test_a_new_version_is_a_draft_copy_that_can_be_edited_and_published(self, admin):
        v1 = seeded()
        before = template_state(v1)

        v2 = new_version(actor=admin, template=v1)

        assert (v2.code, v2.version, v2.status, v2.published_at) == (
            "snf-inspection",
            2,
            "draft",
            None,
        )
        assert (v2.name, v2.source) == (v1.name, v1.source)
        assert items_of(v2) == items_of(v1)
        assert not set(v2.items.values_list("id", flat=True)) & set(
            v1.items.values_list("id", flat=True)
        )
        assert current_template() == v1  # a draft is not used for planning

        changed = update_item(
            actor=admin, item=v2.items.get(code="FIRE-04"), data={"failure_severity": "critical"}
        )
        assert changed.failure_severity == "critical"
        added = add_item(actor=admin, template=v2, data=self.new_item(position=2))
        assert added.position == 2
        assert list(v2.items.order_by("position").values_list("code", flat=True)[:3]) == [
            "OCC-01",
            "FIRE-09",
            "OCC-02",
        ]
        remove_item(actor=admin, item=v2.items.get(code="INFO-07"))
        count = len(seed_data.ITEMS)
        assert list(v2.items.order_by("position").values_list("position", flat=True)) == list(
            range(1, count + 1)
        )

        published = publish_template(actor=admin, template=v2)

        assert published.status == "published"
        assert published.published_at is not None
        assert current_template() == published
        assert template_state(v1) == before  # v1 is exactly what it was
        with pytest.raises(Conflict, match="published version 2 never changes"):
            update_item(actor=admin, item=v2.items.get(code="FIRE-09"), data={"question": "?"})

        v3 = new_version(actor=admin, template=v1)  # from an older version: numbered after v2
        assert v3.version == 3
        assert items_of(v3) == items_of(v1)

    def test_one_draft_at_a_time(self, admin):
        v2 = new_version(actor=admin, template=seeded())
        with pytest.raises(Conflict, match="has a draft already"):
            new_version(actor=admin, template=seeded())
        with pytest.raises(Conflict, match="is a draft: edit it directly"):
            new_version(actor=admin, template=v2)

    def test_a_template_without_items_is_not_published(self, admin):
        empty = ChecklistTemplate.objects.create(
            code="empty", version=1, name="Empty", source="none"
        )
        with pytest.raises(Conflict, match="has no items: add items before publishing"):
            publish_template(actor=admin, template=empty)
        empty.refresh_from_db()
        assert empty.status == "draft"

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"passing_answer": None}, "passing_answer"),
            ({"answer_type": "choice", "passing_answer": None}, "choices"),
            ({"answer_type": "number", "passing_answer": None, "measures": "beds"}, "measures"),
            ({"theme": "kitchen"}, "theme"),
            (
                {"answer_type": "number", "passing_answer": None, "min_value": 5, "max_value": 2},
                "max_value",
            ),
            ({"question": ""}, "question"),
            ({"colour": "red"}, "colour"),
        ],
    )
    def test_a_draft_item_stays_consistent(self, admin, changes, field):
        v2 = new_version(actor=admin, template=seeded())
        target = v2.items.get(code="FIRE-02")
        with pytest.raises(ValidationError) as error:
            update_item(actor=admin, item=target, data=changes)
        assert field in error.value.detail
        target.refresh_from_db()
        assert target.answer_type == "yes_no"

    def test_choice_items_need_passing_choices_among_their_choices(self, admin):
        v2 = new_version(actor=admin, template=seeded())
        with pytest.raises(ValidationError) as error:
            add_item(
                actor=admin,
                template=v2,
                data=self.new_item(
                    answer_type="choice",
                    passing_answer=None,
                    choices=["a", "b"],
                    passing_choices=["c"],
                ),
            )
        assert "passing_choices" in error.value.detail

    def test_item_codes_are_unique_per_version(self, admin):
        v2 = new_version(actor=admin, template=seeded())
        with pytest.raises(Conflict, match="FIRE-02 is in use in this version already"):
            add_item(actor=admin, template=v2, data=self.new_item(code="FIRE-02"))

    def test_changes_are_audited_without_a_municipality(self, admin):
        v2 = new_version(actor=admin, template=seeded())
        update_item(actor=admin, item=v2.items.get(code="SAN-03"), data={"guidance": "Hot?"})
        publish_template(actor=admin, template=v2)
        events = AuditEvent.objects.filter(target_type__startswith="inspections.checklist")
        assert [(e.action, e.target_type) for e in events.order_by("id")] == [
            ("create", "inspections.checklisttemplate"),
            ("update", "inspections.checklistitem"),
            ("status_change", "inspections.checklisttemplate"),
        ]
        assert all(e.municipality_code is None and e.actor == admin for e in events)
        assert events.get(action="update").changes["guidance"][1] == "Hot?"

    def test_without_a_published_version_planning_is_told_what_to_do(self):
        with pytest.raises(Conflict, match="No version of checklist other is published"):
            current_template("other")


# The API


class TestApi:
    def test_who_may_read(self, api_client, make_user, client_for):
        assert api_client.get(URL).status_code == 401
        assert client_for(make_user(Role.EMPLOYER)).get(URL).status_code == 403
        assert client_for(make_user(Role.NATIONAL_READONLY)).get(URL).status_code == 403
        for role in (Role.INSPECTOR, Role.PLANNER, Role.ENFORCEMENT_OFFICER, Role.MUNICIPAL_ADMIN):
            assert client_for(make_user(role, ["GM1783"])).get(URL).status_code == 200, role
        detail = f"{URL}{seeded().pk}/"
        assert api_client.get(detail).status_code == 401
        assert client_for(make_user(Role.EMPLOYER)).get(detail).status_code == 403

    def test_list_with_item_counts_and_filters(self, inspector_client, admin):
        new_version(actor=admin, template=seeded())
        response = inspector_client.get(URL)
        assert response.status_code == 200
        rows = response.json()["results"]
        assert [(r["code"], r["version"], r["status"]) for r in rows] == [
            ("snf-inspection", 1, "published"),
            ("snf-inspection", 2, "draft"),
        ]
        assert rows[0]["items_count"] == rows[1]["items_count"] == len(seed_data.ITEMS)
        assert "items" not in rows[0]
        published = inspector_client.get(URL, {"status": "published"}).json()["results"]
        assert [r["version"] for r in published] == [1]
        assert inspector_client.get(URL, {"code": "other"}).json()["results"] == []

    def test_detail_with_items_in_position_order_and_an_etag(self, inspector_client):
        response = inspector_client.get(f"{URL}{seeded().pk}/")
        assert response.status_code == 200
        body = response.json()
        assert body["items_count"] == len(body["items"]) == len(seed_data.ITEMS)
        assert [i["position"] for i in body["items"]] == list(range(1, len(body["items"]) + 1))
        assert body["items"][0]["code"] == "OCC-01"
        heating = next(i for i in body["items"] if i["code"] == "FAC-06")
        assert heating["passing_choices"] == ["central", "electric"]
        etag = response["ETag"]
        again = inspector_client.get(f"{URL}{seeded().pk}/", HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304

    def test_administrators_publish_and_make_new_versions(self, client_for, admin):
        client = client_for(admin)
        v1 = seeded()

        refused = client.post(f"{URL}{v1.pk}/publish/")
        assert refused.status_code == 409
        assert refused["Content-Type"] == "application/problem+json"
        assert "make a new version" in refused.json()["detail"]

        created = client.post(f"{URL}{v1.pk}/new-version/")
        assert created.status_code == 201
        v2 = created.json()
        assert (v2["version"], v2["status"], len(v2["items"])) == (2, "draft", len(seed_data.ITEMS))

        stale = client.post(f"{URL}{v2['id']}/publish/", HTTP_IF_MATCH='"stale"')
        assert stale.status_code == 412
        etag = client.get(f"{URL}{v2['id']}/")["ETag"]
        published = client.post(f"{URL}{v2['id']}/publish/", HTTP_IF_MATCH=etag)
        assert published.status_code == 200
        assert published.json()["status"] == "published"
        assert published.json()["published_at"]

    def test_inspectors_may_not_publish_or_version(self, inspector_client, admin):
        v2 = new_version(actor=admin, template=seeded())
        assert inspector_client.post(f"{URL}{v2.pk}/publish/").status_code == 403
        assert inspector_client.post(f"{URL}{seeded().pk}/new-version/").status_code == 403
        v2.refresh_from_db()
        assert v2.status == "draft"
        assert ChecklistTemplate.objects.count() == 2

    def test_the_list_runs_a_constant_number_of_queries(self, inspector_client, admin):
        def queries() -> int:
            with CaptureQueriesContext(connection) as context:
                assert inspector_client.get(URL).status_code == 200
            return len(context)

        few = queries()
        for _ in range(4):
            latest = ChecklistTemplate.objects.order_by("-version").first()
            publish_template(actor=admin, template=new_version(actor=admin, template=latest))
        assert ChecklistTemplate.objects.count() == 5
        assert queries() == few
        assert few <= 6  # savepoint, token (2), roles, the page, release

    def test_the_detail_runs_a_constant_number_of_queries(self, inspector_client, admin):
        def queries(template) -> int:
            with CaptureQueriesContext(connection) as context:
                assert inspector_client.get(f"{URL}{template.pk}/").status_code == 200
            return len(context)

        v2 = new_version(actor=admin, template=seeded())
        for extra in v2.items.order_by("-position")[:30]:
            remove_item(actor=admin, item=extra)
        assert v2.items.count() < seeded().items.count()
        assert queries(v2) == queries(seeded())
        assert queries(seeded()) <= 7  # savepoint, token (2), roles, template, items, release
