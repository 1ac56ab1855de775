"""The rule catalogue: one Markdown document per rule, installed as ``bplint.rules``."""
