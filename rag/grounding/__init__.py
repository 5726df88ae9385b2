"""Deciding what an answer may say: the checks a reader's answer must pass to stand."""
