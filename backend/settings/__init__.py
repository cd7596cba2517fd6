"""Settings split by environment: base (shared), dev, test, production.

Every value that differs between deployments is read from the environment
(``DATABASE_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS``, ...), see base.py.
"""
