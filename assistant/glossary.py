"""A small English↔German glossary of everyday news words, for matching without a model.

The extractive backend and the citation check compare an English question with German article
sentences in milliseconds; the embedding model is too slow per sentence and ranks sentences of one
article too close together to tell "6,000 more are expected" from "25,000 are planned". These
pairs of word stems (folded: lower case, no accents, j → y) carry the common question words
across. Stems match word beginnings, so "erwart" covers erwartet, erwarten, Erwartung.
"""

from __future__ import annotations

from assistant.matching import term_in
from core.words import fold

# English stem → German stems. Written for news questions: people, counts, events, verbs of
# reporting and change.
_PAIRS: dict[str, tuple[str, ...]] = {
    "expect": ("erwart",),
    "soldier": ("soldat", "truppe"),
    "troop": ("truppe", "soldat"),
    "army": ("armee", "heer", "streitkraf"),
    "kill": ("getotet", "totet", "tote", "ums leben"),
    "dead": ("tote", "gestorb"),
    "died": ("gestorb", "starb"),
    "death": ("tod",),
    "injur": ("verletz",),
    "wound": ("verwund", "verletz"),
    "arrest": ("festgenommen", "verhaft", "festnahm"),
    "elect": ("wahl", "gewahlt"),
    "vote": ("stimm", "wahl"),
    "win": ("gewinn", "gewonn", "sieg"),
    "won": ("gewonn", "sieg"),
    "lose": ("verlier", "verlor"),
    "lost": ("verlor",),
    "president": ("prasident",),
    "chancellor": ("kanzler",),
    "minister": ("minister",),
    "government": ("regierung",),
    "parliament": ("parlament", "bundestag"),
    "law": ("gesetz",),
    "court": ("gericht",),
    "judge": ("richter",),
    "police": ("polizei",),
    "war": ("krieg",),
    "peace": ("frieden",),
    "agreement": ("abkommen", "vereinbar", "einigung"),
    "deal": ("abkommen", "deal", "vereinbar"),
    "treaty": ("vertrag", "pakt"),
    "talk": ("gesprach", "verhandl"),
    "meeting": ("treffen", "gipfel"),
    "summit": ("gipfel", "treffen"),
    "phone": ("telefon",),
    "call": ("telefonat", "anruf", "gesprach"),
    "discuss": ("besproch", "gesprach", "ausgetauscht", "diskut"),
    "interpret": ("wertet", "deutet", "interpret", "sieht"),
    "warn": ("warn",),
    "threat": ("droh",),
    "attack": ("angriff", "attack"),
    "weapon": ("waffe",),
    "nuclear": ("atom", "nuklear"),
    "missile": ("rakete",),
    "drone": ("drohne",),
    "sister": ("schwester",),
    "brother": ("bruder",),
    "wife": ("frau", "ehefrau"),
    "husband": ("mann", "ehemann"),
    "son": ("sohn",),
    "daughter": ("tochter",),
    "leader": ("fuhrer", "machthaber", "chef", "spitze"),
    "expert": ("expert",),
    "university": ("universitat", "hochschule"),
    "study": ("studie", "studien"),
    "studies": ("studien",),
    "report": ("bericht", "meld"),
    "said": ("sagte", "erklart", "teilte"),
    "announce": ("angekundigt", "kundigt", "bekannt"),
    "plan": ("plan",),
    "send": ("schick", "entsend"),
    "sent": ("geschickt", "entsandt"),
    "already": ("bereits", "schon"),
    "more": ("weitere", "mehr"),
    "new": ("neu",),
    "population": ("einwohner", "bevolkerung"),
    "inhabitant": ("einwohner",),
    "people": ("mensch", "leute", "personen"),
    "child": ("kind",),
    "year": ("jahr",),
    "month": ("monat",),
    "week": ("woche",),
    "day": ("tag",),
    "price": ("preis",),
    "cost": ("kost",),
    "tax": ("steuer",),
    "tariff": ("zoll", "zolle"),
    "trade": ("handel",),
    "money": ("geld",),
    "billion": ("milliard",),
    "million": ("million",),
    "percent": ("prozent",),
    "company": ("unternehm", "firma", "konzern"),
    "worker": ("arbeiter", "beschaftigt"),
    "job": ("stelle", "arbeitsplatz", "job"),
    "strike": ("streik",),
    "school": ("schule",),
    "hospital": ("krankenhaus", "klinik"),
    "fire": ("feuer", "brand"),
    "flood": ("flut", "hochwasser", "uberschwemm"),
    "storm": ("sturm", "unwetter"),
    "earthquake": ("erdbeben",),
    "border": ("grenze",),
    "front": ("front",),
    "city": ("stadt",),
    "country": ("land", "staat"),
    "capital": ("hauptstadt",),
    "north": ("nord",),
    "south": ("sud",),
    "east": ("ost",),
    "west": ("west",),
    "korea": ("korea",),
    "russia": ("russland", "russisch"),
    "russian": ("russisch", "russland"),
    "ukraine": ("ukrain",),
    "germany": ("deutschland", "deutsch"),
    "german": ("deutsch",),
    "american": ("amerikan", "us-"),
    "kremlin": ("kreml",),
    "intelligence": ("geheimdienst", "nachrichtendienst"),
    "experience": ("erfahrung",),
    "cooperation": ("zusammenarbeit", "kooperation"),
    "support": ("unterstutz",),
    "relationship": ("verhaltnis", "beziehung"),
    "relation": ("beziehung", "verhaltnis"),
    "power": ("macht",),
    "demonstration": ("demonstration",),
}
_FOLDED = {fold(en): tuple(fold(de) for de in des) for en, des in _PAIRS.items()}


def translations(term: str) -> tuple[str, ...]:
    """German stems for a folded English word (matched by its longest glossary prefix)."""
    for length in range(len(term), 2, -1):
        found = _FOLDED.get(term[:length])
        if found:
            return found
    return ()


def term_or_translation_in(term: str, folded_text: str) -> bool:
    """The term itself, its stem, or one of its German stems occurs in the folded text."""
    return term_in(term, folded_text) or any(de in folded_text for de in translations(term))
