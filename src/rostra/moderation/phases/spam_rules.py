"""The commercial-spam signals of the spam phase: disguised links, contacts, money claims, lexicons.

Comment spam sells something and tells the reader where to buy it. These signals look for the
two halves in six languages (en, fr, de, es, ru, ar):

* **where**: links to odd top-level domains or through link shorteners, domains disguised so
  that a link filter misses them (``site dot com``, ``s i t e . c o m``, ``site[.]shop``,
  ``site (.) shop``), messenger handles and links (``Telegram @name``, ``wa.me/...``), phone
  numbers and "DM me" in each language;
* **what**: money and earning claims ("$450 a day", "300 € par jour", "из 20 000 сделал
  600 000"), and the vocabulary of the usual trades (crypto, pharmacy, dating and escort ads,
  work from home, casino and betting, followers, "spiritual healers", giveaways, loans,
  insurance), matched on the pipeline's normalised text;
* **how**: dense emoji.

Each signal is a strength in ``[0, 1]`` that the spam phase combines with its older signals as
independent evidence; none holds a civil comment alone (a reader may link a government PDF,
quote a price, give a helpline number or mention Telegram as news). Every expression here is
linear: repeats are bounded and no two adjacent parts can match the same characters, so a long
run of dots, digits or spaces costs a single pass (tested with 100 KB bodies).

The word lists were written for Rostra; a site adds its own words through the suspect list.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from rostra.moderation.normalize import normalize

# -- where: links, disguised domains, contacts ----------------------------------------------------

#: Top-level domains that news readers hardly ever link to and spam often does.
ODD_TLDS: Final = frozenset(
    [
        "xyz",
        "top",
        "shop",
        "store",
        "click",
        "bet",
        "vip",
        "online",
        "site",
        "live",
        "icu",
        "buzz",
        "fun",
        "win",
        "loan",
        "money",
        "casino",
        "cam",
        "rest",
        "bar",
        "monster",
        "sbs",
        "cfd",
        "lol",
        "pw",
        "tk",
        "ml",
        "ga",
        "cf",
        "gq",
        "cyou",
        "best",
        "work",
        "today",
        "life",
        "club",
    ]
)
#: Link shorteners: the reader cannot see where the link goes.
SHORTENERS: Final = frozenset(
    [
        "bit.ly",
        "tinyurl.com",
        "t.co",
        "goo.gl",
        "cutt.ly",
        "is.gd",
        "ow.ly",
        "rb.gy",
        "tiny.cc",
        "shorturl.at",
        "clck.ru",
        "s.id",
        "t.ly",
        "rebrand.ly",
        "buff.ly",
        "v.gd",
        "u.to",
        "lnkd.in",
    ]
)
_TLD_ALT: Final = "|".join(sorted(ODD_TLDS | {"com", "net", "org", "info", "biz", "ru", "io"}))
# "name dot com", "name [.] shop", "name (dot) top", "name . xyz" (spaced letters are joined
# by the normaliser first). The name is bounded; each separator needs its own characters.
_DISGUISED_RE: Final = re.compile(
    r"(?<![\w.])[a-z0-9][a-z0-9-]{1,40}"
    r"(?:\s?[\[({]\s?(?:\.|dot|punto|point|punkt|точка)\s?[\])}]\s?"
    r"| (?:dot|point|punkt|punto|точка|دوت|نقطه|نقطة) "
    r"| \. )"
    # The TLD may be spelt in Cyrillic or Arabic letters too ("name точка ру", "name نقطة نت").
    rf"(?:{_TLD_ALT}|ком|нет|ру|орг|инфо|كوم|نت)(?!\w)"
)
# A bare domain on an odd TLD: the link phase knows only the common ones ("deals.icu").
_ODD_HOST_RE: Final = re.compile(
    r"(?<![\w.@-])(?:[a-z0-9-]{1,63}\.){1,4}(?:" + "|".join(sorted(ODD_TLDS)) + r")(?![\w.-]?\w)"
)
# "c a s h n o . r u": the normaliser joins three letters or more; a spaced TLD is joined here.
_SPACED_TLD_RE: Final = re.compile(r"(?<=\. )[a-z](?: [a-z]){1,5}(?!\w)")
_SHORT_RE: Final = re.compile(
    r"(?<![\w.])(?:" + "|".join(re.escape(s) for s in sorted(SHORTENERS)) + r")/[\w-]{2,}"
)
_MESSENGER_LINK_RE: Final = re.compile(
    r"(?<![\w.])(?:t\.me|wa\.me|telegram\.me|chat\.whatsapp\.com)/"
)
_MESSENGERS: Final = (
    r"telegram|telegramm|telegrame|whatsapp|whats app|viber|signal|wechat|snapchat|kik|skype|"
    r"телеграм\w{0,3}|телеграмм\w{0,3}|тг|ватсап\w{0,3}|вотсап\w{0,3}|вайбер\w{0,3}|"
    r"واتساب|واتس|تيليجرام|تلغرام|تليجرام|تيلجرام"
)
_MESSENGER_RE: Final = re.compile(rf"(?<!\w)(?:{_MESSENGERS})(?!\w)")
# A messenger named right before a handle or a number: "Telegram @name", "WhatsApp +44 ...".
_MESSENGER_CONTACT_RE: Final = re.compile(
    rf"(?<!\w)(?:{_MESSENGERS})(?!\w)[\s:：,.-]{{0,4}}(?:@[a-z][\w.]{{2,31}}|\+?\d)"
)
# An e-mail address says where to write, as a link says where to go (bounded repeats).
_EMAIL_RE: Final = re.compile(r"\b[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}\b")
_HANDLE_RE: Final = re.compile(r"(?<![\w@.])@[a-z][a-z0-9_]{3,31}(?![\w@])")
# A phone number: international (+ or 00), or national starting with 0 or 8, 9 to 13 digits.
# "call 655 44 33 22": any long number right after a verb of calling is a phone number.
_CALL_RE: Final = re.compile(
    r"(?<!\w)(?:call|ring|text|llama\w{0,3}|appel\w{0,4}|ruf\w{0,3}|звони\w{0,3}|اتصل\w{0,3})"
    r"(?!\w)[^\d\n]{0,8}\d(?:[ .-]?\d){7,12}"
)
_PHONE_RE: Final = re.compile(r"(?<![\w+.,])(?:\+|00|0|8)\d(?:[ .()-]{0,2}\d){7,12}(?![\w.,]\d)")
_DM_RE: Final = re.compile(
    r"\b(?:dm me|inbox me|pm me|text me|message me|write me|contact me|hit me up|"
    r"ecrivez-moi|ecris-moi|contactez-moi|en mp\b|en prive|"
    r"schreib mir|schreibt mir|pn an mich|meldet euch|melde dich|"
    r"escribeme|escribame|contactame|mandame un|al privado|"
    r"пиши в|пишите в|пишите мне|пиши мне|в личку|в лс\b|звони|звоните)"
    r"|راسلني|للتواصل|تواصل (?:معي|واتساب|على)|على الخاص|اتصل"
)

# -- what: money claims and trade vocabulary ----------------------------------------------------

_AMOUNT: Final = (
    r"(?:[$€£₽]\s?\d[\d.,]{0,12}(?:\s?k)?"
    r"|\d[\d.,]{0,12}(?: \d{3}){0,3}\s?(?:k|к|тыс\w{0,5}|الف)?\s?"
    r"(?:[$€£₽]|usd|eur|dollars?|euros?|рубл\w{0,3}|руб|долл\w{0,5}|دولار|ريال|درهم|جنيه))"
)
_PERIOD: Final = (
    r"(?:a|per|every|each|/) ?(?:day|week|month|hour)|daily|weekly|monthly|hourly|"
    r"taglich|wochentlich|monatlich|quotidien\w{0,3}|diario\w{0,1}|"
    r"par (?:jour|semaine|mois|heure)|pro (?:tag|woche|monat|stunde)|am tag|im monat|"
    r"(?:al|por|cada) (?:dia|semana|mes|hora)|в (?:день|неделю|месяц|час|сутки)|ежедневно|"
    r"يوميا|شهريا|اسبوعيا|في اليوم|في الشهر"
)
_EARN: Final = (
    r"earn\w{0,3}|make|making|made|profit\w{0,3}|income|gagne\w{0,3}|revenu\w{0,2}|"
    r"verdien\w{0,3}|einkommen|gana\w{0,3}|gano|ingreso\w{0,1}|заработ\w{0,4}|зарабат\w{0,6}|доход\w{0,2}|"
    r"اربح|ربح|دخل|ارباح"
)
_EARNING_RE: Final = re.compile(
    rf"(?<!\w)(?:{_EARN})(?!\w)[^.!?\n]{{0,40}}?{_AMOUNT}[^.!?\n]{{0,12}}?(?:{_PERIOD})"
    rf"|(?<!\w)(?:{_EARN})(?!\w)[^\d.!?\n]{{0,12}}\d[\d .,]{{1,12}} ?(?:{_PERIOD})"
    rf"|{_AMOUNT} ?(?:{_PERIOD})[^.!?\n]{{0,40}}?(?<!\w)(?:{_EARN})(?!\w)"
)
_PER_PERIOD_RE: Final = re.compile(rf"{_AMOUNT} ?(?:{_PERIOD})")
# "turned $300 into $14,000", "из 20 000 рублей сделал 600 000".
_MULTIPLY_RE: Final = re.compile(
    rf"{_AMOUNT}[^.!?\n]{{0,12}}?(?<!\w)(?:into|en|in|в|الى|إلى)(?!\w) ?{_AMOUNT}"
    r"|(?<!\w)(?:из|de) \d[\d ]{2,9}[^.!?\n]{0,20}?(?:сделал|a|en|получил) \d[\d ]{3,9}"
)


def _terms(joined: str) -> tuple[str, ...]:
    return tuple(joined.split("|"))


#: The trades of comment spam, a few telling words each, in six languages (normalised below).
CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "crypto": _terms(
        "bitcoin|btc|ethereum|eth|usdt|crypto|cripto|krypto|trading bot|forex|криптовалют|"
        "биткоин|бинанс|بيتكوين|عملات رقمية|تداول|إيثريوم|2x back|x2|double your|doubler vos|"
        "verdoppeln|duplicamos|удваиваем|نضاعف|doublez|doubling|duplica tu|trading signals|"
        "gold signals|forex signals|free channel|vip channel|vip group|groupe vip|vip-gruppe|"
        "grupo vip|vip канал"
    ),
    "pharmacy": _terms(
        "viagra|cialis|tramadol|xanax|without prescription|sans ordonnance|ohne rezept|"
        "sin receta|без рецепта|بدون وصفة|online pharmacy|pharmacie en ligne|online-apotheke|"
        "farmacia online|онлайн аптека|صيدلية اونلاين|weight loss pills|pilules minceur|"
        "abnehmpillen|pastillas para adelgazar|таблетки для похудения|حبوب تخسيس|виагра|"
        "сиалис|فياجرا|سياليس|somniferes|schlaftabletten|somniferos|снотворн|منومات"
    ),
    "dating": _terms(
        "onlyfans|link in bio|nudes|hot singles|singles in your|lonely|meet you|"
        "femmes pres de chez vous|je suis seule|celibataire|heisse singles|einsam|"
        "chicas solteras|estoy soltera|одинок|познаком|بنات جميلات|التعارف|وحيدة|sexy|hookup|"
        "near you|milf|no signup|pres de chez vous|in deiner nahe|cerca de ti|рядом с тобой|"
        "بالقرب منك"
    ),
    "escort": _terms(
        "massage|masaje|массаж|discrecion total|discretion totale|total diskret|escort|"
        "incall|outcall|real photos|photos reelles|echte fotos|fotos reales|индивидуалк|"
        "досуг|выезд|реальные фото|مرافقة|صور حقيقية"
    ),
    "work_home": _terms(
        "working from home|work from home|earn from home|no experience|travail a domicile|"
        "depuis chez moi|sans experience|sans diplome|job en ligne|heimarbeit|von zu hause|"
        "nebenjob|ohne vorkenntnisse|trabajando desde casa|trabajo online|sin experiencia|"
        "работа на дому|удаленная работа|удалённая работа|без вложений|без опыта|من البيت|"
        "من المنزل|عمل اونلاين|بدون خبرة|hiring now|recrutement urgent|wir stellen ein|"
        "contratamos|требуются|مطلوب فورا"
    ),
    "casino": _terms(
        "casino|free spins|tours gratuits|freispiele|giros gratis|фриспин|لفة مجانية|"
        "welcome bonus|bonus de bienvenue|willkommensbonus|bono de bienvenida|бонус|"
        "مكافاة ترحيبية|betting tips|paris sportifs|sportwetten|ставки на спорт|с гарантией|"
        "apuestas deportivas|прогнозы на спорт|المراهنات|win rate|de reussite|trefferquote|"
        "de aciertos|проходимость|نسبة نجاح|jackpot"
    ),
    "followers": _terms(
        "followers|subscribers|tiktok views|abonnes|follower|abonnenten|seguidores|"
        "suscriptores|подписчик|накрутк|лайк|متابعين|مشتركين|لايكات|vues tiktok|aufrufe|"
        "visitas de tiktok|просмотры|مشاهدات"
    ),
    "healer": _terms(
        "spiritual healer|lost lover|love spell|tarot|videncia|voyance|wahrsager|гадани|таро|"
        "верну мужа|spell caster|lottery spell|psychic|curses|herbalist|marabout|voyant|"
        "medium puissant|retour de l'etre aime|desenvoutement|mauvais sort|"
        "spiritueller heiler|fluche|krauterheiler|curandero|amarres|vidente|maleficio|"
        "приворот|порч|сглаз|гадалк|ясновид|روحاني|جلب الحبيب|فك السحر|النحس|infertility|"
        "kinderwunsch|бесплоди|العقم"
    ),
    "giveaway": _terms(
        "giveaway|free iphone|gift card|congratulations|you were selected|concours|"
        "iphone 15 gratuit|felicitations|bon d'achat|gewinnspiel|gratis iphone|claim now|"
        "limited spots|cash app|gluckwunsch|gutschein|sorteo|enhorabuena|tarjeta regalo|"
        "розыгрыш|бесплатно|поздравляем|подарочн|مسابقة|مجانا|مبروك|بطاقة هدايا|claim it|"
        "reclamez|einlosen|reclamala|заберите приз"
    ),
    "loan": _terms(
        "تمويل شخصي|تمويل فوري|loan|bad credit|credit check|pret rapide|entre particuliers|"
        "sans justificatif|credit rapide|kredit|schufa|bonitatsprufung|prestamo|"
        "creditos rapidos|sin aval|asnef|займ|без отказа|кредитной истории|قرض|قروض|"
        "بدون كفيل|بدون ضمانات"
    ),
    "insurance": _terms(
        "insurance|assurance|страховк|تامين|car insurance|compare quotes|mutuelle|"
        "economisez jusqu|versicherung|bis zu 70|seguro del coche|ahorra hasta|осаго|"
        "экономия до|تامين سيارتك|وفر حتى"
    ),
    "lure": _terms(
        "paid off my|she showed me how|changed my life|join my|rejoins mon|rejoignez mon|"
        "tritt meinem|unete a mi|вступай в|انضم الى|the real story|they don't tell you|"
        "la verite que|vous cachent|die ganze wahrheit|verschweigt|la verdad que|te ocultan|"
        "вся правда|скрывают сми|الحقيقة الكاملة|يخفيها الاعلام|click here|cliquez ici|"
        "hier klicken|haz clic|жми сюда|اضغط هنا"
    ),
    "services": _terms(
        "hacker for hire|recover your|verified accounts|fresh logs|essay writing|"
        "fake documents|diplomas|продам дипломы|дипломы любых|аккаунты|faux papiers|"
        "gefalschte|documentos falsos|شهادات جامعية"
    ),
    "sales": _terms(
        "недорого|cheap|cheapest|best price|discount|order now|order at|buy |% off|"
        "free delivery|hurry|guaranteed|pas cher|meilleur prix|commandez|garanti|gunstig|"
        "jetzt bestellen|kaufe|rabatt|barato|mejor precio|compra |descuento|дешев|скидк|"
        "заказ|купить|ارخص|بخصم|اطلب|اسرع|vite :|schnell:|corre:|успей|100%|100 %|"
        "instant delivery|livraison instantanee|sofortige lieferung|entrega inmediata|"
        "мгновенно|تسليم فوري|discreet|discrete|diskreter|discreto|анонимн|سري"
    ),
}


def _term_re(term: str) -> str:
    t = normalize(term)
    body = re.escape(t).replace(r"\ ", " ")
    # Arabic words take prefixes (ال, و, ب): match anywhere; others from a word's start.
    if any("\u0600" <= ch <= "\u06ff" for ch in t) or not t[:1].isalnum():
        return body
    return r"(?<!\w)" + body


_CATEGORY_RES: Final = {
    name: re.compile("|".join(_term_re(t) for t in terms)) for name, terms in CATEGORIES.items()
}

_DIGITS: Final = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def _fold(text: str) -> str:
    """Case- and accent-folded text with ASCII digits ("Télégram" -> "telegram", "٠٥٥" -> "055")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_DIGITS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _shouts(text: str) -> bool:
    cased = [ch for ch in text[:2000] if ch.lower() != ch.upper()]
    return len(cased) >= 24 and sum(ch.isupper() for ch in cased) >= 0.8 * len(cased)


def _is_emoji(ch: str) -> bool:
    o = ord(ch)
    return 0x1F300 <= o <= 0x1FAFF or 0x2600 <= o <= 0x27BF or 0x1F000 <= o <= 0x1F2FF


def _count(pattern: re.Pattern[str], text: str) -> int:
    return sum(1 for _ in pattern.finditer(text))


def commercial_signals(
    text: str, normalized: str, hosts: list[str], links: int = 0
) -> dict[str, float]:
    """The strength of each commercial-spam signal in ``text`` (only those present).

    ``text`` is the body as written, ``normalized`` the pipeline's normalised form and
    ``hosts`` the domains of the links the link phase found (``links`` of them). An offer (a
    trade's words or an earnings claim) that also says where to go (a link, a disguised domain,
    a contact) is what holds; either half alone stays under the hold.
    """
    out: dict[str, float] = {}
    raw = _fold(text)
    odd = sum(1 for h in hosts if h.rsplit(".", 1)[-1] in ODD_TLDS and h not in SHORTENERS)
    odd = odd or _count(_ODD_HOST_RE, raw)
    if odd:
        out["odd_domain"] = min(0.6, 0.4 * odd)
    short = sum(1 for h in hosts if h in SHORTENERS) or _count(_SHORT_RE, raw)
    if short:
        out["shortener"] = min(0.7, 0.5 * short)
    joined = _SPACED_TLD_RE.sub(lambda m: m.group(0).replace(" ", ""), normalized)
    disguised = [m.group(0) for m in _DISGUISED_RE.finditer(joined)]
    if disguised:
        # Nobody disguises a link to a government report. "name dot com", "name[.]shop" or an
        # odd TLD hold alone; a bare "name . com" might be a typing slip, and needs one more sign.
        odd_tld = any(re.split(r"[\s.\])}]+", f)[-1] in ODD_TLDS for f in disguised)
        explicit = any(" . " not in f for f in disguised)
        out["disguised_link"] = 0.8 if odd_tld or explicit or len(disguised) > 1 else 0.7
    contact = 0.0
    if _MESSENGER_LINK_RE.search(raw) or _MESSENGER_CONTACT_RE.search(raw):
        contact = 0.6
    elif _MESSENGER_RE.search(raw):
        # Telegram named as news is no contact; named beside a handle, it is.
        contact = 0.5 if _HANDLE_RE.search(raw) else 0.1
    if _PHONE_RE.search(raw) or _CALL_RE.search(raw):
        # A number beside WhatsApp or Viber, wherever it is written, is a contact.
        contact = max(contact, 0.6 if contact == 0.1 else 0.3)
    if _DM_RE.search(normalized):
        contact = max(contact, 0.35)
    if contact:
        out["contact"] = contact
    if _HANDLE_RE.search(raw) and contact < 0.6:
        out["handle"] = 0.15  # "@name" alone is often a reply to another reader
    # Amounts are read in the folded text too: the normaliser reads "$" as the letter "s".
    if any(rx.search(t) for rx in (_EARNING_RE, _MULTIPLY_RE) for t in (normalized, raw)):
        out["earnings"] = 0.5
    elif _PER_PERIOD_RE.search(normalized) or _PER_PERIOD_RE.search(raw):
        out["earnings"] = 0.15  # "my rent is $1,850 a month"
    where = max(
        out.get("odd_domain", 0.0),
        out.get("shortener", 0.0),
        out.get("disguised_link", 0.0),
        out.get("contact", 0.0),
        0.3 if links or hosts or "handle" in out or _EMAIL_RE.search(raw) else 0.0,
    )
    trades = {name: _count(rx, normalized) for name, rx in _CATEGORY_RES.items()}
    sales = trades.pop("sales")
    hits = sum(trades.values())
    if hits or (sales and where):  # "cheap" or "100%" alone is ordinary prose
        kinds = sum(1 for n in trades.values() if n)
        strength = 0.3 * min(hits, 3) + 0.1 * max(0, kinds - 1) + 0.15 * min(sales, 2)
        out["trade_words"] = min(0.85, strength)
    emoji = sum(1 for ch in text[:5000] if _is_emoji(ch))
    if emoji >= 3:
        out["emoji"] = min(0.4, 0.08 * emoji)
    if raw.count("!!") >= 2:
        out["exclamations"] = 0.15
    what = max(out.get("trade_words", 0.0), out.get("earnings", 0.0))
    # A disguised link or a messenger handle is itself a pitch's address: any other sign of a
    # pitch (emoji, "!!", shouting, a number per day, a trade's word) completes it.
    pitchy = bool({"emoji", "exclamations", "earnings", "trade_words"} & set(out)) or _shouts(text)
    if (where >= 0.3 and what >= 0.3) or (where >= 0.6 and pitchy):
        out["offer"] = 0.6
    elif "trade_words" in out:
        # Words alone: a reader quoting an advert to criticise it, or naming a casino in the news.
        out["trade_words"] = min(out["trade_words"], 0.45)
    return out


def trades_of(normalized: str) -> list[str]:
    """The spam trades whose words ``normalized`` uses (for the moderator's reason)."""
    return [n for n, rx in _CATEGORY_RES.items() if n != "sales" and rx.search(normalized)]
