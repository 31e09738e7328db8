"""Administration: users, role assignments and organisational units."""
