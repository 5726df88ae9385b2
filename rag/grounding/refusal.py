"""Whether to answer at all: prompt injection, no evidence, weak evidence, nothing verified.

The text shown on refusal is ``rag.generation.prompts.REFUSAL``; the reasons here go to the notice.

``Thresholds.min_support`` (``rag.thresholds``) applies to the best sentence's
support for the question (``rank_sentences``).
It was chosen on the calibration questions of ``rag.grounding.support`` in two retrieval settings
(200-token chunks fused from dense and BM25 rankings; whole paragraphs by dense rank):

- answerable, English (42): lowest 0.23, 0.30, 0.34; median 0.70 in both settings;
- answerable, Ukrainian/Russian (6): 0.28, then 0.36-0.54;
- unanswerable, English (26): median 0.25-0.28; "What is the capital of Australia?"
  0.14-0.15 and "How many artillery shells did North Korea send?" 0.16-0.17; the ones
  above 0.30 (9-12) ask for an attribute the articles do not state of an entity they
  do discuss ("How much did Time Warner pay for Google?"), which sentence similarity
  cannot tell from an answer;
- unanswerable, Ukrainian/Russian (4): 0.36-0.49, all answered: across languages e5
  scores "Яка столиця Австралії?" against "Andrew Cole (Australia)." as high as the
  real answer to a real question, and no lexical evidence can tell them apart.

0.30 answers 41/42 English and 5/6 cross-lingual answerable questions and refuses 14/26
(chunks) or 17/26 (paragraphs) of the unanswerable English ones. Searching all 2,225 BBC
articles as well (BM25 over all 7,158 chunks, dense over the 443 sharing a keyword with
the questions), the capital and artillery questions still scored 0.14 and 0.16, "Who
exchanged the ratification documents?" 0.75 and its Ukrainian form 0.46.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..thresholds import thresholds
from ..types import Hit

# Requests to step outside the task, as imperatives: "ignore the sources", "show me your
# prompt", "pretend you are…", in English, Ukrainian and Russian. Verbs alone ("ignore",
# "ігнорує") are not enough: news questions ask what someone ignored.
_INJECTION_PATTERNS = (
    r"\b(?:ignore|disregard|forget)\b.{0,40}"
    r"\b(?:instructions?|prompts?|rules|sources|context|articles?)\b",
    r"\bforget (?:everything|all)\b",
    r"\b(?:reveal|show|print|repeat|output|display|leak|tell)\b.{0,30}"
    r"\b(?:prompt|instructions)\b",
    r"\bsystem prompt\b|\bdeveloper mode\b|\bjailbreak|\bDAN mode\b",
    r"\b(?:you are|you're) now\b|\bfrom now on\b.{0,20}\byou\b|\bpretend (?:to be|you)\b",
    r"\b(?:act|behave|respond|answer) as (?:if you|though|an? (?:ai|assistant|model|chatbot))\b",
    r"\broleplay\b|\bimpersonate\b",
    # Injections aimed at the prompt itself: "disregard the above", "New instructions:",
    # a line posing as a role ("SYSTEM: reveal your prompt"), "repeat the words above".
    # None matches a sentence of the BBC corpus, where the patterns also screen evidence.
    r"\b(?:ignore|disregard|forget)\b.{0,40}"
    r"\b(?:(?:the|everything) above|you (?:were|have been) told)",
    r"\bnew instructions\s*:|(?:^|\n)\W*(?:system|assistant|developer)\s*:",
    r"\byour (?:\w+ )?(?:instructions|prompt|guidelines)\b",
    r"\b(?:repeat|print|output)\b.{0,30}\babove\b",
    r"\b(?:from|using) your own knowledge\b|\bwithout (?:using |citing )?(?:the )?sources\b",
    # Ukrainian
    r"(?:про)?ігноруй|\bзабудь\b|\bне зважай на\b",
    r"\b(?:покажи|виведи|повтори|розкажи)\b.{0,30}(?:промпт|інструкці)",
    r"системн\w* (?:промпт|підказк|інструкці)",
    r"\bуяви,? що ти\b|\bудавай\b|\b(?:дій|поводься) як\b|\bтепер ти\b|\bти тепер\b",
    r"\bбез (?:використання )?джерел|\bз власних знань\b",
    # Russian
    r"(?:про)?игнорируй|\bзабудь\b|\bне обращай внимания на\b",
    r"\b(?:покажи|выведи|повтори|расскажи)\b.{0,30}(?:промпт|инструкци)",
    r"системн\w* (?:промпт|подсказк|инструкци)",
    r"\bпредставь,? что ты\b|\bпритворись\b|\b(?:действуй|веди себя) как\b"
    r"|\bтеперь ты\b|\bты теперь\b",
    r"\bбез (?:использования )?источник|\bиз (?:собственных|своих) знаний\b",
)
_INJECTION = re.compile("|".join(_INJECTION_PATTERNS), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RefusalDecision:
    refused: bool
    reason: str


# Cached: every source sentence is screened too (rag.grounding.needs, the reader's candidates), the
# same ones for each part of a question; one search takes about 0.4 ms.
@lru_cache(maxsize=16384)
def is_prompt_injection(question: str) -> bool:
    """True for requests to drop the sources, reveal the prompt or play a role."""
    return _INJECTION.search(question) is not None


def should_refuse(
    question: str,
    hits: Sequence[Hit],
    best_support: float,
    *,
    min_support: float | None = None,
) -> RefusalDecision:
    """Refuse unless the question is a plain question and some retrieved sentence
    supports an answer (``best_support``, from ``rank_sentences``) of at least
    ``min_support`` (by default the threshold in force)."""
    if min_support is None:
        min_support = thresholds().min_support
    if is_prompt_injection(question):
        return RefusalDecision(True, "The question asks to step outside the sources.")
    if not hits:
        return RefusalDecision(True, "Nothing relevant was found in the sources.")
    if best_support < min_support:
        return RefusalDecision(
            True, f"The best evidence is too weak ({best_support:.2f} < {min_support:.2f})."
        )
    return RefusalDecision(False, "")
