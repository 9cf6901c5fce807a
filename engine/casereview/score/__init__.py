"""Score a case's findings against a campaign profile (评查标准)."""
