"""Reporters: findings as text, JSON, SARIF or GitHub Actions annotations."""

from bplint.report.github import render_github
from bplint.report.json_format import render_json
from bplint.report.sarif import render_sarif
from bplint.report.text import render_text

FORMATS = {"text": render_text, "json": render_json, "sarif": render_sarif, "github": render_github}

__all__ = ["FORMATS", "render_github", "render_json", "render_sarif", "render_text"]
