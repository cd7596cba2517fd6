"""Accounts: users, the roles they hold in municipalities, and their API tokens."""
