# SisImport now belongs to the rostering app (rostering 0001), which keeps its table: the model
# leaves this app's state only, and the table stays where it is.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("pairing", "0007_jobs_on_procrastinate"),
        ("rostering", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SisImport")],
            database_operations=[],
        ),
    ]
