"""Diff rules: each compares the two sides of a change (``homeops.diff.context.DiffContext``)."""
