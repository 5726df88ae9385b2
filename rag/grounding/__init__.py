"""Deciding what an answer may say: support scores, what a question needs, evidence
ranking, citations, conflicts, refusal, and the checks a reader's answer must pass."""
