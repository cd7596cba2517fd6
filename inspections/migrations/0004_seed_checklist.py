from django.db import migrations


def seed(apps, schema_editor):
    from fixtures.checklists import seed as seed_checklist

    seed_checklist(
        apps.get_model("inspections", "ChecklistTemplate"),
        apps.get_model("inspections", "ChecklistItem"),
    )


class Migration(migrations.Migration):
    dependencies = [("inspections", "0003_inspections_and_checklists")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
