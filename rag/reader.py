"""Checks on a small model's short answer: keep it only when it is an answer span of the
evidence.

The local Gemma reads the evidence sentences and writes a few words. Measured on the
sample gold set, its words were grounded in the sentence almost always but answered the
question less than half the time ("North Korea" for who exchanged the documents: the
words are in the sentence, the answer is not). So a short answer is kept only when it is

- copied: it appears word for word in one evidence sentence, and is at most MAX_WORDS;
- new: it repeats no content word of the question ("the North Korean KCNA" does not
  answer which agency relayed KCNA's report);
- of the asked kind: a time for "when", a person's name for "who" (``rag.needs``);
- in the right place: within ``facts.WINDOW`` words of a word of the question that is
  not a name ("North Korea" stands 15 words before "exchanged"); a question with no
  such word ("Who is Andrei Rudenko?") asks for a description, which no few words do;
- not a bare name for "how" or "why".

Anything else is dropped and the evidence alone answers.
"""

from __future__ import annotations

import re

from .citations import Grounded, citation_for
from .facts import WINDOW, words
from .needs import Needs
from .overlap import content_terms, covers, key
from .question import Question
from .sentences import SourceSentence

MAX_WORDS = 8
# "How was it ratified?", "Why…": a bare name does not say how or why.
_MANNER = re.compile(
    r"^\W*(?:\w+,?\s+)?(?:how|why)\b(?!\s+(?:many|much|long|old|far|often))", re.IGNORECASE
)
_EDGES = " \t\n.,;:!?\"'“”‘’«»()[]"


def read_span(reply: str, parts: list[Question], evidence: Grounded) -> Grounded | None:
    """``reply`` (markers already removed) as a cited short answer, or None."""
    span = reply.strip(_EDGES)
    span = re.sub(r"^(?:the|a|an)\s+", "", span, flags=re.IGNORECASE)
    if not span or len(span.split()) > MAX_WORDS:
        return None
    for sentence, _ in evidence.supporting:
        for part in parts:
            if _answers(span, sentence, part):
                return Grounded(
                    answer=f"{span} [1].",
                    citations=(citation_for(1, sentence),),
                    supporting=((sentence, 1),),
                    support=evidence.support,
                )
    return None


def _answers(span: str, sentence: SourceSentence, part: Question) -> bool:
    start = _position(span, sentence.text)
    if start is None:
        return False
    if any(covers(t, content_terms(part.text)) for t in content_terms(span)):
        return False
    needs = Needs.of(part)
    if part.kind is not None and not needs.states_answer(span, span=True):
        return False
    if not needs.predicate or (_MANNER.match(part.text) and _only_names(span)):
        return False
    tokens = [key(w.lower()) for w in words(sentence.text)]
    near = tokens[max(0, start - WINDOW) : start + len(words(span)) + WINDOW]
    return any(covers(t, frozenset(near)) for t in needs.predicate)


def _only_names(span: str) -> bool:
    # Whole words, so that "Kim Jong-un" is a name throughout.
    return all(w[0].isupper() for w in span.split())


def _position(span: str, text: str) -> int | None:
    """Word index of ``span`` inside ``text`` (case and spacing ignored), or None."""
    wanted = [w.lower() for w in words(span)]
    found = [w.lower() for w in words(text)]
    if not wanted:
        return None
    for i in range(len(found) - len(wanted) + 1):
        if found[i : i + len(wanted)] == wanted:
            return i
    return None
