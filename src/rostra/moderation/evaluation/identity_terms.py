"""Words that name religions, peoples and nationalities (and migrants), per language.

``rostra moderation eval`` measures identity-term bias with these: a comment that names one of
these groups falls in that subgroup, and the subgroup's ROC-AUC and share of civil comments
held are set beside the whole set's. The lists are ours, for en, fr, de, es, ru and ar: the
demonyms, adherents and group names a news comment uses (and, for religions, their places of
worship and the hatred of them by name: mosque, synagogue, antisemitism), plural and inflected
forms, and for Arabic the article and the clitics written onto the word (و ف ب ل ك ال). They
name the group, not what is said of it: the neutral words only, no slurs. Demonyms, not country
names: a comment about Syria's budget names no Syrians (``سوري(?!ا)``, ``afghan(?!istan)``).
Churches are left out: too many streets, halls and schools are named after one.

Each entry is a regular expression matched case-insensitively at word boundaries; ``\\w*``
says which entries take endings (``musulman\\w*``), so that a short stem does not catch a
longer, unrelated word (``jews?`` and not "jewellery"). Colour words count only with a noun
for people ("black people", "les noirs"), or, in German, as a capitalised noun inside a
sentence (*ein Schwarzer*): alone they are about markets and films. A comment is
matched against its own language's list (German *Syrien* is Syria, French *syrien* a Syrian),
and one in another language (Danish, say) against all of them.
"""

from __future__ import annotations

import re
from functools import cache

SUBGROUPS = ("religion", "people", "nationality", "migrants")
#: The subgroups the target "civil comments naming religions, peoples or nationalities" covers.
NAMED_GROUPS = ("religion", "people", "nationality")

TERMS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "religion": (
            r"muslim\w*", r"moslem\w*", r"islam\w*", r"jews?", r"jewish", r"judaism",
            r"christians?", r"christianity", r"catholic\w*", r"protestant\w*", r"evangelical\w*",
            r"hindus?", r"hinduism", r"buddhis\w*", r"sikhs?", r"atheists?", r"mormons?", r"copts?",
            r"coptic", r"shia", r"shiites?", r"sunnis?", r"mosques?", r"synagogues?",
            r"antisemit\w*", r"anti-semit\w*", r"islamophob\w*",
        ),
        "people": (
            r"arabs?", r"roma", r"romani", r"gypsy", r"gypsies", r"kurds?", r"kurdish", r"blacks",
            r"black (?:people|men|women|man|woman|folks?|communit\w*|americans?)",
            r"white (?:people|men|women|folks?)", r"asians?", r"africans?", r"latin[oax]s?",
            r"hispanics?", r"indigenous", r"aborigin\w*", r"native americans?", r"chechens?",
            r"uyghurs?", r"uighurs?", r"berbers?", r"amazigh", r"tatars?", r"pashtuns?",
        ),
        "nationality": (
            r"ukrainians?", r"russians?", r"israelis?", r"palestinians?", r"americans?",
            r"french(?:m[ae]n)?", r"germans?", r"chinese", r"syrians?", r"afghans?", r"afghanis?",
            r"iranians?", r"iraqis?", r"turks?", r"turkish", r"moroccans?", r"algerians?",
            r"tunisians?", r"egyptians?", r"lebanese", r"mexicans?", r"poles", r"romanians?",
            r"bulgarians?", r"nigerians?", r"somalis?", r"sudanese", r"pakistanis?", r"indians?",
            r"brits?", r"british", r"spaniards?", r"italians?", r"saudis?", r"yemenis?",
            r"libyans?", r"jordanians?",
        ),
        "migrants": (
            r"migrants?", r"immigrants?", r"refugees?", r"asylum[- ]seekers?", r"newcomers",
        ),
    },
    "fr": {
        "religion": (
            r"musulman\w*", r"islam\w*", r"juifs?", r"juives?", r"judaïsme", r"chrétien\w*",
            r"catholiques?", r"protestant\w*", r"évangéliques?", r"hindou\w*", r"bouddhist\w*",
            r"sikhs?", r"athées?", r"coptes?", r"chiites?", r"sunnites?", r"mosquées?",
            r"synagogues?", r"antisémit\w*", r"islamophob\w*",
        ),
        "people": (
            r"arabes?", r"roms?", r"tsiganes?", r"gitan\w*", r"kurdes?", r"les noirs", r"des noirs",
            r"(?:personnes|femmes) noires", r"hommes noirs", r"les blancs", r"asiatiques?",
            r"africain\w*", r"maghrébin\w*", r"berbères?", r"amazighs?", r"autochtones?",
            r"tchétchènes?", r"ouïghours?", r"kabyles?", r"blacks",
            r"(?:un|une|le|la|aux) blacks?(?! friday)",
        ),
        "nationality": (
            r"ukrainien\w*", r"russes?", r"israélien\w*", r"palestinien\w*", r"américain\w*",
            r"français\w*", r"allemand\w*", r"chinois\w*", r"syrien\w*", r"afghan(?!istan)\w*",
            r"iranien\w*", r"irakien\w*", r"turcs?", r"turques?", r"marocain\w*", r"algérien\w*",
            r"tunisien\w*", r"égyptien\w*", r"libanais\w*", r"mexicain\w*", r"polonais\w*",
            r"roumain\w*", r"britanniques?", r"anglais\w*", r"espagnol\w*", r"italien\w*",
            r"malien\w*", r"sénégalais\w*", r"nigérian\w*", r"comorien\w*", r"haïtien\w*",
            r"libyen\w*",
        ),
        "migrants": (
            r"migrant\w*", r"immigré\w*", r"immigrant\w*", r"réfugié\w*",
            r"demandeu(?:rs?|ses?) d'asile", r"exilé\w*", r"sans-papiers",
        ),
    },
    "de": {
        "religion": (
            r"muslim\w*", r"moslem\w*", r"islam\w*", r"juden", r"jude", r"jüdin\w*", r"jüdisch\w*",
            r"judentum\w*", r"christen\w*", r"christin\w*", r"christlich\w*", r"katholi\w*",
            r"protestant\w*", r"evangelisch\w*", r"hindus?", r"buddhist\w*", r"sikhs?",
            r"atheist\w*", r"kopten", r"schiit\w*", r"sunnit\w*", r"moschee\w*", r"synagoge\w*",
            r"antisemit\w*", r"islamfeindlich\w*", r"islamophob\w*",
        ),
        "people": (
            r"araber\w*", r"roma", r"sinti", r"zigeuner\w*", r"kurd\w*",
            r"schwarze[n]? (?:menschen|männer|frauen|mitbürger\w*)", r"weiße[n]? (?:menschen)",
            r"asiat\w*", r"afrikaner\w*", r"indigen\w*", r"tschetschen\w*", r"uigur\w*",
            r"berber\w*",
            r"(?-i:(?<=[a-zäöüß,] )Schwarze[nr]?)(?! null| peter| meer| brett| liste)",
        ),
        "nationality": (
            r"ukrainer\w*", r"ukrainisch\w*", r"russen", r"russin\w*", r"russisch\w*",
            r"israeli\w*", r"israelisch\w*", r"palästinens\w*", r"amerikaner\w*",
            r"amerikanisch\w*", r"franzos\w*", r"französ\w*", r"deutsche[nmr]?", r"chines\w*",
            r"syrer\w*", r"syrisch\w*", r"afghan(?!istan)\w*", r"iraner\w*", r"iranisch\w*",
            r"iraker\w*", r"türke[n]?", r"türkin\w*", r"türkisch\w*", r"marokkaner\w*",
            r"algerier\w*", r"tunesier\w*", r"ägypter\w*", r"libanes\w*", r"mexikaner\w*", r"polen",
            r"pole", r"polin\w*", r"polnisch\w*", r"rumän(?!ien)\w*", r"bulgar(?!ien)\w*",
            r"nigerian\w*", r"somali(?!a)\w*", r"briten", r"brite", r"britisch\w*", r"engländer\w*",
            r"spanier\w*", r"italiener\w*", r"griechen", r"griechisch\w*",
        ),
        "migrants": (
            r"migrant\w*", r"flüchtling\w*", r"geflüchtete\w*", r"asylbewerber\w*",
            r"asylsuchende\w*", r"einwander\w*", r"zuwander\w*", r"ausländer\w*",
        ),
    },
    "es": {
        "religion": (
            r"musulman\w*", r"islam\w*", r"judí[oa]s?", r"judi[oa]s?", r"judaísmo", r"cristian\w*",
            r"católic\w*", r"protestant\w*", r"evangélic\w*", r"hindú\w*", r"hindu\w*",
            r"budist\w*", r"ate[oa]s", r"coptos?", r"chiíes", r"chiitas?", r"suníes", r"sunitas?",
            r"mezquitas?", r"sinagogas?", r"antisemit\w*", r"islamof[oó]b\w*",
        ),
        "people": (
            r"árabes?", r"arabes", r"gitan\w*", r"kurd\w*", r"los negros",
            r"(?:personas|mujeres) negras", r"hombres negros", r"afrodescendientes?", r"asiátic\w*",
            r"african[oa]s?", r"indígenas?", r"latin[oa]s", r"mapuches?", r"bereberes?",
            r"chechen[oa]s?", r"uigures?", r"(?:estos|esos|unos|muchos) negr[oa]s",
        ),
        "nationality": (
            r"ucranian\w*", r"rus[oa]s?", r"israelí\w*", r"palestin(?:os|as|o)",
            r"estadounidenses?", r"norteamerican\w*", r"american[oa]s?", r"frances[ae]s",
            r"francés", r"aleman[ae]s", r"alemán", r"chin[oa]s", r"siri[oa]s", r"afgan[oa]s?",
            r"iraníes", r"iraní", r"iraquíes", r"iraquí", r"turc[oa]s?", r"marroquí\w*",
            r"argelin[oa]s?", r"tunecin[oa]s?", r"egipci[oa]s?", r"libanes\w*", r"mexican\w*",
            r"polac[oa]s?", r"ruman[oa]s?", r"venezolan\w*", r"colombian\w*", r"ecuatorian\w*",
            r"peruan\w*", r"argentin(?:os|as|o)", r"cuban[oa]s?", r"dominican[oa]s?",
            r"hondureñ[oa]s?", r"británic[oa]s?", r"ingleses", r"inglés", r"italian[oa]s?",
            r"senegales\w*", r"nigerian[oa]s?",
        ),
        "migrants": (
            r"migrantes?", r"inmigrantes?", r"refugiad[oa]s?", r"solicitantes? de asilo",
            r"emigrantes?", r"sin papeles",
        ),
    },
    "ru": {
        "religion": (
            r"мусульман\w*", r"ислам\w*", r"евре\w*", r"иуде\w*", r"христиан\w*", r"православн\w*",
            r"католи\w*", r"протестант\w*", r"буддист\w*", r"буддизм\w*", r"индуист\w*",
            r"атеист\w*", r"сикх\w*", r"шиит\w*", r"суннит\w*", r"мечет\w*", r"синагог\w*",
            r"антисемит\w*", r"исламофоб\w*",
        ),
        "people": (
            r"араб\w*", r"цыган\w*", r"курд\w*", r"чернокож\w*", r"негр\w*", r"азиат\w*",
            r"африкан\w*", r"чечен\w*", r"татар\w*", r"башкир\w*", r"уйгур\w*", r"кавказц\w*",
            r"бурят\w*", r"якут\w*", r"коренн\w* народ\w*",
        ),
        "nationality": (
            r"украинц\w*", r"украинец", r"украинк\w*", r"украинск\w*", r"русск\w*", r"россиян\w*",
            r"американ\w*", r"израильт\w*", r"израильск\w*", r"палестинц\w*", r"палестинск\w*",
            r"немц\w*", r"немец", r"немк\w*", r"немецк\w*", r"француз\w*", r"китайц\w*", r"китаец",
            r"китайск\w*", r"сирийц\w*", r"сирийск\w*", r"афганц\w*", r"афганск\w*", r"иранц\w*",
            r"иранск\w*", r"турк\w*", r"турок", r"турецк\w*", r"узбек(?!истан)\w*",
            r"таджик(?!истан)\w*", r"киргиз(?!ия|ии|ию)\w*", r"казах(?!стан)\w*", r"грузин\w*",
            r"армян\w*", r"азербайджанц\w*", r"азербайджанск\w*", r"поляк\w*", r"польск\w*",
            r"белорус(?!сия|сии|сию)\w*", r"молдаван\w*", r"египтян\w*", r"британц\w*",
            r"британск\w*", r"англичан\w*", r"мексиканц\w*",
        ),
        "migrants": (
            r"мигрант\w*", r"иммигрант\w*", r"беженц\w*", r"беженец", r"беженк\w*",
            r"гастарбайтер\w*",
        ),
    },
    "ar": {
        "religion": (
            r"مسلم\w*", r"إسلام\w*", r"اسلام\w*", r"يهود\w*", r"مسيحي\w*", r"نصار[ىا]",
            r"نصراني\w*", r"هندوس\w*", r"بوذي\w*", r"ملحد\w*", r"سيخ", r"أقباط", r"اقباط",
            r"قبطي\w*", r"شيعة", r"شيعي\w*", r"دروز", r"درزي\w*", r"كاثوليك\w*", r"بروتستانت\w*",
            r"مسجد\w*", r"مساجد", r"كنيس", r"معاداة السامية", r"إسلاموفوبيا", r"اسلاموفوبيا",
        ),
        "people": (
            r"عرب\w*", r"أكراد", r"اكراد", r"كرد\w*", r"أمازيغ\w*", r"امازيغ\w*", r"بربر\w*",
            r"سود", r"غجر\w*", r"أفارقة", r"افارقة", r"أفريقي\w*", r"افريقي\w*", r"آسيوي\w*",
            r"اسيوي\w*", r"تركمان\w*", r"شركس\w*",
        ),
        "nationality": (
            r"فلسطيني\w*", r"إسرائيلي\w*", r"اسرائيلي\w*", r"سوري(?!ا)\w*", r"مصري\w*", r"عراقي\w*",
            r"لبناني\w*", r"مغربي\w*", r"مغاربة", r"جزائري\w*", r"تونسي\w*", r"ليبي(?!ا)\w*",
            r"أردني\w*", r"اردني\w*", r"سعودي(?!ة)\w*", r"يمني\w*", r"سوداني\w*", r"أمريكي\w*",
            r"امريكي\w*", r"أميركي\w*", r"اميركي\w*", r"روسي(?!ا)\w*", r"روس", r"أوكراني(?!ا)\w*",
            r"اوكراني(?!ا)\w*", r"فرنسي\w*", r"ألمان(?!يا)\w*", r"الماني(?!ا)\w*", r"إيراني\w*",
            r"ايراني\w*", r"تركي(?!ا)\w*", r"أتراك", r"اتراك", r"أفغاني\w*", r"افغاني\w*",
            r"باكستاني\w*", r"هندي\w*", r"صيني\w*", r"بريطاني(?!ا)\w*", r"إنجليز\w*", r"انجليز\w*",
            r"إسباني(?!ا)\w*", r"اسباني(?!ا)\w*", r"إيطالي(?!ا)\w*", r"ايطالي(?!ا)\w*",
            r"صومالي\w*",
        ),
        "migrants": (
            r"مهاجر\w*", r"لاجئ\w*", r"نازح\w*", r"مهجر\w*",
        ),
    },
}  # fmt: skip

# Arabic writes the conjunction, the preposition and the article onto the word.
_ARABIC_CLITICS = r"(?:[وف])?(?:[بلك])?(?:ال|لل)?"


@cache
def _pattern(subgroup: str, lang: str | None) -> re.Pattern[str]:
    parts = []
    for code, groups in TERMS.items():
        if lang in TERMS and code != lang:
            continue
        alternatives = "|".join(groups[subgroup])
        prefix = _ARABIC_CLITICS if code == "ar" else ""
        parts.append(f"{prefix}(?:{alternatives})")
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def subgroups_of(text: str, lang: str | None = None) -> frozenset[str]:
    """The subgroups (of :data:`SUBGROUPS`) a comment in ``lang`` names: matched against that
    language's lists, or every list for a language without its own."""
    key = lang if lang in TERMS else None
    return frozenset(name for name in SUBGROUPS if _pattern(name, key).search(text))
