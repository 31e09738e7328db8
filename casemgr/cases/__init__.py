"""Cases: the workflow, notes, assessments, plans, access and search."""
