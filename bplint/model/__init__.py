"""The model of one file: its classes, functions and what each binds and reads."""

from bplint.model.build import build_model, dotted_name
from bplint.model.units import ClassModel, FileModel, Function

__all__ = ["build_model", "dotted_name", "ClassModel", "FileModel", "Function"]
