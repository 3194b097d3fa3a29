"""The live rooms of ``tupa serve --demo`` (demo only): sessions that are always open or about to
open, a lived-in history, simulated staff, and a visitor's one-click enrolment as a parent.

Nothing here runs without ``--demo``; the accounts it makes have passwords nobody knows.
"""
