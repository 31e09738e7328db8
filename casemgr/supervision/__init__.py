"""Supervision: caseloads per worker, approvals, reassignment and deadline compliance."""
