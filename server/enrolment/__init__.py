"""Enrolment: parents take a seat in a series under a pseudonym, or wait for one."""
