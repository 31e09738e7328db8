"""Reference data: ethnic groups, target groups and their sub-groups, in Vietnamese and English."""
