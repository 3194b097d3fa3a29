"""Telling people things: notices on a parent's page and e-mail through the outbox."""
