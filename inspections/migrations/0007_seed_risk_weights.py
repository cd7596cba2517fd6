from django.db import migrations


def seed(apps, schema_editor):
    from fixtures.risk_weights import seed as seed_weights

    seed_weights(apps.get_model("inspections", "RiskWeight"))


class Migration(migrations.Migration):
    dependencies = [("inspections", "0006_risk_and_planning")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
