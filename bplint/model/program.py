"""The model of a program of several modules: their models read as one, each unit knowing its
module.

The interpreter runs every module's top-level code in order and keeps each module's globals
apart (see :meth:`FileModel.bodies` and :meth:`FileModel.bindings_of`); what is about the whole
network (the locations it trains, its weights, its updates, the names called anywhere) is the
union over the modules, so that ``train.py``'s call sizes ``layers.py``'s weights.
"""

from __future__ import annotations

from typing import Sequence

from bplint.model.units import FileModel, ModulePart


def program_model(parts: Sequence[ModulePart]) -> FileModel:
    """One model of ``parts`` (in the order they run); the last part's syntax tree stands for
    the program where one tree is asked for (to print an expression)."""
    merged = FileModel(parts[-1].model.module, parts=tuple(parts))
    for part in parts:
        model = part.model
        for function in model.functions:
            function.module = part.key
        for cls in model.classes.values():
            cls.module = part.key
        merged.functions.extend(model.functions)
        merged.classes.update(model.classes)  # the importer's class of a name wins
        merged.module_bindings.update(model.module_bindings)
        merged.star_import = merged.star_import or model.star_import
        merged.foreign_attribute_stores |= model.foreign_attribute_stores
        merged.update_sites.update(model.update_sites)
        merged.update_aliases.update(model.update_aliases)
        merged.called_names |= model.called_names
        merged.weight_keys |= model.weight_keys
        merged.scalar_locations |= model.scalar_locations
        merged.imports.extend(model.imports)
        for (level, dotted), key in part.links.items():
            package, _, name = dotted.rpartition(".")
            outer = part.links.get((level, package)) if name and (package or level) else None
            if outer is not None:
                merged.submodules.setdefault(outer, {})[name] = key
    return merged
