"""Deterministic news-site comment threads, the same for every server the bench seeds.

A thread is a list of :class:`GenComment` in creation order; ``parent`` points at an earlier comment
(or is ``None`` for a top-level one). The pseudo-random sequence follows the Isso benchmark kit's
generator step for step, so a thread of N comments with seed S is identical here and there and
figures stay comparable with the kit's. Stdlib only: it runs under any Python the bench uses.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


def _words(text: str) -> list[str]:
    return text.split()


_VOCABULARY = _words(
    "the a this that council city mayor budget report article journalist editor reader readers "
    "policy government minister election vote voters housing rent prices inflation energy climate "
    "transport train bus school teachers hospital doctors police court decision people residents "
    "community local national economy jobs tax taxes plan plans year years week today yesterday "
    "really actually clearly simply probably never always often again still already just only "
    "also think believe agree disagree wonder expect hope doubt remember read wrote said says "
    "argue is are was were be been has have had will would could should might must can not no "
    "yes good bad better worse important interesting strange obvious fair unfair wrong right true "
    "false more less much many most few some every other same different new old long short big "
    "small and or but because if when while although however therefore so then than as with "
    "without for from into about over under after before between against during through of on "
    "in at to by point question answer problem issue solution data numbers evidence source "
    "sources facts story piece coverage headline comment comments thread discussion debate "
    "opinion view views argument"
)
_GIVEN = _words(
    "Anna Ben Carla David Elena Farid Grace Hugo Ines Jonas Karin Luca Maya Nils Olga Pavel Rosa "
    "Sven Tara Umar Vera Yusuf Zoe"
)
_FAMILY = _words(
    "Meyer Schmidt Novak Rossi Dubois Jensen Kowalski Silva Nagy Horvat Larsen Costa Weber "
    "Fischer Bauer Keller Wolf Braun"
)
_ENDINGS = (".", ".", ".", "?", "!")


@dataclass(frozen=True, slots=True)
class GenComment:
    """One generated comment; ``parent`` is the index of the comment it answers."""

    index: int
    parent: int | None
    author: str | None
    email: str | None
    website: str | None
    text: str


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_VOCABULARY) for _ in range(rng.randint(6, 18))]
    if rng.random() < 0.15:
        pick = rng.randrange(len(words))
        words[pick] = f"*{words[pick]}*"
    if rng.random() < 0.05:
        words.append(f"(see https://example.org/news/{rng.randint(1000, 99999)})")
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(_ENDINGS)


def _body(rng: random.Random, shortest: int = 200, longest: int = 600) -> str:
    """Markdown of 200..600 characters: sentences, sometimes a quote or a second paragraph."""
    wanted = rng.randint(shortest, longest)
    pieces: list[str] = []
    if rng.random() < 0.1:
        pieces.append("> " + _sentence(rng) + "\n\n")
    length = sum(len(p) for p in pieces)
    while length < wanted:
        if not pieces or pieces[-1].endswith("\n\n"):
            glue = ""
        else:
            glue = "\n\n" if rng.random() < 0.12 else " "
        piece = glue + _sentence(rng)
        pieces.append(piece)
        length += len(piece)
    text = "".join(pieces)
    if len(text) > longest:
        text = text[: longest - 1].rstrip() + "."
    if len(text) < shortest:
        text += " " + "x" * (shortest - len(text) - 1)
    return text


def _authors(pool: int) -> list[tuple[str, str]]:
    # Drawn from a fixed seed so every thread shares one community of readers.
    rng = random.Random(12345)
    return [
        (f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}", f"user{i:04d}@example.org")
        for i in range(pool)
    ]


def thread(
    count: int,
    seed: int,
    reply_ratio: float = 0.35,
    author_pool: int = 1000,
    email_ratio: float = 0.6,
    website_ratio: float = 0.05,
) -> list[GenComment]:
    """``count`` comments, deterministic for ``seed``; about a third of them are replies."""
    rng = random.Random(seed)
    readers = _authors(author_pool)
    out: list[GenComment] = []
    for index in range(count):
        parent = None
        if index > 0 and rng.random() < reply_ratio:
            # Most replies answer something recent; some dig up an old comment.
            if rng.random() < 0.7:
                parent = rng.randint(max(0, index - 20), index - 1)
            else:
                parent = rng.randint(0, index - 1)
        name, email = rng.choice(readers)
        anonymous = rng.random() < 0.1
        keep_email = not anonymous and rng.random() < email_ratio
        website = None
        if rng.random() < website_ratio:
            website = f"https://blog.example.org/{rng.randint(1, 500)}"
        out.append(
            GenComment(
                index=index,
                parent=parent,
                author=None if anonymous else name,
                email=email if keep_email else None,
                website=website,
                text=_body(rng),
            )
        )
    return out


def roots(comments: list[GenComment]) -> int:
    return sum(1 for c in comments if c.parent is None)
