from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A person who signs in: caseworker, supervisor, coordinator, auditor or administrator.

    Its own model from the start so organizations and roles can be added without swapping
    ``AUTH_USER_MODEL`` later.
    """

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.get_full_name() or self.username
