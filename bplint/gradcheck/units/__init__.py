"""Every forward/backward unit of a program checked against finite differences.

:mod:`~bplint.gradcheck.units.discover` finds the units statically (in the parent process, no
NumPy); :mod:`~bplint.gradcheck.units.probe` runs each in the gradcheck subprocess, with
arguments from :mod:`~bplint.gradcheck.units.arguments`, judged by
:mod:`~bplint.gradcheck.units.compare`; :mod:`~bplint.gradcheck.units.report` prints them.
"""
