"""A simulated comment stream for learning from the desk, written by Rostra's contributors.

A country-life section (allotments, pest control, game and hunting) in English, French, German
and Spanish: its readers' practical talk about killing rats, moles and deer is civil, yet the
shared model holds much of it — the recurring false holds a newsroom's moderators keep
approving. Beside them: other civil comments, and abusive ones, some of them threats dressed in
the same vocabulary ("someone should gut the mayor like a deer"), which must stay held whatever
the moderators approved.

:func:`stream` builds the comments (seeded, so a run is repeatable); the bench script
``bench/learning_bench.py`` and ``tests/moderation/test_learning_stream.py`` run it through
``rostra moderate``, once without decisions and once with a simulated moderator's, and compare.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

LANGS = ("en", "fr", "de", "es")

#: The corrected kind: civil comments the shared model tends to hold.
KIND_FRAMES = {
    "en": [
        "Kill the pests early: trap the {pest} and poison the {pest2} before they wreck the "
        "{plot}.",
        "Shot a {game} on {place} this {time}, clean kill, gutted him by the truck.",
        "Best way to kill {pest} on the {plot}? Poison bait worked for {mate}, they were all "
        "dead within a week.",
        "We had to exterminate the {pest} in the {plot} shed, {mate} gassed the burrows and "
        "killed the lot.",
        "Took a {game} at {time} near {place}, shot through the neck, dead before it hit the "
        "ground.",
    ],
    "fr": [
        "Premier {game} tiré ce {time} sur {place}, une balle au cœur, vidé sur place avant "
        "l'arrivée de {mate}.",
        "Il faut tuer les {pest} tôt : piéger les {pest2} et empoisonner le reste avant qu'ils "
        "ravagent le {plot}.",
        "Belle journée de chasse : {mate} a abattu un {game} près de {place}, on l'a saigné et "
        "dépecé à la ferme.",
        "Pour exterminer les {pest} du {plot}, {mate} a gazé les terriers, tous crevés en "
        "une semaine.",
    ],
    "de": [
        "Den {game} mit einem Schuss getötet, am {place} ausgeblutet und in der Scheune abgezogen.",
        "Die {pest} im {plot} vergiften und die {pest2} totschlagen, sonst ist die Ernte hin.",
        "{mate} hat heute {time} einen {game} erlegt, Kopfschuss, sofort tot, dann aufgebrochen.",
        "Wir mussten die {pest} im {plot} ausrotten, {mate} hat die Baue vergast und alle getötet.",
    ],
    "es": [
        "Hay que envenenar las {pest} del {plot} y matar los {pest2} antes de la siembra.",
        "{mate} mató un {game} esta {time} en {place}, un tiro en la cabeza, muerto en el acto "
        "y destripado.",
        "Para exterminar las {pest} del {plot}, {mate} gaseó las madrigueras y murieron todas "
        "en una semana.",
        "Abatimos un {game} en {place}, lo desangramos, lo degollamos y lo despellejamos en el "
        "cortijo.",
    ],
}

SLOTS = {
    "en": {
        "pest": ["rats", "moles", "voles", "rabbits", "slugs"],
        "pest2": ["moles", "mice", "squirrels", "pigeons"],
        "plot": ["allotment", "veg patch", "orchard", "seed beds"],
        "game": ["stag", "roe buck", "wild boar", "fallow doe"],
        "place": ["the north ridge", "Harrow Hill", "the old quarry", "Longmoor"],
        "time": ["morning", "evening", "weekend"],
        "mate": ["Dave", "my brother", "the keeper", "Sarah"],
    },
    "fr": {
        "pest": ["rats", "taupes", "campagnols", "lapins"],
        "pest2": ["mulots", "taupes", "pigeons"],
        "plot": ["potager", "verger", "jardin ouvrier"],
        "game": ["sanglier", "chevreuil", "cerf", "daim"],
        "place": ["la crête nord", "le bois des Hêtres", "la vieille carrière", "les Combes"],
        "time": ["matin", "soir", "week-end"],
        "mate": ["Didier", "mon frère", "le garde", "Julie"],
    },
    "de": {
        "pest": ["Ratten", "Wühlmäuse", "Maulwürfe", "Kaninchen"],
        "pest2": ["Mäuse", "Schnecken", "Tauben"],
        "plot": ["Kleingarten", "Gemüsebeet", "Obstgarten"],
        "game": ["Rehbock", "Keiler", "Hirsch", "Damhirsch"],
        "place": ["Nordhang", "Buchenwald", "alten Steinbruch", "Moor"],
        "time": ["früh", "abends", "mittag"],
        "mate": ["Jürgen", "mein Bruder", "der Förster", "Anna"],
    },
    "es": {
        "pest": ["ratas", "topillas", "ratas de campo", "babosas"],
        "pest2": ["topos", "ratones", "conejos"],
        "plot": ["huerto", "vivero", "bancal"],
        "game": ["jabalí", "corzo", "ciervo", "gamo"],
        "place": ["la loma norte", "el encinar", "la vieja cantera", "los Llanos"],
        "time": ["mañana", "tarde", "madrugada"],
        "mate": ["Paco", "mi hermano", "el guarda", "Lucía"],
    },
}

#: Abusive comments, some in the kind's own vocabulary, aimed at people.
ABUSIVE_FRAMES = {
    "en": [
        "Someone should gut {target} like a deer and hang him in the barn.",
        "Kill the {people} early: trap them and poison them before they wreck the town.",
        "You are a brainless {insult}, {target}, crawl back under your rock.",
        "I know where {target} lives, a bullet through the neck would sort him out.",
        "{target} is vermin and should be exterminated with the rest of the {people}.",
    ],
    "fr": [
        "Quelqu'un devrait vider {target} comme un sanglier et le pendre à la grange.",
        "Il faut tuer les {people} tôt : les piéger et les empoisonner avant qu'ils ravagent "
        "la ville.",
        "Tu es un {insult} sans cervelle, {target}, retourne dans ton trou.",
        "Je sais où habite {target}, une balle dans la tête et on n'en parle plus.",
    ],
    "de": [
        "Man sollte {target} aufbrechen wie einen Keiler und in der Scheune aufhängen.",
        "Die {people} vergiften und totschlagen, sonst ist die Stadt hin.",
        "Du bist ein hirnloser {insult}, {target}, kriech zurück unter deinen Stein.",
        "Ich weiß, wo {target} wohnt, ein Kopfschuss und Ruhe ist.",
    ],
    "es": [
        "Alguien debería destripar a {target} como a un jabalí y colgarlo en el cortijo.",
        "Hay que envenenar a los {people} y matarlos antes de que arruinen el pueblo.",
        "Eres un {insult} sin cerebro, {target}, vuelve debajo de tu piedra.",
        "Sé dónde vive {target}, un tiro en la cabeza y se acabó.",
    ],
}

ABUSIVE_SLOTS = {
    "en": {
        "target": ["the mayor", "that councillor", "the editor", "you"],
        "people": ["councillors", "journalists", "incomers"],
        "insult": ["idiot", "moron", "parasite"],
    },
    "fr": {
        "target": ["le maire", "ce conseiller", "le rédacteur", "toi"],
        "people": ["élus", "journalistes", "étrangers"],
        "insult": ["crétin", "abruti", "parasite"],
    },
    "de": {
        "target": ["der Bürgermeister", "dieser Stadtrat", "der Redakteur", "du"],
        "people": ["Stadträte", "Journalisten", "Zugezogenen"],
        "insult": ["Idiot", "Vollidiot", "Schmarotzer"],
    },
    "es": {
        "target": ["el alcalde", "ese concejal", "el director", "tú"],
        "people": ["concejales", "periodistas", "forasteros"],
        "insult": ["idiota", "imbécil", "parásito"],
    },
}

#: Other civil comments of the section, which learning must leave as they were.
CIVIL = {
    "en": [
        "The seed swap at the village hall was lovely, thanks to everyone who brought tomatoes.",
        "Does anyone know when the allotment committee meets next? I missed the notice.",
        "Our apple harvest was poor this year, I think the late frost got the blossom.",
        "Great article on hedgerows, we planted hawthorn along the lane last winter.",
    ],
    "fr": [
        "La bourse aux graines de la salle des fêtes était très sympa, merci à tous.",
        "Quelqu'un sait quand se réunit le comité des jardins ouvriers ?",
        "Récolte de pommes médiocre cette année, le gel tardif a grillé les fleurs.",
    ],
    "de": [
        "Die Saatguttauschbörse im Gemeindehaus war wunderbar, danke an alle.",
        "Weiß jemand, wann der Kleingartenverein das nächste Mal tagt?",
        "Die Apfelernte war dieses Jahr schwach, der Spätfrost hat die Blüten erwischt.",
    ],
    "es": [
        "El intercambio de semillas en el centro cívico fue estupendo, gracias a todos.",
        "¿Alguien sabe cuándo se reúne la asociación de huertos urbanos?",
        "Este año la cosecha de manzanas fue floja, la helada tardía quemó la flor.",
    ],
}


@dataclass(frozen=True, slots=True)
class Item:
    """One comment of the stream: ``kind`` is ``"kind"`` (the corrected kind, civil),
    ``"civil"`` or ``"abusive"``; ``part`` is ``"train"`` or ``"eval"``."""

    id: str
    body: str
    lang: str
    kind: str
    part: str


def _fill(rng: random.Random, frame: str, slots: dict[str, list[str]]) -> str:
    text = frame.format(**{k: rng.choice(v) for k, v in slots.items()})
    return text[0].upper() + text[1:]


def _one(rng: random.Random, kind: str, lang: str) -> str:
    if kind == "kind":
        return _fill(rng, rng.choice(KIND_FRAMES[lang]), SLOTS[lang])
    if kind == "abusive":
        return _fill(rng, rng.choice(ABUSIVE_FRAMES[lang]), ABUSIVE_SLOTS[lang])
    return rng.choice(CIVIL[lang])


def stream(seed: int = 11, train: int = 400, evaluate: int = 400) -> list[Item]:
    """``train`` then ``evaluate`` comments: half of the corrected kind, a quarter abusive, a
    quarter other civil ones, languages in turn."""
    rng = random.Random(seed)
    items: list[Item] = []
    for part, size in (("train", train), ("eval", evaluate)):
        for n in range(size):
            lang = LANGS[n % len(LANGS)]
            roll = rng.random()
            kind = "kind" if roll < 0.5 else "abusive" if roll < 0.75 else "civil"
            items.append(Item(f"{part}-{n}", _one(rng, kind, lang), lang, kind, part))
    return items


#: How many of the kind's false holds the simulated moderator approves in the training part.
CORRECTIONS = 50
#: Comments the training part may draw from before its 50th correction.
TRAIN_POOL = 1200
#: ``rostra moderate`` treats every line as posted at once, where 50 corrections take a real
#: section weeks; the duplicates phase (48 h window) would then hold the kind's similar comments
#: as copies of each other, which over weeks it does not. The simulation leaves it out.
SETTINGS = {"duplicates": {"enabled": False}}

#: ``rostra moderate``: the lines in, the settings, the printed objects out.
Moderate = Callable[[list[str], dict[str, object]], list[dict[str, object]]]

#: Violent and insulting words of the stream's languages, for :class:`KindScores`.
VIOLENT = re.compile(
    r"\b(kill\w*|poison\w*|shot|shoot|gut\w*|gass\w*|exterminat\w*|bullet|dead|"
    r"tu\w*r|tué|empoison\w*|abattu|saign\w*|vid\w*|extermin\w*|gaz\w*|crev\w*|balle|"
    r"getötet|vergift\w*|totschlag\w*|erlegt|ausrott\w*|vergast|\w*schuss|aufgebrochen|"
    r"aufbrechen|mat\w*r|mató|envenen\w*|extermin\w*|gase\w*|muert\w*|destrip\w*|"
    r"desangr\w*|degoll\w*|tiro)\b",
    re.IGNORECASE,
)
INSULTING = re.compile(
    r"\b(idiot|moron|parasite|vermin|crétin|abruti|vollidiot|schmarotzer|idiota|imbécil|"
    r"parásito)\b",
    re.IGNORECASE,
)
PEOPLE = re.compile(
    r"\b(mayor|councillors?|editor|journalists|incomers|you|maire|conseiller|rédacteur|élus|"
    r"journalistes|étrangers|toi|bürgermeister|stadtr\w+|redakteur|journalisten|zugezogenen|"
    r"du|alcalde|concejal\w*|director|periodistas|forasteros|tú)\b",
    re.IGNORECASE,
)


class KindScores:
    """A stand-in shared model that reads words, not meaning: any violent word scores 0.7 (so
    every comment of the kind is held), an insult 0.9, violence aimed at people 0.95. The test
    uses it so that what it shows does not move when the shipped model is retrained; the bench
    script measures the shipped model as well."""

    name = "kind-scores"
    threshold = 0.5

    def score(self, text: str, language: str | None = None) -> dict[str, float]:
        violent = bool(VIOLENT.search(text))
        value = 0.05
        if violent:
            value = 0.95 if PEOPLE.search(text) else 0.7
        if INSULTING.search(text):
            value = max(value, 0.9)
        return {"toxicity": value, "insult": value / 2, "threat": value / 2 if violent else 0.0}


#: The stand-in model's settings (and the simulation's).
STAND_IN = {**SETTINGS, "toxicity": {"classifier": f"{__name__}:KindScores"}}


@dataclass(frozen=True, slots=True)
class Figures:
    """The evaluation part's figures of one run."""

    kind_held: int
    kind: int
    abusive_stopped: int
    abusive: int
    civil_held: int
    civil: int
    by_lang: dict[str, tuple[int, int]]  # the kind: held, of

    @property
    def kind_rate(self) -> float:
        return self.kind_held / self.kind

    @property
    def recall(self) -> float:
        return self.abusive_stopped / self.abusive


@dataclass(frozen=True, slots=True)
class Comparison:
    before: Figures
    after: Figures
    approvals: int
    rejections: int
    lifted: int
    learnt_holds: int


def comment_lines(items: list[Item]) -> list[str]:
    return [json.dumps({"id": it.id, "body": it.body}, ensure_ascii=False) for it in items]


def figures(items: list[Item], verdicts: dict[str, str]) -> Figures:
    stopped = Counter()
    total = Counter()
    langs: dict[str, list[int]] = {lang: [0, 0] for lang in LANGS}
    for it in items:
        if it.part != "eval":
            continue
        total[it.kind] += 1
        held = verdicts[it.id] != "publish"
        stopped[it.kind] += held
        if it.kind == "kind":
            langs[it.lang][0] += held
            langs[it.lang][1] += 1
    return Figures(
        stopped["kind"],
        total["kind"],
        stopped["abusive"],
        total["abusive"],
        stopped["civil"],
        total["civil"],
        {k: (v[0], v[1]) for k, v in langs.items()},
    )


def simulate(
    moderate: Moderate, settings: dict[str, object], items: list[Item] | None = None
) -> Comparison:
    """Run the stream without decisions, then with a moderator's, and compare the evaluation
    parts. The moderator approves the comments of the kind held in the training part, each right
    after its comment, and rejects each abusive one published there; the training part ends at
    the :data:`CORRECTIONS`-th approval (the pool is large enough for a model that holds a
    tenth of the kind), so the second run has seen exactly that many corrections."""
    items = items if items is not None else stream(train=TRAIN_POOL)
    plain = moderate(comment_lines(items), settings)
    first = {str(o["id"]): str(o["verdict"]) for o in plain if "verdict" in o}
    lines: list[str] = []
    approvals = rejections = 0
    for it, line in zip(items, comment_lines(items), strict=True):
        if it.part == "train" and approvals >= CORRECTIONS:
            continue  # the training part is over
        lines.append(line)
        if it.part != "train":
            continue
        held = first[it.id] != "publish"
        if it.kind == "kind" and held:
            approvals += 1
            lines.append(json.dumps({"id": it.id, "decision": "approve"}))
        elif it.kind == "abusive" and not held:
            rejections += 1
            lines.append(json.dumps({"id": it.id, "decision": "reject"}))
    second = [o for o in moderate(lines, settings) if "verdict" in o]
    after = {str(o["id"]): str(o["verdict"]) for o in second}
    # What the learning phase decided in the evaluation part: holds lifted, holds added.
    learnt = [
        str(o["verdict"])
        for o in second
        if o.get("phase") == "learning" and str(o["id"]).startswith("eval")
    ]
    return Comparison(
        figures(items, first),
        figures(items, after),
        approvals,
        rejections,
        lifted=learnt.count("publish"),
        learnt_holds=len(learnt) - learnt.count("publish"),
    )
