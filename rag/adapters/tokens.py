"""Token counting with tiktoken's cl100k_base, shared by chunking and the prompt budget."""

from __future__ import annotations

from functools import lru_cache

import tiktoken

TOKENIZER = "cl100k_base"


@lru_cache(maxsize=1)
def token_encoding() -> tiktoken.Encoding:
    # `rag/__init__` has pointed TIKTOKEN_CACHE_DIR at llama-index's copy: no download.
    return tiktoken.get_encoding(TOKENIZER)


def encode(text: str) -> list[int]:
    return token_encoding().encode(text, disallowed_special=())


def count_tokens(text: str) -> int:
    return len(encode(text))
