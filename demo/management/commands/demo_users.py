"""Create (or reset) the demo users listed in ``settings.DEMO_USERS``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the demo users (alice, bob, staff) with the passwords shown on the login page."

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        for spec in settings.DEMO_USERS:
            user, created = users.objects.get_or_create(username=spec["username"])
            user.set_password(spec["password"])
            user.is_staff = user.is_superuser = spec["staff"]
            user.save()
            verb = "Created" if created else "Reset"
            self.stdout.write(f"{verb} demo user {user.username!r}.")
