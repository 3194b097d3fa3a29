"""HTTP transport: pages, the JSON API, and the pieces they share (templating, CSRF, errors)."""
