"""Intake reports: reports received about a child at risk (Decree 56/2017, step 1)."""
