from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


class BearerTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer <token>` with django-rest-knox tokens (hashed, expiring, revocable).

    One message for every bad token, so it does not tell an attacker which tokens once existed.
    """

    def authenticate_credentials(self, token):
        try:
            return super().authenticate_credentials(token)
        except AuthenticationFailed as exc:
            raise AuthenticationFailed(
                _(
                    "The token is invalid, expired or revoked. Obtain a new one with "
                    "POST /api/v1/auth/tokens/."
                )
            ) from exc
