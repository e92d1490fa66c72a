"""A fresh installation's first institution and admin, from the command line (docs/deploying.md)."""

import getpass
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Institution, User

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-district-passphrase-7"


def create(*args, password=PASSWORD, again=None, monkeypatch):
    answers = iter([password, again or password])
    monkeypatch.setattr(getpass, "getpass", lambda prompt: next(answers))
    out = StringIO()
    call_command("create_institution", *args, stdout=out)
    return out.getvalue()


def test_it_makes_the_institution_and_its_admin_who_can_log_in(client, monkeypatch):
    output = create(
        "Springfield Schools",
        "--admin-email=it@springfield.example",
        "--admin-name=Ida Tech",
        monkeypatch=monkeypatch,
    )
    institution = Institution.objects.get(name="Springfield Schools")
    admin = User.objects.get(email="it@springfield.example")
    assert (admin.institution, admin.is_account_admin) == (institution, True)
    assert "it@springfield.example is its admin" in output
    assert client.login(username="it@springfield.example", password=PASSWORD)


def test_it_refuses_a_weak_or_mistyped_password_and_a_taken_name(monkeypatch):
    args = ("Shelbyville", "--admin-email=a@shelbyville.example", "--admin-name=A")
    with pytest.raises(CommandError, match="too common"):
        create(*args, password="password", monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="differ"):
        create(*args, again="something-else-entirely", monkeypatch=monkeypatch)
    assert not Institution.objects.exists()
    create(*args, monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="already exists"):
        create(*args, monkeypatch=monkeypatch)
