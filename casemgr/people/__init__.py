"""Persons (data subjects): identity held encrypted, erasure by crypto-shredding, attachments."""
