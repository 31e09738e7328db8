"""Group-specific records: drug programme, no-contact orders, child-protection forms 01-06."""
