"""The domain: organisations, housing, norms, occupancy, checklists, inspections, findings, risk.

Empty until the housing registry lands; one module per concept, see README's architecture.
"""
