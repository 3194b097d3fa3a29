"""Tupa: moderated online peer groups for family-support organisations."""
