"""Audit log: who created, changed, viewed or exported what, and when (append-only)."""
