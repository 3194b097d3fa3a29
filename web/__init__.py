"""Browser-facing assets: Jinja2 templates, static ES modules and CSS, translation catalogues."""

from pathlib import Path

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
TRANSLATIONS_DIR = WEB_DIR / "translations"
