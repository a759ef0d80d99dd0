"""The shipped spam model: logistic regression on hashed n-grams of a comment's opening.

The artefact (``models/spam_v1.npz``) is produced by ``training/train_spam.py`` from the spam
set's dev rows and the comments in ``training/data/spam_written.jsonl`` (all written by Rostra's
contributors). It reads two views of the first :data:`MAX_CHARS` characters: the
evasion-normalised text (:func:`~rostra.moderation.normalize.normalize`, so ``v1agra`` reads as
``viagra``) as character 2-5-grams and word 1-2-grams, and its *shape*, where every digit is
``0`` and the punctuation of handles, prices and disguised links is kept (``@``, ``+``, ``$``,
``[.]``), as character 3-4-grams, because the normaliser reads digits as letters and phone
numbers and prices are evidence. Runtime needs numpy only.

The spam phase (:mod:`rostra.moderation.phases.spam`) adds the model's probability to the
rules' evidence; :attr:`SpamModel.threshold` is the probability calibrated on dev rows to hold
alone (see the artefact's metadata and ``docs/moderation.md``).
"""

from __future__ import annotations

import io
import json
import math
import re
import threading
import zlib
from collections.abc import Mapping
from importlib import resources
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from rostra.moderation.classifier.features import hashed_ngrams
from rostra.moderation.normalize import normalize

__all__ = ["ARTEFACT", "MAX_CHARS", "SpamModel", "features", "load_spam_model"]

ARTEFACT: Final = "spam_v1.npz"
#: Spam says what it sells early; reading more would cost time on long comments for nothing.
MAX_CHARS: Final = 1000

_DIGIT_RE: Final = re.compile(r"\d")
_SPACE_RE: Final = re.compile(r"\s+")


def shape(text: str) -> str:
    """``text`` in lower case with every digit ``0`` and runs of white space as one space."""
    return _SPACE_RE.sub(" ", _DIGIT_RE.sub("0", text.lower())).strip()


def features(text: str, n_bits: int) -> dict[int, float]:
    """The model's hashed features of ``text`` (both views, each L2-normalised, halved)."""
    head = text[:MAX_CHARS]
    out = {k: v * 0.5 for k, v in hashed_ngrams(normalize(head), n_bits).items()}
    mask = (1 << n_bits) - 1
    s = f" {shape(head)} "
    counts: dict[int, float] = {}
    crc = zlib.crc32
    for n in (3, 4):
        for i in range(len(s) - n + 1):
            h = crc(("s:" + s[i : i + n]).encode()) & mask
            counts[h] = counts.get(h, 0.0) + 1.0
    if counts:
        norm = math.sqrt(sum((1.0 + math.log(c)) ** 2 for c in counts.values()))
        for h, c in counts.items():
            out[h] = out.get(h, 0.0) + 0.5 * (1.0 + math.log(c)) / norm
    return out


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class SpamModel:
    """P(spam) of one comment from the shipped weights."""

    def __init__(self, arrays: Mapping[str, npt.NDArray[Any]]) -> None:
        meta = json.loads(str(arrays["meta"]))
        self.meta: dict[str, Any] = meta
        self.name: str = str(meta["name"])
        self._n_bits = int(meta["n_bits"])
        self._w = np.asarray(arrays["w"], dtype=np.float32)
        if self._w.shape != (1 << self._n_bits,):
            raise ValueError(f"{ARTEFACT}: weights do not match n_bits={self._n_bits}")
        self._b = float(arrays["b"])
        #: The probability at which the model holds a comment on its own.
        self.threshold: float = float(meta["threshold"])

    @classmethod
    def from_package(cls) -> SpamModel:
        ref = resources.files("rostra.moderation.classifier") / "models" / ARTEFACT
        with np.load(io.BytesIO(ref.read_bytes()), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        return cls(arrays)

    def probability(self, text: str) -> float:
        """P(spam) of ``text``; 0 for an empty or blank one."""
        if not text or not text.strip():
            return 0.0
        feats = features(text, self._n_bits)
        if not feats:
            return _sigmoid(self._b)
        idx = np.fromiter(feats.keys(), dtype=np.int64, count=len(feats))
        val = np.fromiter(feats.values(), dtype=np.float32, count=len(feats))
        return _sigmoid(float(self._w[idx] @ val) + self._b)


_LOCK = threading.Lock()
_DEFAULT: SpamModel | None = None


def load_spam_model() -> SpamModel:
    """The shipped spam model, loaded on first call and shared by the process."""
    global _DEFAULT
    if _DEFAULT is None:
        with _LOCK:
            if _DEFAULT is None:
                _DEFAULT = SpamModel.from_package()
    return _DEFAULT
