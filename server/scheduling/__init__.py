"""Scheduling: program templates, series of themed sessions and their recurrence."""
