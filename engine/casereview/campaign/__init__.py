"""Review campaigns: the store, assignments, decisions, rescoring, exports."""
