"""Making an answer: the reader (an LLM over numbered source sentences), its prompts, and
the candidate sentences it reads. The extractive generator is ``rag.generation.extractive``."""
