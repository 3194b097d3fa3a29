"""Evaluation for funders: attendance, commitment, questionnaires and safe reporting (pure)."""
