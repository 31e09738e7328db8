"""Organisation: administrative areas and the dated tree of organisational units."""
