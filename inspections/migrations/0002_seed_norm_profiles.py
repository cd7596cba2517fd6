from django.db import migrations


def seed(apps, schema_editor):
    from fixtures.norm_profiles import seed as seed_profiles

    seed_profiles(
        apps.get_model("inspections", "NormProfile"),
        apps.get_model("inspections", "NormProfileAssignment"),
    )


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
