"""Draw the demo article's illustration: the Old Tollgate swing bridge across Kelmouth harbour.

An original flat-style drawing, made of code so it can be read, changed and regenerated:
``python scripts/draw_illustration.py > src/rostra/demo/static/harbour-bridge.svg``. The result
is committed and shipped with the demo; this script is not part of the package, and nothing here
runs when Rostra serves pages. A test (tests/web/test_demo.py) keeps the committed file in step
with this code. Randomness (window lights, ripples, house colours) uses a fixed seed, so
the output is the same on every run.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterable

WIDTH = 1600
HEIGHT = 900

SKY_TOP = "#86b2d6"
SKY_HORIZON = "#f6dfc4"
BRIDGE = "#a23b2a"
BRIDGE_LIGHT = "#c65a42"
BRIDGE_DARK = "#6b2418"
STONE = "#b9ab96"
STONE_DARK = "#8c7f6b"
SLATE = "#56606e"
FACADES = (
    "#f1e4c8",
    "#e9b87a",
    "#d97a5e",
    "#9cc1b5",
    "#b9cde0",
    "#e8d36f",
    "#f6f2e9",
    "#c49bb0",
    "#a9c7a0",
)

# Geometry of the bridge (side view): the deck spans the channel between the two quays and
# turns on a stone pier in the middle; the truss is deepest over the pivot, as on a real
# centre-pivot swing span, whose two arms are balanced cantilevers.
DECK_Y = 592
LEFT_END = 250
RIGHT_END = 1350
PIVOT = 800
PANELS = 10  # per arm
END_DEPTH = 46
PIVOT_DEPTH = 176
WATER_Y = 662


def _mix(colour: str, other: str, amount: float) -> str:
    """``colour`` moved ``amount`` (0..1) of the way towards ``other``: aerial haze."""
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(x + (y - x) * amount) for x, y in zip(a, b, strict=True)]
    return "#" + "".join(f"{v:02x}" for v in mixed)


def _pts(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _depth(x: float) -> float:
    d = abs(x - PIVOT) / (PIVOT - LEFT_END)
    return float(END_DEPTH + (PIVOT_DEPTH - END_DEPTH) * (1 - d) ** 1.25)


def _defs() -> str:
    return f"""<defs>
<linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
<stop offset="0" stop-color="{SKY_TOP}"/><stop offset="0.62" stop-color="#c7dbe6"/>
<stop offset="1" stop-color="{SKY_HORIZON}"/></linearGradient>
<radialGradient id="glow" cx="0.5" cy="0.5" r="0.5">
<stop offset="0" stop-color="#fff6df" stop-opacity="0.95"/>
<stop offset="0.35" stop-color="#fde9c4" stop-opacity="0.55"/>
<stop offset="1" stop-color="#fde9c4" stop-opacity="0"/></radialGradient>
<linearGradient id="water" x1="0" y1="0" x2="0" y2="1">
<stop offset="0" stop-color="#a7ccd3"/><stop offset="0.3" stop-color="#5f9aab"/>
<stop offset="1" stop-color="#1d4b5e"/></linearGradient>
<linearGradient id="hull" x1="0" y1="0" x2="0" y2="1">
<stop offset="0" stop-color="#2f5277"/><stop offset="1" stop-color="#1f3853"/></linearGradient>
<linearGradient id="yacht" x1="0" y1="0" x2="0" y2="1">
<stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="#d9dee3"/></linearGradient>
<pattern id="stones" width="44" height="22" patternUnits="userSpaceOnUse">
<rect width="44" height="22" fill="{STONE}"/>
<path d="M0 0.5H44M0 11.5H44M22 0V11M0 11V22M44 11V22" stroke="{STONE_DARK}" stroke-width="1.4"/>
</pattern>
<pattern id="bricks" width="12" height="6" patternUnits="userSpaceOnUse">
<rect width="12" height="6" fill="#b4553d"/>
<path d="M0 0.3H12M0 3.3H12M6 0V3M0 3V6" stroke="#8a3c2a" stroke-width="0.6"/></pattern>
<clipPath id="waterclip"><rect x="0" y="{WATER_Y}" width="{WIDTH}" height="{HEIGHT - WATER_Y}"/>
</clipPath>
</defs>"""


def _sky(rng: random.Random) -> list[str]:
    out = [
        f'<rect width="{WIDTH}" height="{WATER_Y}" fill="url(#sky)"/>',
        '<circle cx="1235" cy="270" r="250" fill="url(#glow)"/>',
        '<circle cx="1235" cy="270" r="58" fill="#fff5de"/>',
    ]
    for cx, cy, scale in ((260, 150, 1.1), (700, 95, 0.8), (1010, 190, 0.7), (1470, 120, 0.9)):
        blobs = []
        for i in range(5):
            dx = (i - 2) * 46 * scale
            r = (34 + rng.randint(0, 18) - abs(i - 2) * 7) * scale
            blobs.append(f'<circle cx="{cx + dx:.0f}" cy="{cy - r * 0.35:.0f}" r="{r:.0f}"/>')
        out.append(
            f'<g fill="#ffffff" opacity="0.72">{"".join(blobs)}'
            f'<rect x="{cx - 120 * scale:.0f}" y="{cy - 12 * scale:.0f}" '
            f'width="{240 * scale:.0f}" height="{24 * scale:.0f}" rx="{12 * scale:.0f}"/></g>'
        )
    return out


def _hills() -> list[str]:
    return [
        '<path d="M0 430 C160 360 300 385 420 360 C560 330 640 392 780 378 C930 362 1010 300 '
        '1160 318 C1300 334 1420 372 1600 350 V560 H0Z" fill="#a9bbc9"/>',
        '<path d="M0 478 C120 440 250 430 380 446 C520 462 600 418 760 430 C900 440 1000 470 '
        '1150 452 C1300 436 1460 420 1600 440 V560 H0Z" fill="#8fa895"/>',
    ]


def _house(
    x: float, base: float, w: float, h: float, colour: str, rng: random.Random, haze: float
) -> str:
    facade = _mix(colour, "#c8d8e2", haze)
    roof = _mix(SLATE if rng.random() < 0.7 else "#a85a43", "#c8d8e2", haze)
    glass = _mix("#43566b", "#c8d8e2", haze)
    lit = _mix("#ffe7a3", "#c8d8e2", haze)
    top = base - h
    parts = [f'<rect x="{x:.1f}" y="{top:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{facade}"/>']
    pitch = h * (0.28 + rng.random() * 0.12)
    if rng.random() < 0.6:
        parts.append(
            f'<polygon points="{_pts([(x - 3, top), (x + w / 2, top - pitch), (x + w + 3, top)])}"'
            f' fill="{roof}"/>'
        )
    else:
        hipped = [(x - 3, top), (x + w * 0.2, top - pitch * 0.8)]
        hipped += [(x + w * 0.8, top - pitch * 0.8), (x + w + 3, top)]
        parts.append(f'<polygon points="{_pts(hipped)}" fill="{roof}"/>')
        chimney_x = x + w * (0.25 + rng.random() * 0.5)
        parts.append(
            f'<rect x="{chimney_x:.1f}" y="{top - pitch * 0.8 - 10:.1f}" width="{w * 0.09 + 3:.1f}"'
            f' height="12" fill="{_mix("#8d5a48", "#c8d8e2", haze)}"/>'
        )
    cols = max(2, int(w // 18))
    rows = max(1, int(h // 26))
    win_w, win_h = w / (cols * 2.2), min(h / (rows * 2.1), 16)
    for r in range(rows):
        for c in range(cols):
            wx = x + (c + 0.5) * w / cols - win_w / 2
            wy = top + 8 + r * (h - 12) / rows
            if r == rows - 1 and c == cols // 2 and h > 40:
                parts.append(
                    f'<rect x="{wx:.1f}" y="{base - win_h * 1.6:.1f}" width="{win_w:.1f}" '
                    f'height="{win_h * 1.6:.1f}" fill="{glass}"/>'
                )
                continue
            fill = lit if rng.random() < 0.12 else glass
            parts.append(
                f'<rect x="{wx:.1f}" y="{wy:.1f}" width="{win_w:.1f}" height="{win_h:.1f}" '
                f'fill="{fill}"/>'
            )
    return "".join(parts)


def _terrace(
    rng: random.Random,
    start: float,
    stop: float,
    base: float,
    scale: float,
    haze: float,
    slope: float = 0.0,
) -> list[str]:
    out = []
    x = start
    while x < stop:
        w = (44 + rng.randint(0, 30)) * scale
        h = (62 + rng.randint(0, 46)) * scale
        out.append(_house(x, base + (x - start) * slope, w, h, rng.choice(FACADES), rng, haze))
        x += w + rng.choice((0, 0, 0, 6)) * scale
    return out


def _church() -> str:
    body = _mix("#e7dccb", "#c8d8e2", 0.45)
    roof = _mix(SLATE, "#c8d8e2", 0.45)
    glass = _mix("#43566b", "#c8d8e2", 0.45)
    return (
        f'<g><rect x="408" y="372" width="40" height="92" fill="{body}"/>'
        f'<polygon points="404,374 428,300 452,374" fill="{roof}"/>'
        f'<rect x="448" y="410" width="92" height="54" fill="{body}"/>'
        f'<polygon points="444,412 494,384 544,412" fill="{roof}"/>'
        f'<rect x="421" y="392" width="14" height="22" rx="7" fill="{glass}"/>'
        f'<line x1="428" y1="300" x2="428" y2="284" stroke="{roof}" stroke-width="3"/>'
        f'<line x1="421" y1="291" x2="435" y2="291" stroke="{roof}" stroke-width="3"/></g>'
    )


def _town(rng: random.Random) -> list[str]:
    out = [_church()]
    out += _terrace(rng, 0, 400, 506, 0.55, 0.5, slope=-0.02)
    out += _terrace(rng, 560, 1000, 498, 0.55, 0.5, slope=0.01)
    out += _terrace(rng, 1040, 1600, 512, 0.55, 0.5, slope=-0.015)
    out += _terrace(rng, -10, 1610, 560, 0.82, 0.22)
    out.append(
        f'<rect x="0" y="558" width="{WIDTH}" height="8" fill="{_mix(STONE, "#c8d8e2", 0.3)}"/>'
    )
    return out


def _basin_boats() -> list[str]:
    # Small boats moored in the inner basin, seen through the bridge.
    out = []
    for x, colour in ((330, "#e9eef2"), (560, "#c8442f"), (980, "#f3f0e8"), (1160, "#2f5277")):
        out.append(
            f'<path d="M{x} 580 h54 l-8 10 h-40z" fill="{_mix(colour, "#c8d8e2", 0.25)}"/>'
            f'<line x1="{x + 24}" y1="580" x2="{x + 24}" y2="536" stroke="#6f7b86" '
            'stroke-width="2"/>'
        )
    return out


def _truss(offset: float = 0.0, colour: str = BRIDGE, width: float = 1.0) -> list[str]:
    """One truss of the span (near, or the far one drawn darker and offset)."""
    y0 = DECK_Y + offset
    panel = (PIVOT - LEFT_END) / PANELS
    xs = [LEFT_END + i * panel for i in range(2 * PANELS + 1)]
    top = [(x, y0 - _depth(x)) for x in xs]
    members = []
    for i, x in enumerate(xs):
        members.append(f"M{x:.1f} {y0:.1f}V{top[i][1]:.1f}")
    for i in range(2 * PANELS):
        if xs[i] < PIVOT:
            members.append(f"M{xs[i]:.1f} {y0:.1f}L{top[i + 1][0]:.1f} {top[i + 1][1]:.1f}")
        else:
            members.append(f"M{top[i][0]:.1f} {top[i][1]:.1f}L{xs[i + 1]:.1f} {y0:.1f}")
    chord = " ".join(f"{x:.1f},{y:.1f}" for x, y in top)
    return [
        f'<path d="{"".join(members)}" stroke="{colour}" stroke-width="{5 * width:.1f}" '
        'fill="none" stroke-linecap="round"/>',
        f'<polyline points="{chord}" stroke="{colour}" stroke-width="{10 * width:.1f}" '
        'fill="none" stroke-linejoin="round"/>',
        f'<line x1="{LEFT_END - 4}" y1="{y0:.1f}" x2="{RIGHT_END + 4}" y2="{y0:.1f}" '
        f'stroke="{colour}" stroke-width="{11 * width:.1f}"/>',
    ]


def _people() -> list[str]:
    """A cyclist and two walkers with a dog, on the deck, seen between the truss members."""
    ink = "#2b2f36"
    cyclist = (
        f'<g fill="none" stroke="{ink}" stroke-width="3.2" stroke-linecap="round">'
        '<circle cx="585" cy="571" r="15"/><circle cx="633" cy="571" r="15"/>'
        '<path d="M585 571 L603 547 L627 547 L633 571 M603 547 L610 571 L585 571 M627 547 '
        'L624 539"/>'
        '<path d="M610 571 L617 557 L606 544 L618 521 M618 521 L630 542" stroke-width="5"/>'
        "</g>"
        f'<circle cx="621" cy="512" r="7" fill="{ink}"/>'
        '<path d="M613 508 q8 -9 16 -1z" fill="#e6b33c"/>'
    )
    walker = (
        f'<g fill="{ink}"><circle cx="1002" cy="520" r="7"/>'
        '<path d="M995 530 h14 l2 26 h-18z"/>'
        f'<path d="M997 555 l-5 30 M1008 555 l6 30" stroke="{ink}" stroke-width="5" '
        'stroke-linecap="round"/>'
        '<circle cx="1030" cy="526" r="6"/><path d="M1023 535 h14 l3 24 h-20z" fill="#c8442f"/>'
        f'<path d="M1026 558 l-3 27 M1035 558 l4 27" stroke="{ink}" stroke-width="4.5" '
        'stroke-linecap="round"/>'
        '<path d="M1052 573 h22 v6 h-22z M1071 566 l7 3 v5 h-7z"/>'
        f'<path d="M1054 579 v7 M1071 579 v7 M1052 574 l-6 -5" stroke="{ink}" stroke-width="3"/>'
        "</g>"
        f'<path d="M1036 545 Q1046 570 1053 573" stroke="{ink}" stroke-width="1.4" fill="none"/>'
    )
    return [cyclist, walker]


def _bridge() -> list[str]:
    out = _truss(offset=-7, colour=BRIDGE_DARK, width=0.8)
    out.append(
        f'<rect x="{LEFT_END}" y="{DECK_Y - 2}" width="{RIGHT_END - LEFT_END}" height="16" '
        'fill="#3d4148"/>'
    )
    out += _people()
    out += _truss()
    # A highlight along the top chord, where the morning sun catches the paint.
    panel = (PIVOT - LEFT_END) / PANELS
    xs = [LEFT_END + i * panel for i in range(2 * PANELS + 1)]
    out.append(
        f'<polyline points="{_pts((x, DECK_Y - _depth(x) - 3) for x in xs)}" '
        f'stroke="{BRIDGE_LIGHT}" stroke-width="3" fill="none"/>'
    )
    # Lanterns at each end and the pivot cabin's roof finial.
    for x in (LEFT_END + 8, RIGHT_END - 8):
        top = DECK_Y - END_DEPTH - 40
        out.append(
            f'<line x1="{x}" y1="{DECK_Y - END_DEPTH}" x2="{x}" y2="{top + 10}" '
            'stroke="#24282e" stroke-width="4"/>'
            f'<rect x="{x - 7}" y="{top - 6}" width="14" height="18" rx="3" fill="#fff1c4" '
            'stroke="#24282e" stroke-width="3"/>'
            f'<path d="M{x - 9} {top - 6} L{x} {top - 15} L{x + 9} {top - 6}z" fill="#24282e"/>'
        )
    out.append(
        f'<circle cx="{PIVOT}" cy="{DECK_Y - PIVOT_DEPTH - 12}" r="7" fill="{BRIDGE_DARK}"/>'
    )
    return out


def _pier_and_quays() -> list[str]:
    out = [
        # The pivot pier: a stone drum with a timber fender.
        f'<rect x="{PIVOT - 72}" y="{DECK_Y + 14}" width="144" height="{WATER_Y - DECK_Y + 6}" '
        'fill="url(#stones)"/>',
        f'<rect x="{PIVOT - 80}" y="{DECK_Y + 12}" width="160" height="9" fill="{STONE_DARK}"/>',
    ]
    for i in range(7):
        x = PIVOT - 78 + i * 26
        out.append(
            f'<rect x="{x}" y="{DECK_Y + 30}" width="8" height="{WATER_Y - DECK_Y - 18}" '
            'fill="#5b4634"/>'
        )
    out.append(f'<rect x="{PIVOT - 82}" y="{DECK_Y + 40}" width="164" height="6" fill="#6d5641"/>')
    # The two quays, their walls down to the water, and a weedy line where the tide reaches.
    for x0, x1 in ((0, LEFT_END), (RIGHT_END, WIDTH)):
        out.append(
            f'<rect x="{x0}" y="{DECK_Y + 4}" width="{x1 - x0}" height="{WATER_Y - DECK_Y + 4}" '
            'fill="url(#stones)"/>'
            f'<rect x="{x0}" y="{DECK_Y - 2}" width="{x1 - x0}" height="9" fill="#d6cab6"/>'
            f'<rect x="{x0}" y="{WATER_Y - 10}" width="{x1 - x0}" height="12" fill="#4f5a45" '
            'opacity="0.75"/>'
        )
    return out


def _quayside(rng: random.Random) -> list[str]:
    out = []
    # The fish market shed on the left quay, with lobster pots stacked beside it.
    out.append(
        '<rect x="0" y="486" width="150" height="106" fill="#6f8fa6"/>'
        '<polygon points="-6,488 75,446 156,488" fill="#4b5d6c"/>'
        '<rect x="26" y="524" width="44" height="68" fill="#394855"/>'
        '<rect x="92" y="512" width="38" height="24" fill="#dfe7ea"/>'
        '<text x="75" y="480" font-family="Georgia, serif" font-size="13" fill="#f6f2e9" '
        'text-anchor="middle" letter-spacing="2">FISH QUAY</text>'
    )
    for i, (x, y) in enumerate(((160, 572), (182, 572), (171, 553), (204, 572))):
        tint = "#3e6f7a" if i % 2 else "#2f5963"
        out.append(
            f'<rect x="{x}" y="{y}" width="20" height="19" rx="4" fill="{tint}"/>'
            f'<path d="M{x + 3} {y + 6}h14M{x + 3} {y + 12}h14" stroke="#9cc1b5" '
            'stroke-width="1.2"/>'
        )
    # The keeper's hut: small, brick, with the bell on its wall.
    out.append(
        '<rect x="206" y="530" width="38" height="62" fill="url(#bricks)"/>'
        '<polygon points="202,532 225,514 248,532" fill="#3f5b45"/>'
        '<rect x="216" y="556" width="16" height="36" fill="#3f5b45"/>'
        '<path d="M232 540 q5 0 5 8 h-10 q0 -8 5 -8z" fill="#c9a441"/>'
    )
    # The swing barrier at the left end, raised, and a signal light.
    out.append(
        '<rect x="236" y="560" width="6" height="32" fill="#24282e"/>'
        '<g transform="rotate(-84 239 562)"><rect x="239" y="558" width="52" height="6" '
        'fill="#f4f1ea"/><path d="M248 558h8v6h-8zM264 558h8v6h-8zM280 558h8v6h-8z" '
        'fill="#c8442f"/></g>'
        '<circle cx="239" cy="566" r="3.5" fill="#6fd36f"/>'
    )
    # Salt Row: the new homes on the right quay, timber-clad with big windows.
    x = RIGHT_END + 30
    for w, h, clad in ((78, 96, "#c9a57a"), (70, 110, "#9a7b5f"), (86, 92, "#d8c3a0")):
        out.append(
            f'<rect x="{x}" y="{DECK_Y - h}" width="{w}" height="{h}" fill="{clad}"/>'
            f'<rect x="{x - 3}" y="{DECK_Y - h - 8}" width="{w + 6}" height="8" fill="#3d4148"/>'
            f'<rect x="{x + 10}" y="{DECK_Y - h + 16}" width="{w - 20}" height="{h * 0.32:.0f}" '
            'fill="#4a5f73"/>'
            f'<rect x="{x + 10}" y="{DECK_Y - h * 0.45:.0f}" width="{w * 0.4:.0f}" '
            f'height="{h * 0.45 - 2:.0f}" fill="#4a5f73"/>'
        )
        for k in range(int(w // 9)):
            out.append(
                f'<line x1="{x + 4 + k * 9}" y1="{DECK_Y - h}" x2="{x + 4 + k * 9}" '
                f'y2="{DECK_Y}" stroke="#000" stroke-opacity="0.07" stroke-width="2"/>'
            )
        x += w + 4
    # Bollards along both quay edges.
    for bx in (40, 120, 1390, 1520):
        out.append(f'<path d="M{bx} {DECK_Y} v-10 q0 -6 8 -6 q8 0 8 6 v10z" fill="#2b2f36"/>')
    del rng
    return out


def _water(rng: random.Random) -> list[str]:
    out = [
        f'<rect x="0" y="{WATER_Y}" width="{WIDTH}" height="{HEIGHT - WATER_Y}" '
        'fill="url(#water)"/>'
    ]
    # The bridge's reflection, broken up by ripples.
    reflection = _truss()
    out.append(
        f'<g clip-path="url(#waterclip)" opacity="0.2" '
        f'transform="translate(0 {2 * WATER_Y + 14}) scale(1 -1)">'
        f"{''.join(reflection)}</g>"
    )
    out.append(
        f'<rect x="{PIVOT - 72}" y="{WATER_Y}" width="144" height="70" fill="#3d4a4a" '
        'opacity="0.25"/>'
    )
    for _ in range(260):
        y = WATER_Y + 6 + (rng.random() ** 1.3) * (HEIGHT - WATER_Y - 10)
        depth = (y - WATER_Y) / (HEIGHT - WATER_Y)
        x = rng.uniform(-40, WIDTH)
        length = 18 + depth * 120 * rng.random()
        colour = "#e4f1f2" if rng.random() < 0.6 else "#143a49"
        opacity = 0.25 + 0.35 * rng.random()
        out.append(
            f'<line x1="{x:.0f}" y1="{y:.0f}" x2="{x + length:.0f}" y2="{y:.0f}" '
            f'stroke="{colour}" stroke-opacity="{opacity:.2f}" '
            f'stroke-width="{1.2 + depth * 2.5:.1f}" stroke-linecap="round"/>'
        )
    # Sunlight glittering on the water below the sun.
    for _ in range(40):
        x = 1235 + rng.gauss(0, 70)
        y = rng.uniform(WATER_Y + 10, HEIGHT - 60)
        out.append(
            f'<line x1="{x:.0f}" y1="{y:.0f}" x2="{x + rng.uniform(10, 40):.0f}" y2="{y:.0f}" '
            'stroke="#fff4d8" stroke-opacity="0.7" stroke-width="2.4" stroke-linecap="round"/>'
        )
    return out


def _fishing_boat() -> list[str]:
    hull = "M30 724 L420 716 Q414 770 372 786 L86 790 Q44 770 30 724Z"
    boat = (
        f'<path d="{hull}" fill="url(#hull)"/>'
        '<path d="M34 734 L418 726 L416 738 L38 746Z" fill="#c8442f"/>'
        '<rect x="250" y="650" width="104" height="70" fill="#f4f1ea"/>'
        '<rect x="244" y="642" width="116" height="10" fill="#d8d2c6"/>'
        '<rect x="262" y="664" width="24" height="20" fill="#4a5f73"/>'
        '<rect x="296" y="664" width="24" height="20" fill="#4a5f73"/>'
        '<rect x="330" y="664" width="16" height="20" fill="#4a5f73"/>'
        '<line x1="300" y1="642" x2="300" y2="560" stroke="#3a3f46" stroke-width="5"/>'
        '<line x1="300" y1="584" x2="140" y2="714" stroke="#3a3f46" stroke-width="2"/>'
        '<line x1="300" y1="570" x2="414" y2="712" stroke="#3a3f46" stroke-width="1.5"/>'
        '<rect x="120" y="704" width="70" height="14" fill="#e1a73b"/>'
        '<text x="120" y="768" font-family="Georgia, serif" font-size="18" fill="#f4f1ea" '
        'letter-spacing="1">KH 27</text>'
        '<path d="M30 724 Q6 690 12 600" stroke="#3a3f46" stroke-width="2" fill="none"/>'
    )
    reflection = (
        '<g opacity="0.22" transform="translate(0 1580) scale(1 -1)">'
        f'<path d="{hull}" fill="#0f2a3a"/></g>'
    )
    return [reflection, boat]


def _yacht() -> list[str]:
    hull = "M1040 768 L1440 760 Q1420 800 1380 812 L1096 816 Q1060 800 1040 768Z"
    yacht = (
        '<line x1="1250" y1="758" x2="1250" y2="330" stroke="#5d6670" stroke-width="6"/>'
        '<line x1="1250" y1="340" x2="1058" y2="764" stroke="#5d6670" stroke-width="1.6"/>'
        '<line x1="1250" y1="340" x2="1430" y2="760" stroke="#5d6670" stroke-width="1.6"/>'
        '<rect x="1250" y="676" width="150" height="9" rx="4" fill="#5d6670"/>'
        '<rect x="1256" y="664" width="132" height="16" rx="8" fill="#2f5277"/>'
        '<path d="M1170 760 L1190 728 H1330 L1346 760Z" fill="#f4f1ea"/>'
        '<rect x="1205" y="738" width="18" height="9" rx="3" fill="#4a5f73"/>'
        '<rect x="1235" y="738" width="18" height="9" rx="3" fill="#4a5f73"/>'
        '<rect x="1265" y="738" width="18" height="9" rx="3" fill="#4a5f73"/>'
        f'<path d="{hull}" fill="url(#yacht)"/>'
        '<path d="M1044 776 L1436 768 L1432 776 L1048 784Z" fill="#2f5277"/>'
        '<path d="M1250 330 l26 8 l-26 8z" fill="#c8442f"/>'
    )
    reflection = (
        '<g opacity="0.2" transform="translate(0 1644) scale(1 -1)">'
        f'<path d="{hull}" fill="#f4f1ea"/>'
        '<line x1="1250" y1="758" x2="1250" y2="420" stroke="#f4f1ea" stroke-width="6"/></g>'
    )
    return [reflection, yacht]


def _gulls() -> list[str]:
    out = []
    for x, y, s in ((520, 230, 1.0), (575, 262, 0.8), (880, 180, 1.2), (1420, 400, 0.7)):
        w = 18 * s
        out.append(
            f'<path d="M{x - w:.0f} {y:.0f} q{w / 2:.0f} {-w / 2:.0f} {w:.0f} 0 '
            f'q{w / 2:.0f} {-w / 2:.0f} {w:.0f} 0" stroke="#33404c" '
            f'stroke-width="{2.4 * s:.1f}" fill="none" stroke-linecap="round"/>'
        )
    return out


def draw() -> str:
    """The whole illustration as an SVG document."""
    rng = random.Random(1896)
    layers: list[str] = []
    layers += _sky(rng)
    layers += _hills()
    layers += _town(rng)
    layers.append(f'<rect x="0" y="566" width="{WIDTH}" height="{WATER_Y - 566}" fill="#9fc5cc"/>')
    layers += _basin_boats()
    layers += _water(rng)
    layers += _pier_and_quays()
    layers += _bridge()
    layers += _quayside(rng)
    layers += _fishing_boat()
    layers += _yacht()
    layers += _gulls()
    body = "\n".join(layers)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="title desc">\n'
        '<title id="title">The Old Tollgate swing bridge, Kelmouth</title>\n'
        '<desc id="desc">A red iron swing bridge on a central stone pier crosses the harbour '
        "channel, with a cyclist and walkers on its deck; painted houses climb the hill "
        "behind, a fishing boat lies at the fish quay and a yacht waits for the bridge to "
        "swing.</desc>\n"
        f"{_defs()}\n{body}\n</svg>\n"
    )


def main() -> None:
    sys.stdout.write(draw())


if __name__ == "__main__":
    main()
