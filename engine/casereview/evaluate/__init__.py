"""Evaluate compiled rules over a case's facts: durable_rules (primary) and the oracle."""
