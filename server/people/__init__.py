"""People: staff accounts, roles and the names others may see."""
