from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "backend.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        from . import schema  # noqa: F401 - registers the OpenAPI description of our tokens
