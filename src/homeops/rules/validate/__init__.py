"""Validate rules: each reads the built repository (``homeops.validate.context.ValidateContext``)."""
