"""Intervention models: registry, enrolment of cases, activities, monitoring visits, targets."""
