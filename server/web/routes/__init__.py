"""Route modules, one per audience: the public, parents, staff, calendars and the JSON API."""
