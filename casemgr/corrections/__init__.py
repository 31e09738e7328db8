"""Corrections without losing history: a correction supersedes a record with a new row, a void
marks it voided; nothing is deleted (issue 11, item 3)."""
