"""Shared HTTP plumbing: access declarations, error pages, headers, transactions, pagination."""
