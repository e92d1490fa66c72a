# SIS imports become background jobs: the stored upload, its options, progress, claim and tries,
# the language and address of whoever asked, and the "waiting to start" state.

from django.conf import settings
from django.db import migrations, models

import rostering.models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_audit_actions_retention_and_personal_data"),
        ("rostering", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="sisimport",
            name="sis_import_state_valid",
        ),
        migrations.AddField(
            model_name="sisimport",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="sisimport",
            name="claim",
            field=models.UUIDField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="sisimport",
            name="client_address",
            field=models.GenericIPAddressField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="sisimport",
            name="import_type",
            field=models.CharField(
                choices=[("instructure_csv", "Canvas SIS CSV")],
                default="instructure_csv",
                max_length=32,
            ),
        ),
        migrations.AddField(
            model_name="sisimport",
            name="language",
            field=models.CharField(default="en", max_length=16),
        ),
        migrations.AddField(
            model_name="sisimport",
            name="options",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="sisimport",
            name="progress",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="sisimport",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="sisimport",
            name="upload",
            field=models.FileField(
                blank=True, max_length=255, null=True, upload_to=rostering.models.upload_path
            ),
        ),
        migrations.AlterField(
            model_name="sisimport",
            name="state",
            field=models.CharField(
                choices=[
                    ("queued", "Waiting to start"),
                    ("running", "Running"),
                    ("done", "Done"),
                    ("failed", "Failed"),
                ],
                default="queued",
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="sisimport",
            constraint=models.CheckConstraint(
                condition=models.Q(("state__in", ["queued", "running", "done", "failed"])),
                name="sis_import_state_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="sisimport",
            constraint=models.CheckConstraint(
                condition=models.Q(("import_type__in", ["instructure_csv"])),
                name="sis_import_type_valid",
            ),
        ),
    ]
