"""The demo's words: an invented local news article and the discussion readers hold under it.

Everything here is fiction written for Rostra's demo: the town of Kelmouth, its twin towns
Port-Lérec (Brittany) and Hafenwerder (Lower Saxony), its councillors, readers and bridge. The
data is plain and structured so the seeder (``seed.py``) can replay it through the real service
layer, and the tests can check what the demo promises (depth, edits, a tombstone, votes, three
languages) against the same source.

Times are minutes after the article was published; the seeder anchors them a few days back so
the thread always looks recent.
"""

from __future__ import annotations

from dataclasses import dataclass

SITE_SLUG = "demo"
SITE_NAME = "The Harbour Courier"
THREAD_ID = "harbour-bridge"
IMAGE = "/static/demo/harbour-bridge.svg"
IMAGE_WIDTH = 1600
IMAGE_HEIGHT = 900


@dataclass(frozen=True, slots=True)
class Article:
    """A news article as the newsroom's CMS would hold it."""

    slug: str
    section: str
    title: str
    standfirst: str
    author: str
    author_role: str
    dateline: str
    paragraphs: tuple[str, ...]
    image: str
    image_alt: str
    image_caption: str
    image_credit: str
    facts: tuple[tuple[str, str], ...] = ()
    reading_minutes: int = 4
    published_days_ago: int = 3
    published_hour_utc: int = 6
    published_minute_utc: int = 40


@dataclass(frozen=True, slots=True)
class Reader:
    """Someone in the discussion. ``name`` is None for a guest who stays "Anonymous"."""

    key: str
    name: str | None


@dataclass(frozen=True, slots=True)
class Edit:
    """A correction the author makes to their own comment, inside the edit window."""

    minutes_later: int
    body: str


@dataclass(frozen=True, slots=True)
class SeedComment:
    """One comment to replay: who, under what, when, in which language, and what happened next."""

    key: str
    parent: str | None
    reader: str
    minute: int
    language: str
    body: str
    votes: tuple[tuple[str, int], ...] = ()
    edit: Edit | None = None
    deleted_minute: int | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_minute is not None


def up(*voters: str) -> tuple[tuple[str, int], ...]:
    return tuple((v, 1) for v in voters)


def down(*voters: str) -> tuple[tuple[str, int], ...]:
    return tuple((v, -1) for v in voters)


ARTICLE = Article(
    slug=THREAD_ID,
    section="Kelmouth",
    title="Council backs £3.8m plan to reopen the Old Tollgate swing bridge to cyclists",
    standfirst=(
        "Fenced off since a cracked turning ring was found eleven years ago, the Victorian "
        "crossing over the inner harbour could carry bikes and walkers again by next summer. "
        "Not everyone thinks the money is well spent."
    ),
    author="Maren Okafor",
    author_role="Local affairs reporter",
    dateline="KELMOUTH",
    paragraphs=(
        "Kelmouth councillors voted 19 to 14 last night to restore the Old Tollgate swing "
        "bridge and reopen it to cyclists and pedestrians, ending more than a decade in which the "
        "crossing has stood behind builders' fencing at the mouth of the inner harbour.",
        "The £3.8 million scheme would replace the bridge's corroded deck plates, rebuild the "
        "hand-turned swing gear with an electric drive, and add a three-metre shared path "
        "linking the fish quay with the new homes at Salt Row. Motor traffic would stay banned.",
        "\u201cPeople tell me they cycle an extra two miles round the basin every morning to get "
        "to work,\u201d said Cllr Ruth Penhale, the cabinet member for transport. \u201cOr, more "
        "often, they don't cycle at all. This bridge was built to join the two halves of the "
        "town, and it can do that again.\u201d",
        "According to the council papers, £2.1 million would come from a regional active-travel "
        "grant that can only be spent on walking and cycling schemes, and £900,000 from the "
        "Kelmouth Harbour Trust. The remaining £800,000 would be borrowed and repaid over 25 "
        "years, which officers put at about 60p a year for each household in the borough.",
        "Cllr Davey Trethewan, an independent who represents Quayside ward, led the opposition. "
        "\u201cWe are being asked to spend nearly four million pounds so that a few hundred people "
        "can save ten minutes,\u201d he told the chamber. \u201cMeanwhile the roof at Westfield "
        "leisure centre drips into the learner pool.\u201d",
        "The harbour master, Capt. Lowenna Hosking, said she supported the plan on condition that "
        "boats keep priority. The bridge must still swing open for vessels entering the inner "
        "basin, about thirty times a month in summer. Barriers and lights would hold path users "
        "back during each swing, which is expected to take around four minutes.",
        "Built in 1896 by the Polgrain foundry on the east quay, the bridge was turned by a "
        "resident keeper with a capstan bar until the 1970s. It closed to all traffic eleven "
        "years ago, when an inspection found a crack in the ring on which the span turns.",
        "The ferry company that links Kelmouth with its twin town of Port-Lérec in Brittany "
        "advertises a cycling route from the terminal into town; today it ends at the fence. "
        "Visitors from Hafenwerder, the town's German partner, arrive the same way each summer.",
        "Detailed design will take place over the winter, with works starting in the spring. "
        "The council hopes to reopen the crossing next summer \u201cif the weather and the steel "
        "supply allow\u201d. Plans will be on show at a drop-in session at the Harbour Institute "
        "on Saturday from 10am to 1pm.",
    ),
    image=IMAGE,
    image_alt=(
        "An illustration of a red iron swing bridge crossing a harbour channel on a central "
        "stone pier, with a cyclist and walkers on its deck, painted houses on the hillside "
        "behind, a fishing boat at the quay and a yacht waiting in the foreground."
    ),
    image_caption=(
        "How the restored Old Tollgate bridge could look, seen from the outer harbour, with the "
        "fish quay on the left and Salt Row on the right."
    ),
    image_credit="Illustration: Harbour Courier graphics desk",
    facts=(
        ("£3.8m", "total cost of the restoration"),
        ("19–14", "the council vote"),
        ("30", "swings a month for boats in summer"),
        ("1896", "year the bridge first turned"),
    ),
)

# Readers. Keys starting with "anon" are guests who leave the name field empty; "r01".."r14"
# are readers who only vote.
READERS: tuple[Reader, ...] = (
    Reader("gwen", "Gwen Tregarthen"),
    Reader("swimmer", "Westfield Swimmer"),
    Reader("ellery", "M. Ellery"),
    Reader("ross", "skipper_ross"),
    Reader("jorg", "Jörg Albers"),
    Reader("annika", "Annika S."),
    Reader("yann", "Yann Le Goff"),
    Reader("claire", "Claire D."),
    Reader("nan", "Nan Polglase"),
    Reader("watcher", "Harbourwatcher"),
    Reader("pete", "Pete from Salt Row"),
    Reader("fiona", "Fiona B"),
    Reader("maren", "Maren Okafor, Harbour Courier"),
    Reader("anon1", None),
    Reader("anon2", None),
    Reader("anon3", None),
    Reader("anon4", None),
    Reader("anon5", None),
    Reader("anon6", None),
    Reader("anon7", None),
    *(Reader(f"r{n:02d}", None) for n in range(1, 15)),
)

R = [f"r{n:02d}" for n in range(1, 15)]  # the silent voters, for brevity below

COMMENTS: tuple[SeedComment, ...] = (
    # -- The roof versus the bridge: a friendly argument that runs seven levels deep. -------
    SeedComment(
        "gwen-1",
        None,
        "gwen",
        18,
        "en",
        "Finally. I've cycled the long way round the basin for eleven years: two extra miles "
        "each way, every working day. Now imagine how many people *would* cycle if the short "
        "way existed.",
        up("pete", "fiona", "nan", "yann", *R[:6]) + down("r07"),
    ),
    SeedComment(
        "swim-1",
        "gwen-1",
        "swimmer",
        31,
        "en",
        "And I've swum under a bucket at Westfield for three of those years. An actual bucket, "
        "on the poolside, catching the drips. Priorities?",
        up("r07", "r08", "r09", "anon1", "ross", "ellery") + down("r01", "r02"),
    ),
    SeedComment(
        "gwen-2",
        "swim-1",
        "gwen",
        44,
        "en",
        "It isn't either/or, though. Most of the money is a grant that can only go on walking "
        "and cycling. The council couldn't spend it on the roof even if it wanted to.",
        up("pete", "fiona", "ellery", *R[:6]),
    ),
    SeedComment(
        "swim-2",
        "gwen-2",
        "swimmer",
        52,
        "en",
        "The £800k they're borrowing isn't grant money.",
        up("r07", "r08", "r09", "ross", "anon1"),
    ),
    SeedComment(
        "ellery-1",
        "swim-2",
        "ellery",
        70,
        "en",
        "Quick sums: £800,000 over 25 years at the rate in the report is about £46,000 a year. "
        "Spread over roughly 31,000 households that's about £15 each, not the 60p in the "
        "article.",
        up("swimmer", "gwen", "fiona", "r03", "r04", "r10", "r11"),
        edit=Edit(
            6,
            "Quick sums: £800,000 over 25 years at the rate in the report is about £46,000 a "
            "year. Spread over roughly 31,000 households that's about **£1.50** each, not the "
            "60p in the article.\n\n"
            "(Corrected: I slipped a decimal point the first time. Still more than 60p, which "
            "seems to leave out the interest.)",
        ),
    ),
    SeedComment(
        "swim-3",
        "ellery-1",
        "swimmer",
        95,
        "en",
        "Fair enough, £1.50 a year I can live with. I'd still like someone to fix the roof.",
        up("gwen", "nan", "r05", "r06"),
    ),
    SeedComment(
        "gwen-3",
        "swim-3",
        "gwen",
        130,
        "en",
        "Deal: I'll come to the next meeting about the roof if you come to the drop-in on "
        "Saturday.",
        up("swimmer", "fiona", "pete", "r01", "r02", "r12"),
    ),
    SeedComment(
        "swim-4",
        "gwen-3",
        "swimmer",
        161,
        "en",
        "You're on. Bring cake.",
        up("gwen", "fiona", "nan", "r08", "r13"),
    ),
    # -- The boats: a skipper's worry, answered from the German twin town. ------------------
    SeedComment(
        "ross-1",
        None,
        "ross",
        25,
        "en",
        "Nobody in that chamber mentioned the boats. Thirty swings a month in summer, four "
        "minutes each, and now a queue of cyclists at the barriers glaring at us. I've already "
        "been shouted at by a man in lycra at the lock gates.",
        up("r07", "r08", "r09") + down("gwen", "r01", "r02", "r03"),
    ),
    SeedComment(
        "anon1-1",
        "ross-1",
        "anon1",
        40,
        "en",
        "Four minutes. You'd wait longer at the lights on Fore Street.",
        up("gwen", "pete", "fiona", "r01", "r02", "r04", "r05"),
    ),
    SeedComment(
        "jorg-1",
        "ross-1",
        "jorg",
        58,
        "de",
        "Bei uns in Hafenwerder gibt es seit Jahren eine Drehbrücke für Radfahrer mitten im "
        "Hafen. Die Ampel wird rot, alle warten, niemand regt sich auf. Man gewöhnt sich schnell "
        "daran – und die Kinder finden es großartig, wenn die Brücke sich dreht.",
        up("annika", "gwen", "yann", "ross", "r01", "r02", "r03", "r10", "r11"),
    ),
    SeedComment(
        "ross-2",
        "jorg-1",
        "ross",
        75,
        "en",
        "I only caught \u201cBrücke\u201d and \u201cKinder\u201d, but if the kids like it I'll "
        "stop grumbling. Slightly.",
        up("jorg", "annika", "gwen", "anon1", "r04", "r05", "r06", "r12"),
    ),
    SeedComment(
        "annika-1",
        "ross-2",
        "annika",
        88,
        "en",
        "He says Hafenwerder has had a swing bridge for cyclists in the middle of the harbour "
        "for years: the light turns red, everyone waits, nobody gets upset, and children love "
        "watching it turn. (Jörg ist mein Nachbar, ich übersetze gern.)",
        up("ross", "jorg", "nan", "r07", "r08", "r09"),
    ),
    SeedComment(
        "jorg-2",
        "annika-1",
        "jorg",
        101,
        "de",
        "Danke, Annika! Genau so.",
        up("annika", "r13", "r14"),
    ),
    # -- Port-Lérec: the twin town speaks up, in French. ------------------------------------
    SeedComment(
        "yann-1",
        None,
        "yann",
        47,
        "fr",
        "Bonjour de Port-Lérec ! Chaque été, nous sommes nombreux à venir à vélo depuis le "
        "ferry. Aujourd'hui, la piste s'arrête net devant une grille, et il faut pousser les "
        "vélos sur le trottoir de la grande route, avec les enfants. Ce pont rouvert, ce serait "
        "*vraiment* une belle chose pour le jumelage.",
        up("gwen", "claire", "jorg", "annika", "nan", "fiona", "r01", "r02", "r03", "r12"),
    ),
    SeedComment(
        "anon2-1",
        "yann-1",
        "anon2",
        63,
        "en",
        "Lovely to hear from our twin town. Bienvenue, and bring the bikes!",
        up("yann", "claire", "r04", "r05"),
    ),
    SeedComment(
        "claire-1",
        "yann-1",
        "claire",
        120,
        "fr",
        "Je confirme. L'an dernier, nous avons fait le détour par la route avec deux enfants et "
        "une remorque : pas très rassurant. Cela dit, 3,8 millions de livres, c'est une somme. "
        "J'espère que l'entretien est prévu dans le budget, sinon on en reparlera dans dix ans.",
        up("yann", "ellery", "swimmer", "r06", "r07"),
    ),
    SeedComment(
        "ellery-2",
        "claire-1",
        "ellery",
        141,
        "en",
        "Claire makes the point nobody made in the chamber: upkeep. The report sets aside "
        "£35,000 a year for the drive and inspections. For a Victorian bridge in salt air, "
        "I have my doubts that's enough.",
        up("claire", "swimmer", "ross", "r08", "r09", "r10"),
    ),
    # -- A granddaughter of the last bridge keeper. ------------------------------------------
    SeedComment(
        "nan-1",
        None,
        "nan",
        110,
        "en",
        "My grandfather was the last full-time bridge keeper. He turned it by hand with a "
        "capstan bar, four men on a busy day, and he kept a tin of humbugs in the hut for any "
        "child who helped push. I'd love to walk across it once more before I'm too old to.",
        up(
            "gwen",
            "swimmer",
            "ellery",
            "ross",
            "jorg",
            "annika",
            "yann",
            "claire",
            "watcher",
            "pete",
            "fiona",
            *R[:5],
        ),
    ),
    SeedComment(
        "gwen-4",
        "nan-1",
        "gwen",
        125,
        "en",
        "This made me well up a bit. Nan, if it opens, the first crossing is yours.",
        up("nan", "fiona", "pete", "annika", "r06", "r07", "r08", "r09", "r10"),
    ),
    SeedComment(
        "watcher-1",
        "nan-1",
        "watcher",
        150,
        "en",
        "Is the hut still there? There's a little brick building by the pivot I've always "
        "wondered about.",
        up("nan", "r11"),
    ),
    SeedComment(
        "nan-2",
        "watcher-1",
        "nan",
        190,
        "en",
        "That's the one! It was painted green then. There was a bell on the wall too; he rang "
        "it before every swing.",
        up("watcher", "gwen", "ross", "r01", "r02", "r03", "r12"),
    ),
    SeedComment(
        "anon3-1",
        "nan-2",
        "anon3",
        231,
        "en",
        "Put the bell back. Non-negotiable.",
        up("nan", "watcher", "gwen", "ross", "pete", "fiona", "jorg", *R[3:8]),
    ),
    # -- A guest loses their temper, is answered, cools down, and deletes the outburst. ----
    SeedComment(
        "anon4-1",
        None,
        "anon4",
        300,
        "en",
        "Typical. Four million on a bike bridge for the lycra brigade while the rest of us "
        "pay for it. Every one of the 19 should be voted out.",
        up("r13") + down("gwen", "pete", "fiona", "r01", "r02"),
        deleted_minute=425,
    ),
    SeedComment(
        "pete-1",
        "anon4-1",
        "pete",
        322,
        "en",
        "I drive a van for a living and I'd still use it on Sundays with the kids. Not everyone "
        "on a bike owns lycra.",
        up("gwen", "fiona", "nan", "r03", "r04", "r05", "r06"),
    ),
    SeedComment(
        "fiona-1",
        "anon4-1",
        "fiona",
        345,
        "en",
        "Three point eight, not four. And going by the sums upthread, \u201cthe rest of us\u201d "
        "are paying about the price of a coffee a year.",
        up("gwen", "ellery", "pete", "r07", "r08"),
    ),
    SeedComment(
        "anon4-2",
        "fiona-1",
        "anon4",
        362,
        "en",
        "Fair. I posted that in a temper after a bad day. Coffee has gone up, mind.",
        up("fiona", "pete", "gwen", "nan", "r09", "r10", "r11"),
    ),
    # -- What a careful reader wants before works start; the reporter answers. --------------
    SeedComment(
        "watcher-2",
        None,
        "watcher",
        520,
        "en",
        "What I'd want to see before any works start:\n\n"
        "- a published timetable of swings, so nobody is caught out\n"
        "- lighting on the deck that doesn't dazzle the boats\n"
        "- a real plan for the **winter storms**: the last inspection found the ring cracked, "
        "not the deck\n"
        "- and all the council papers in one place, not scattered over three PDFs",
        up("ross", "ellery", "claire", "r01", "r05", "r09"),
    ),
    SeedComment(
        "maren-1",
        "watcher-2",
        "maren",
        566,
        "en",
        "Thanks, all, for the questions. On the figures raised above: the 60p per household in "
        "our story is the council's own estimate. We've asked its finance team how it was "
        "worked out and will update the article when they reply. The full report is "
        "[item 7 in the meeting papers](https://council.kelmouth.example/meetings/full-council/"
        "item-7).",
        up(
            "watcher",
            "ellery",
            "swimmer",
            "gwen",
            "ross",
            "fiona",
            "r02",
            "r03",
            "r04",
            "r10",
            "r11",
        ),
    ),
    # -- A practical question in the evening. ------------------------------------------------
    SeedComment(
        "anon5-1",
        None,
        "anon5",
        905,
        "en",
        "Genuine question: will e-scooters be allowed? The article only says cyclists and "
        "pedestrians.",
        up("r06", "r07", "r08"),
    ),
    SeedComment(
        "pete-2",
        "anon5-1",
        "pete",
        931,
        "en",
        "Hire scooters are already banned along the quay, so I'd guess not.",
        up("anon5", "r09") + down("r12"),
    ),
    SeedComment(
        "gwen-5",
        "anon5-1",
        "gwen",
        958,
        "en",
        "The report says \u201ccycles, mobility scooters and wheelchairs\u201d. E-scooters "
        "aren't mentioned either way. I'll ask on Saturday and report back.",
        up("anon5", "pete", "r10", "r11"),
    ),
    # -- The next morning: the skipper quotes a reader and comes back calmer. ---------------
    SeedComment(
        "ross-3",
        None,
        "ross",
        1512,
        "en",
        "> Four minutes. You'd wait longer at the lights on Fore Street.\n\n"
        "Fair point, and I've calmed down since yesterday. My real worry is the electric drive. "
        "The old gear worked for a century because a man with a bar could always turn it. What "
        "happens when the motor fails in August with a yacht halfway through?",
        up("watcher", "ellery", "jorg", "nan", "r01", "r02", "r13") + down("r14"),
    ),
    SeedComment(
        "jorg-3",
        "ross-3",
        "jorg",
        1547,
        "de",
        "Gute Frage. In Hafenwerder gibt es für genau diesen Fall eine Handkurbel für den "
        "Notbetrieb. Das sollte hier auch Pflicht sein.",
        up("ross", "annika", "ellery", "r03", "r04"),
    ),
    SeedComment(
        "annika-2",
        "jorg-3",
        "annika",
        1590,
        "de",
        "Stimmt, und sie wird jeden Monat getestet. Ich habe es einmal gesehen: sehr laut und "
        "sehr langsam, aber sie funktioniert.",
        up("jorg", "ross", "r05"),
    ),
    SeedComment(
        "anon6-1",
        "annika-2",
        "anon6",
        1634,
        "en",
        "For those of us without German: Jörg says their bridge has a hand crank for "
        "emergencies, and Annika says it's tested every month. Loud and slow, but it works.",
        up("ross", "jorg", "annika", "watcher", "r06", "r07"),
    ),
    # -- From Brittany, the practical side of the drop-in session. ---------------------------
    SeedComment(
        "claire-2",
        None,
        "claire",
        2215,
        "fr",
        "Petite question pour la séance de samedi : les plans seront-ils mis en ligne pour ceux "
        "qui ne peuvent pas venir ? Nous suivons le dossier depuis la Bretagne.",
        up("yann", "r08", "r09", "r10"),
    ),
    SeedComment(
        "maren-2",
        "claire-2",
        "maren",
        2262,
        "en",
        "Bonjour Claire! The council tells us the drawings will go online on Monday. We'll "
        "link to them from this article.",
        up("claire", "yann", "watcher", "r11", "r12", "r13"),
    ),
    SeedComment(
        "yann-2",
        "maren-2",
        "yann",
        2290,
        "fr",
        "Merci beaucoup ! Je transmettrai le lien au comité de jumelage.",
        up("claire", "r14"),
    ),
    # -- Day three: flowers on the fence. ---------------------------------------------------
    SeedComment(
        "fiona-2",
        None,
        "fiona",
        2905,
        "en",
        "Walked past the bridge this morning. Someone has tied a bunch of flowers to the fence "
        "with a little cardboard sign: *\u201cNearly there, old girl.\u201d* Kelmouth at its "
        "best.",
        up("gwen", "nan", "swimmer", "pete", "watcher", "yann", "annika", *R[:6]),
    ),
    SeedComment(
        "nan-3",
        "fiona-2",
        "nan",
        2948,
        "en",
        "That was my great-granddaughter's idea. She's nine and very proud of herself.",
        up(
            "gwen",
            "fiona",
            "swimmer",
            "pete",
            "watcher",
            "ross",
            "jorg",
            "claire",
            *R[6:12],
        ),
    ),
    SeedComment(
        "swim-5",
        "fiona-2",
        "swimmer",
        2990,
        "en",
        "Right, that's it. I'm officially no longer against the bridge.",
        up("gwen", "fiona", "nan", "pete", "r01", "r02", "r03", "r04", "r05"),
        edit=Edit(
            4,
            "Right, that's it. I'm officially no longer against the bridge. The roof is next, "
            "though. I have not forgotten the bucket.",
        ),
    ),
    # -- A German visitor from last summer. --------------------------------------------------
    SeedComment(
        "anon7-1",
        None,
        "anon7",
        3480,
        "de",
        "Ich war letzten Sommer mit dem Rad in Kelmouth und habe genau diese Brücke "
        "fotografiert, weil sie so schön ist. Schade, dass man nicht hinüberfahren konnte. Viel "
        "Erfolg mit dem Projekt!",
        up("jorg", "annika", "watcher", "r12", "r13"),
    ),
    SeedComment(
        "watcher-3",
        "anon7-1",
        "watcher",
        3522,
        "en",
        "Danke! Come back when it opens, and ride across this time.",
        up("anon7", "jorg", "r14"),
    ),
)


READER_NAMES: dict[str, str | None] = {r.key: r.name for r in READERS}

# The default edit window (900 seconds); edits in the script must fall inside it.
EDIT_WINDOW_MINUTES = 15


def vote_minute(comment: SeedComment, index: int) -> int:
    """When the ``index``-th vote on ``comment`` is cast: votes trickle in after it appears."""
    return comment.minute + 9 + 7 * index


def first_minute() -> int:
    """Minutes from publication to the first comment, which is when the thread was created."""
    return min(c.minute for c in COMMENTS)


def problems() -> list[str]:
    """Every way the script breaks the discussion rules; the seeder refuses to run unless empty.

    Catching these here (and in a test) beats a half-seeded demo: the service layer would refuse
    a reply to a deleted comment, an edit after a reply, or a vote on one's own comment.
    """
    found: list[str] = []
    seen: dict[str, SeedComment] = {}
    for c in COMMENTS:
        if c.key in seen:
            found.append(f"{c.key}: duplicate key")
        if c.reader not in READER_NAMES:
            found.append(f"{c.key}: unknown reader {c.reader}")
        if c.parent is not None:
            parent = seen.get(c.parent)
            if parent is None:
                found.append(f"{c.key}: parent {c.parent} is not an earlier comment")
            elif c.minute <= parent.minute:
                found.append(f"{c.key}: posted before its parent")
            elif parent.deleted_minute is not None and c.minute >= parent.deleted_minute:
                found.append(f"{c.key}: replies to a comment already deleted")
        voters = [v for v, _ in c.votes]
        if len(set(voters)) != len(voters):
            found.append(f"{c.key}: someone votes twice")
        for voter in voters:
            if voter not in READER_NAMES:
                found.append(f"{c.key}: unknown voter {voter}")
            if voter == c.reader:
                found.append(f"{c.key}: the author votes on their own comment")
        seen[c.key] = c
    for c in COMMENTS:
        replies = [r.minute for r in COMMENTS if r.parent == c.key]
        if c.edit is not None:
            edited = c.minute + c.edit.minutes_later
            if not 0 < c.edit.minutes_later < EDIT_WINDOW_MINUTES:
                found.append(f"{c.key}: edited outside the edit window")
            if replies and edited >= min(replies):
                found.append(f"{c.key}: edited after someone replied")
        if c.deleted_minute is not None:
            last_vote = vote_minute(c, len(c.votes) - 1) if c.votes else c.minute
            if last_vote >= c.deleted_minute or c.edit is not None:
                found.append(f"{c.key}: touched after it was deleted")
    return found
