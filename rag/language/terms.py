"""Content-word overlap between a question or claim and a source sentence, across scripts.

Separate from the BM25 tokenizer in ``rag.retrieval.bm25`` on purpose: grounding needs numbers
kept whole ("10,000" is one value, not "10" and "000"), Ukrainian and Russian function
words dropped, a match between "документами" and "documents", and a per-term weight
that says how informative a term is among the retrieved sentences.

A term is a *key*: the word (an irregular past form as its verb: "drew" as "draw")
transliterated to Latin letters if Cyrillic, folded so that
spelling variants meet (c/k, w/v, y/i, doubled letters, "au" as Slavic "ав"), and cut to
its first six letters. Prefix truncation is a known, language-neutral stand-in for a
stemmer; with transliteration it also matches names and loanwords across scripts
("Путін"/"Putin", "ратифікаційними"/"ratification"), which gives cross-lingual questions
some lexical evidence instead of none.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from itertools import pairwise

from .lexicon import WORD, strip_possessive

_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")
_KEY_LENGTH = 6
# Keys shorter than this only match exactly or inflected: a short key is too ambiguous as
# a prefix ("war" in "ward"), but "hail" is still "hailed" and "vote" still "voted".
_MIN_PREFIX = 5
_INFLECTIONS = frozenset(("s", "es", "ed", "in", "er"))

_CYRILLIC_TO_LATIN = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "ґ": "g",
        "д": "d",
        "е": "e",
        "є": "e",
        "ё": "e",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "і": "i",
        "ї": "i",
        "й": "i",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "h",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ъ": "",
        "ы": "i",
        "ь": "",
        "э": "e",
        "ю": "iu",
        "я": "ia",
        "'": "",
        "’": "",
    }
)
# Latin spellings folded towards how Ukrainian and Russian transliterate them.
_FOLDS = (
    ("ph", "f"),
    ("th", "t"),
    ("ck", "k"),
    ("qu", "kv"),
    ("x", "ks"),
    ("c", "k"),
    ("q", "k"),
    ("w", "v"),
    ("y", "i"),
    ("j", "i"),
    ("au", "av"),
    ("eu", "ev"),
)
_DOUBLED = re.compile(r"(.)\1+")
# English inflections, cut before the prefix is taken: "plays" and "played" both "play".
_SUFFIX = re.compile(r"(?<=\w{3})(?:ing|ed|(?:(?<=[sxz])|(?<=[cs]h))es|(?<![su])s)$")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")

_STOP_EN = (
    "a about above after again against all also am among an and any are as at be because "
    "been before being below between both but by can could did do does doing done down "
    "during each either else ever few for from further had has have having he her here "
    "hers him his how however i if in into is it its itself just may me might more most "
    "much must my no nor not now of off on once only or other our ours out over own per "
    "said same say says she should since so some such than that the their theirs them then "
    "there these they this those through to too under until up upon us very via was we "
    "were what whatever when where whether which while who whom whose why will with within "
    "without would yet yes you your yours many one ok okay"
)
# The function words of Ukrainian and Russian questions ("Хто…", "Скільки…", "Когда…").
_STOP_UK_RU = (
    "і й та а але або в у на з із зі до від по про за для що це як хто коли де чому який "
    "яка яке які якого скільки чи не ні так його її їх він вона вони ми ви ти я бути був "
    "була було були є "
    "и да но или во со к ко от о об что это как кто когда где почему какой какая какое "
    "какие сколько ли не ни так его ее её их он она они мы вы ты быть был была было были "
    "есть же бы"
)
STOPWORDS = frozenset((_STOP_EN + " " + _STOP_UK_RU).split())
ENGLISH_STOPWORDS = frozenset(_STOP_EN.split())
# Irregular English past forms and their verbs: a prefix cannot tell that "drew" is "draw"
# or "sold" is "sell", and questions ask in the present what articles report in the past.
# Forms that are also common other words ("left", "found", "saw", "rose") are left out.
_IRREGULAR = {
    form: verb
    for verb, forms in (
        ("arise", "arose arisen"),
        ("become", "became"),
        ("begin", "began begun"),
        ("break", "broke broken"),
        ("bring", "brought"),
        ("build", "built"),
        ("buy", "bought"),
        ("catch", "caught"),
        ("choose", "chose chosen"),
        ("come", "came"),
        ("deal", "dealt"),
        ("draw", "drew drawn"),
        ("drive", "drove driven"),
        ("eat", "ate eaten"),
        ("fall", "fallen"),
        ("feel", "felt"),
        ("fight", "fought"),
        ("fly", "flew flown"),
        ("forget", "forgot forgotten"),
        ("freeze", "froze frozen"),
        ("get", "got gotten"),
        ("give", "gave given"),
        ("go", "went gone"),
        ("grow", "grew grown"),
        ("hear", "heard"),
        ("hide", "hid hidden"),
        ("hold", "held"),
        ("keep", "kept"),
        ("know", "knew known"),
        ("lay", "laid"),
        ("lead", "led"),
        ("lend", "lent"),
        ("lose", "lost"),
        ("make", "made"),
        ("mean", "meant"),
        ("meet", "met"),
        ("pay", "paid"),
        ("ride", "rode ridden"),
        ("rise", "risen"),
        ("run", "ran"),
        ("say", "said"),
        ("see", "seen"),
        ("seek", "sought"),
        ("sell", "sold"),
        ("send", "sent"),
        ("shake", "shook shaken"),
        ("shoot", "shot"),
        ("show", "shown"),
        ("sing", "sang sung"),
        ("sink", "sank sunk"),
        ("sit", "sat"),
        ("sleep", "slept"),
        ("speak", "spoke spoken"),
        ("spend", "spent"),
        ("stand", "stood"),
        ("steal", "stole stolen"),
        ("strike", "struck stricken"),
        ("swim", "swam swum"),
        ("take", "took taken"),
        ("teach", "taught"),
        ("tear", "tore torn"),
        ("tell", "told"),
        ("think", "thought"),
        ("throw", "threw thrown"),
        ("understand", "understood"),
        ("wake", "woke woken"),
        ("wear", "wore worn"),
        ("win", "won"),
        ("withdraw", "withdrew withdrawn"),
        ("write", "wrote written"),
    )
    for form in forms.split()
}


def tokens(text: str) -> list[str]:
    """Lower-cased words and whole numbers ("10,000" → "10000"), possessives removed."""
    out: list[str] = []
    # Lower-cased, then split (``values.words`` splits the original): "İ" lower-cases to
    # "i" and a combining dot, which ends a word, so the two orders differ there.
    for match in WORD.finditer(text.lower()):
        token = match.group()
        if _THOUSANDS.fullmatch(token):
            out.append(token.replace(",", ""))
        elif token[0].isdigit():
            out.append(token)
        else:
            out.append(strip_possessive(token))
    return out


@lru_cache(maxsize=65536)
def key(word: str) -> str:
    """The comparable form of one lower-cased word (see the module docstring)."""
    if word[0].isdigit():
        return word
    word = _IRREGULAR.get(word, word)
    if word.isascii():
        word = _SUFFIX.sub("", word)
    latin = unicodedata.normalize("NFKD", word.translate(_CYRILLIC_TO_LATIN))
    latin = "".join(ch for ch in latin if ch.isascii() and ch.isalpha())
    for old, new in _FOLDS:
        latin = latin.replace(old, new)
    return _DOUBLED.sub(r"\1", latin)[:_KEY_LENGTH] or word


def is_cyrillic(text: str) -> bool:
    return _CYRILLIC.search(text) is not None


def content_sequence(text: str) -> list[str]:
    """Keys of the words that carry meaning, in order: no stopwords, no single letters."""
    return [key(t) for t in tokens(text) if t not in STOPWORDS and (len(t) > 1 or t.isdigit())]


def content_terms(text: str) -> frozenset[str]:
    return frozenset(content_sequence(text))


def phrase_coverage(query: Sequence[str], sentence: Sequence[str]) -> float:
    """Share of the query's adjacent key pairs that are adjacent, in order, in the sentence:
    "ratification documents" is stronger evidence than both words far apart."""
    pairs = list(pairwise(query))
    if not pairs:
        return 0.0
    present = list(pairwise(sentence))
    found = sum(1 for a, b in pairs if any(matches(a, x) and matches(b, y) for x, y in present))
    return found / len(pairs)


def proximity(query: Sequence[str], sentence: Sequence[str]) -> float:
    """How closely ``sentence`` packs the query terms, in [0, 1]: (m - 1) / (w - 1) for the
    shortest window of w keys holding all m distinct matched terms, times the share m/q
    of the q query terms matched; 0 when m < 2. Terms near each other are more likely
    one statement about them (term-proximity ranking); two common words side by side
    should not outweigh most of the question close together."""
    wanted = set(query)
    hits = [(i, t) for i, word in enumerate(sentence) for t in wanted if matches(t, word)]
    distinct = {t for _, t in hits}
    if len(distinct) < 2:
        return 0.0
    best = len(sentence)
    counts: dict[str, int] = {}
    left = 0
    for position, term in hits:
        counts[term] = counts.get(term, 0) + 1
        while len(counts) == len(distinct):
            best = min(best, position - hits[left][0] + 1)
            first = hits[left][1]
            counts[first] -= 1
            if not counts[first]:
                del counts[first]
            left += 1
    return (len(distinct) - 1) / max(1, best - 1) * len(distinct) / len(wanted)


def covers(term: str, terms: frozenset[str]) -> bool:
    """True when ``terms`` holds ``term`` or a key that ``matches`` it."""
    return term in terms or any(matches(term, other) for other in terms)


def matches(a: str, b: str) -> bool:
    """Equal keys, or one starting the other ("korea", "korean"); numbers only match
    exactly, short keys only with an inflection ("hail", "hailed")."""
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if a[0].isdigit() or not long_.startswith(short):
        return False
    rest = long_[len(short) :]
    return len(short) >= _MIN_PREFIX or rest in _INFLECTIONS or (rest == "d" and short[-1] == "e")


def idf_weights(query: frozenset[str], pool: Sequence[frozenset[str]]) -> dict[str, float]:
    """BM25's idf of each query term over ``pool`` (the candidate sentences): a term
    found in few of them, or in none, weighs more than one found in most."""
    n = len(pool)
    weights: dict[str, float] = {}
    for term in query:
        df = sum(1 for terms in pool if covers(term, terms))
        weights[term] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
    return weights


def coverage(
    query: frozenset[str], sentence: frozenset[str], weights: Mapping[str, float]
) -> float:
    """Share of the query's weight that ``sentence`` covers, in [0, 1]."""
    total = sum(weights.get(t, 1.0) for t in query)
    if total <= 0:
        return 0.0
    return sum(weights.get(t, 1.0) for t in query if covers(t, sentence)) / total
