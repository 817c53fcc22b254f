"""``homeops diff``: build two revisions of the repository offline and compare what Flux would apply.

Library entry point: ``homeops.diff.api.diff(DiffOptions(...)) -> DiffResult``; outputs in
``homeops.diff.render``; the context diff rules read in ``homeops.diff.context``.
"""
