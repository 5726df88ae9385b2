"""Finding the chunks near a question: the Retriever protocol, dense + BM25 fused by
reciprocal rank (`hybrid`), the persisted BM25 index (`bm25`), the opened corpus."""
