"""Rules: one module per rule, registered in ``homeops.rules.registry``.

A rule module defines::

    CODE = "HO101"                 # stable code
    NAME = "kebab-case-name"       # stable name
    SEVERITY = Severity.ERROR      # default severity
    KIND = "validate"              # "validate" rules read a built repository, "diff" rules compare two
    def check(ctx) -> Iterator[Finding]: ...

and a module docstring with three sections, ``Why:``, ``Bad:`` and ``Good:`` (``homeops rules CODE`` prints
it). ``ctx`` is a ``homeops.validate.context.ValidateContext`` for validate rules and a
``homeops.diff.context.DiffContext`` for diff rules.
"""
