"""Making an answer: the Generator protocol (`base`), the generators by name (`registry`),
the extractive generator, and the LLM generators' reader over numbered source sentences
(`llm`, `candidates`, `reader`, `prompts`)."""
