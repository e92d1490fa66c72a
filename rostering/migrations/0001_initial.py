# SisImport moves here from the pairing app. Its table stays pairing_sisimport, so this migration
# only tells Django's state that the model is ours now; the database is not touched, and a
# database that already holds imports keeps them. The content type (and with it the admin's
# permissions and log entries) is renamed rather than made anew.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def content_type_to(app_label: str, from_label: str):
    def rename(apps, schema_editor):
        content_types = apps.get_model("contenttypes", "ContentType")
        content_types.objects.filter(app_label=from_label, model="sisimport").update(
            app_label=app_label
        )

    return rename


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0003_api_token"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("pairing", "0006_guessing_alert"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SisImport",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("filename", models.CharField(max_length=255)),
                        ("dry_run", models.BooleanField(default=False)),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("running", "Running"),
                                    ("done", "Done"),
                                    ("failed", "Failed"),
                                ],
                                default="running",
                                max_length=16,
                            ),
                        ),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("counts", models.JSONField(default=dict)),
                        ("messages", models.JSONField(default=list)),
                        ("message_count", models.PositiveIntegerField(default=0)),
                        (
                            "error",
                            models.TextField(
                                blank=True,
                                help_text="Why the upload as a whole could not be read.",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "institution",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="sis_imports",
                                to="accounts.institution",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "pairing_sisimport",
                        "ordering": ["-created_at", "-id"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("state__in", ["running", "done", "failed"])),
                                name="sis_import_state_valid",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[
                migrations.RunPython(
                    content_type_to("rostering", "pairing"), content_type_to("pairing", "rostering")
                ),
            ],
        ),
    ]
