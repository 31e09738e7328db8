"""Operations: encrypted backups and restores, key escrow (no web routes, CLI only)."""
