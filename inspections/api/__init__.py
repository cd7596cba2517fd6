"""The domain's HTTP API: thin views over inspections.services and inspections.selectors."""
