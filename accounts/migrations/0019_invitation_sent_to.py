from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def sent_links_went_to_the_current_address(apps, schema_editor):
    # Links sent before the address was kept: they went to the person's address of the time,
    # which is their current one unless it changed since (then no way to tell: left working).
    Invitation = apps.get_model("accounts", "Invitation")
    User = apps.get_model("accounts", "User")
    Invitation.objects.filter(token_hash__isnull=False).update(
        sent_to=Subquery(User.objects.filter(pk=OuterRef("user_id")).values("email")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0018_audit_admin_granted"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="sent_to",
            field=models.EmailField(blank=True, default="", max_length=254),
        ),
        migrations.RunPython(sent_links_went_to_the_current_address, migrations.RunPython.noop),
    ]
