"""Reporters: findings as text or JSON."""

from bplint.report.json_format import render_json
from bplint.report.text import render_text

FORMATS = {"text": render_text, "json": render_json}

__all__ = ["FORMATS", "render_json", "render_text"]
