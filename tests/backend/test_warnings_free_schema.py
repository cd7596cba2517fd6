"""The OpenAPI document is generated without warnings: every field and parameter has a type."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_schema_generation_has_no_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    assert (tmp_path / "schema.yaml").stat().st_size > 10_000
