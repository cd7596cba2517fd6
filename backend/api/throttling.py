from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class AuthRateThrottle(SimpleRateThrottle):
    """Limits password attempts per client address and per username, against guessing."""

    scope = "auth"

    def get_rate(self):
        # Read at request time (not import time), so the rate follows the settings.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        username = str(request.data.get("username", "")).lower() if hasattr(request, "data") else ""
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"{self.get_ident(request)}:{username}",
        }
