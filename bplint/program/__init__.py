"""The program a checked file belongs to: the project modules it imports, found as Python would.

``imports`` reads a module's import statements from its text, ``finder`` resolves them to files
of the project (never installed packages), and ``grouping`` gathers the checked files into the
programs that are analysed together (see ``docs/programs.md``).
"""
