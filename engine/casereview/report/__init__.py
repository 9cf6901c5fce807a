"""Reporters: one module per output format, all rendering the same CaseResult list."""
