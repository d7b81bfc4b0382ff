"""Plain-language questions, in French or English, answered from the agenda, venues and FAQ.

No language model and nothing online: the question is folded (case, accents), split into
words, its intent read from small bilingual word lists (when, where, next, a day, a time of
day), and its content words matched against an inverted index of the mission with fuzzy
matching (rapidfuzz), so typos and missing accents still find the session, the place or the
FAQ entry. The index is built once per mission content version and shared by all delegates;
what a delegate may see is filtered per question (tagged and named sessions).
"""

from __future__ import annotations

import bisect
import functools
import heapq
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.agenda import Viewer, building, changes_of, current, named_items
from bot.services.dates import (
    MONTHS,
    RELATIVE,
    UNAMBIGUOUS_WEEKDAYS,
    WEEKDAYS,
    DateProblem,
    fold,
    parse_clock,
    parse_day,
)
from models import AgendaItem, Audience, FaqEntry, Mission, Venue
from models import queries as q


class AnswerKind(StrEnum):
    SESSION = "session"
    VENUE = "venue"
    FAQ = "faq"
    DAY = "day"
    NEXT = "next"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Match:
    kind: AnswerKind
    key: str
    ref_id: int
    score: float


@dataclass(frozen=True)
class Understanding:
    """What the bot understood: an answer kind and what it points to, in the question's
    language, with the runners-up when it is not sure."""

    kind: AnswerKind
    language: str
    match: Match | None = None
    day: date | None = None
    confident: bool = True
    alternatives: tuple[Match, ...] = ()
    day_problem: DateProblem | None = None
    # Other sessions the question fits exactly as well ("la navette demain" with three legs,
    # "les rendez-vous B2B"): shown beside the answer, which is only the likeliest of them.
    also: tuple[Match, ...] = ()


# --- words --------------------------------------------------------------------------


def _words(text: str) -> set[str]:
    return set(text.split())


# Function words that tell French from English.
FRENCH = _words(
    "a acheter adresse aller allons apres arrive arrivee au aujourd aux avec avoir besoin c "
    "ca ce cet cette chez combien comment dans de demain depart des dimanche dois du est et "
    "etre fait faut heure horaire hui ici il j je jeudi journee la le les lundi ma "
    "maintenant mardi matin mercredi mes midi mon nos notre nous on ou part pas peut peux "
    "pour prochain prochaine prochaines puis qu quand quel quelle quelles quels "
    "quoi rien samedi sans soir sont suivant suivante sur t trouve trouver un une vendredi "
    "vous y "
    # Chat and politeness that only French uses: "programme d'auj svp".
    "svp stp auj ajd merci bonjour bonsoir salut "
    # Texting shorthand only French writes: "mdp wifi", "tel coordo", "rdv dem", "pti dej".
    "mdp coordo dem rdv pti ptit qd pk pq bcp tjrs adr "
    # Everyday nouns of a trip that English does not share: "location voiture", "piscine?".
    "voiture forfait piscine laverie pressing stationnement valise valises bagages chargeur "
    "pharmacie medecin pourboire cellulaire"
)
ENGLISH = _words(
    "a address afternoon agenda an and any are arrival arrive at be bus buy can day "
    "departure did do does evening find for friday get go going have here how i in is it "
    "its last leave leaving many monday morning much my need next night noon now of on our "
    "plan saturday schedule should sunday the there this thursday time to today tomorrow "
    "tonight tonite tuesday us we wednesday what what's whats when where which with without "
    "pls plz please thanks thx hi hello hey "
    # Texting shorthand only English writes: "hotel addr", "tmrw", "wifi pwd", "my sched".
    "addr tmrw tmr pwd sched tues wed thurs "
    # Everyday nouns of a trip that French does not share: "hotel pool?", "car rental".
    "pool laundry car rental luggage charger pharmacy doctor"
)
# Words that carry no subject (both languages, Quebec forms included).
STOPWORDS = _words(
    # The quarter and the half of an hour said in words ("midi et quart", "3 h et demie"),
    # and Quebec's "tantôt" (later today): when, not what.
    "quart demie tantot "
    # "La semaine prochaine": when, around the whole stay.
    "semaine "
    # Whom one asks for, which is not what one asks about: "does my boss need his badge".
    "boss patron patronne ceo pdg his him her hers theirs himself herself "
    "colleague colleagues collegue collegues "
    # Who goes, said for the whole group ("les délégués vont-ils…", "what do the delegates
    # have next"): everyone, which names no session.
    "delegates delegate delegues delegue deleguee deleguees participants participant "
    "participante participantes "
    "a about again ai all allo alors also an and any apres are as at au aussi aux avant "
    "avec avez avoir avons be been being ben bien bonjour by c ca ca-tu can ce cense censee "
    "ces cet cette chez chose combien comment could d dans de deja des devons did do does "
    "doing dois doit donc du elle elles en encore entre es est et etes etre eux exactly "
    "faire fait faut for from genre get gonna got had has have he hein hello here hey hi "
    "how i i'm ici il il-y-a ils im in into is it its j je just l la la-bas la-dedans le "
    "les leur leurs lui m ma many may me merci mes might moi mon much must my ne need non "
    "nos notre nous of ok okay on ont or ou oui our over par pas pendant peut peux please "
    "plus pour pourquoi pouvoir qu quand que quel quelle quelles quelque quels qui quoi "
    "really s sa salut sans se ses shall she should si so some sommes son sont sous stp "
    "suis suppose supposed sur svp t ta te tes thank thanks that the their them then there "
    "these they this those to toi ton tous tout toute toutes tres tu tu-peux tu-tu u un une "
    "ur us va vais vers vos votre vont vous wanna was we we're were what which who whom whose "
    "why will with without would y y-a-t-il ya you your "
    "someone somebody anyone anybody people person gens quelqu quelqu'un "
    # Chat spellings and contractions typed without their apostrophe.
    "pls plz pliz thx ty r cest jai jsuis chu koi ki pi pis tsé tse ppl "
    "dont doesnt didnt isnt arent cant wont aint want wanna something anything thing "
    "usually like kind sort ll ve re more "
    # How much of something is wanted, not what: "the full schedule", "l'horaire complet".
    "besoin complet complete full entire whole entier entiere "
    # Asking politely: "je voudrais", "show me", "tell me".
    "voudrais voudrait voudrions aimerais aimerait veux voulons veut souhaite souhaiterais "
    "show montre montrer montrez give donne donner donnez tell dis dites "
    "know savoir sais "
    # How near, not what: "the nearest metro", "le plus proche".
    "nearest closest nearby proche proches "
    # Contractions without their apostrophe, calls for help, asking leave.
    "didn wasn weren hasn haven couldn shouldn wouldn help aide allowed allow permis "
    "don doesn isn aren won if "
    "permise autorise autorisee "
    # Asking for details of something: "what's the deal with", "des infos sur".
    "deal detail details renseignement "
    # "Nous-mêmes", "a bit", "un peu", "this one", "is that fine", "il sera".
    "meme memes self myself ourselves yourself ourself bit peu one ones fine sera seront "
    "serait own everyone everybody folk folks once person personne during durant lors "
    # Past participles of the commonest verbs, and being alone: "j'ai pris l'avion seul".
    "pris mis eu vu dit seul seule alone "
    # Having to: "je vais devoir", "je devrai"; nothing; thinking.
    "devoir devrai devrais devra devrons devront rien nothing penser pense think "
    "faudra faudrait fallait certain certaine certains certaines "
    # Being, in the future: "je ne serai pas là".
    "serai seras serons serez serais "
    # The same light verbs said of "they": "ils donnent les étiquettes quand".
    "donnent montrent peuvent doivent veulent savent "
    # "Notre hôtel c'est lequel?", "qqn nous attend?": which one, and someone in chat French.
    "lequel laquelle lesquels lesquelles qqn qqun qq1 qqch"
)
# Politeness, hedges and asides around a question (never dropped from the data, where
# "out" names the outbound flight): "auriez-vous l'obligeance de me rappeler", "will we be
# able to ask", "probably", "already", "in general".
FILLER = _words(
    "pourriez pourrais pourrait auriez aurais aurait obligeance rappeler rappelle rappeller "
    "remind envoyer envoie envoyez send able ask demander probably probablement already "
    "never jamais mostly surtout general generalement normally normalement typically "
    "whoever whatever maybe peut-etre actually vraiment out "
    "kindly gladly generally speaking remercie remercier whether mean beaucoup puisse "
    "appropriate appropriee approprie suitable convenable busy charge chargee demande "
    "too between describe decrire briefly brievement anyway "
    # Asking indirectly: "savez-vous par hasard…", "do you happen to know…".
    "savez sauriez hasard real vrai vraie seem seems semble "
    "connaitre plait wondering wonder curious sorry excuse desole pardon quick petite "
    "rappel reminder bother deranger team equipe rest reste look ressemble "
    "coucou bonsoir check checking verifier n fais downstairs "
    "demandais demandait pouvez pourrions dire aura "
    # How the asker feels: "a bit nervous", "je stresse", "fatigué".
    "nervous anxious worried stressed stresse stresser inquiet inquiete nerveux nerveuse "
    "fatigue fatiguee tired sleepy "
    # How likely: "mon vol risque d'avoir du retard", "I might be late".
    "risque risquer risk might likely possibly chance "
    # Making one's way: "spot the delegation person", "on se débrouille".
    "spot reperer recognize reconnaitre reconnais reconnait debrouille debrouiller "
    "exact exacte precise within "
    # Asking for details: "me préciser", "specify"; "running late".
    "preciser precisez specify running once "
    # What a part of the programme holds: "what the Gerland portion involves".
    "involve involves consist consists consiste comprend portion segment "
    # Candour around a question, and "around the hotel": "honestly", "franchement".
    "honestly honnetement franchement around alentours "
    # Size said in passing: "la grosse séance d'ouverture", "the big dinner".
    "gros grosse grosses big "
    # What is asked of one, said of the thing: "la tenue demandée", "the required dress".
    "demandee demandees requested "
    # Comparing, or another one of it: "same as in Canada", "pareil qu'au Québec", "une
    # autre ronde", "another round" (the thing is what is asked about, not its likeness).
    "same pareil pareille pareils pareilles similar similaire similaires identique "
    "identiques autre autres another other others "
    # Enough of it: "un complet suffit?", "is a jacket enough".
    "suffit suffire suffisant suffisante enough suffice sufficient assez "
    # Somewhere or other: "is lunch included somewhere".
    "somewhere somewheres "
    # How good, not what: "a good place", "un bon resto", "the best way".
    "good nice great best bon bonne bons bonnes meilleur meilleure meilleurs decent "
    "punctual immediately immediatement separately "
    # In the middle of it, which names nothing: "en pleine nuit", "middle of the night".
    "plein pleine middle "
    # Which to prefer: "il vaut mieux", "better to" (made "rather" above), "plutôt".
    "rather plutot preferable "
    # On whose behalf one asks: "mon directeur demande…", "my boss wants to know…".
    "directeur directrice patron patronne boss pdg ceo cfo coo cto vp collegue collegues "
    "colleague colleagues manager gestionnaire superieur superieure "
    # The thing itself: "at the forum itself", "le forum lui-même".
    "itself himself herself themselves"
)
# Words that say what kind of answer is wanted, not what it is about.
WHEN_WORDS = _words(
    "begin begins commence debut debute depart h heure heures leave leaves leaving o'clock "
    "ouvre ouvrent "
    # Until when a place is open: "what time do the shops close", "ça ferme à quelle heure".
    "close closes ferme ferment open opens ouvert ouverte ouverts "
    "part partir quand start starts time what when "
    # The same verbs in the plural: "les navettes partent", "elles commencent".
    "partent partons partez commencent debutent ouvrent finissent terminent "
    # How long it lasts is a question about its times too.
    "end ends ending finish finishes finit fini finir fin termine terminer "
    "until till latest earliest before tard duree jusqu long "
    # By when at the latest: "checkout deadline", "l'heure limite".
    "deadline deadlines limite"
)
WHERE_WORDS = _words(
    "address adresse aller directions endroit exactement exactly far get go goes going lieu "
    "located location loin ou place rendre situe situee trouve trouver where "
    "find room salle rend rends held whereabouts city "
    # Where it is against the city: "in the suburbs", "en banlieue", "downtown".
    "suburbs suburb banlieue outskirts downtown centre-ville outside"
)
NEXT_WORDS = _words(
    "after coming currently ensuite maintenant moment next now prochain prochaine "
    "prochaines right suite suivant suivante upcoming vient venir "
    # "Pis là on fait quoi", "and then?": what comes next.
    "then puis pis "
    # "On enchaîne avec quoi", "what is happening later".
    "enchaine enchainer enchainement later"
)
AGENDA_WORDS = _words(
    "activite activites activities activity agenda chose day doing evenements event events "
    "fait going happen happening horaire horaires journee on passe plan planned planning "
    "plans prevu prevue prevus prevues program programme quoi schedule seance seances "
    "faisons faison faites ferons fera feront prevoit prevoir prevoyez prevoient "
    "session sessions thing truc "
    "affaire affaires up "
    "what whats "
    # The day as a whole, or the step that comes: "the rundown", "prochaine étape".
    "rundown lineup overview itinerary itineraire deroulement deroule etape step "
    # "Le prochain item à l'horaire", "next item on the list".
    "item items"
)
# Words that make a question about a place rather than an event.
PLACE_WORDS = _words(
    "address adresse appelle called directions distance far located loin map name nom "
    "situe situee door doors porte portes entrance "
    # Where it is, in other words: "how near", "the exact address for the GPS".
    "nearby near proche km kilometre kilometres kilometer kilometers miles gps "
    "coordinates coordonnees neighbourhood neighborhood quartier "
    "eloigne eloignee eloignes eloignees "
    # The building a place is in: "is our hotel the old Terminus building?".
    "building buildings batiment edifice "
    "suburbs suburb banlieue outskirts downtown centre-ville outside "
    # The place's own story: "ça date de quand", "how old is it", "when was it built".
    "historique history histoire built construit construite fonde fondee founded "
    # "What street is it on", "sur quelle rue".
    "street rue"
)
# Words that make a question about getting somewhere.
TRANSPORT_WORDS = _words(
    "autobus back bus char chercher coach depart greet leave navette part partir pick pickup "
    "drive route trajet trip "
    "ramene rentre rentrer retour return revenir revient ride shuttle taxi transfer "
    "transfert van"
)
TIME_OF_DAY = {
    "matin": (5, 12), "morning": (5, 12), "midi": (11, 14), "noon": (11, 14),
    "lunchtime": (11, 14), "apres-midi": (12, 18), "afternoon": (12, 18), "aprem": (12, 18),
    "soir": (17, 24), "soiree": (17, 24), "evening": (17, 24), "tonight": (17, 24),
    "tonite": (17, 24), "2nite": (17, 24), "tonigh": (17, 24),
    "night": (18, 24), "nuit": (18, 24),
}  # fmt: skip

# Words people use that the data may not: each maps to words the data does use.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "supper": ("dinner", "diner"), "dinner": ("diner",),
    "diner": ("dinner", "dejeuner", "lunch"), "dine": ("diner", "dinner", "dejeuner", "lunch"),
    "lunch": ("dejeuner",), "dejeuner": ("lunch", "breakfast"), "eat": ("lunch", "dinner", "meal"),
    "manger": ("dejeuner", "diner", "repas"), "mange": ("dejeuner", "diner", "repas"),
    "911": ("urgence", "emergency"), "coordo": ("coordination", "coordinator"),
    "breakfast": ("petit", "dejeuner"), "dej": ("dejeuner",), "ptit": ("petit",),
    "bus": ("shuttle", "navette"), "autobus": ("shuttle", "navette"),
    "buses": ("bus", "shuttle", "navette"),
    "autocar": ("shuttle", "navette", "coach"),
    "coach": ("shuttle", "navette", "transfer"), "char": ("navette", "shuttle"),
    "navette": ("shuttle",), "shuttle": ("navette",), "transfert": ("transfer", "navette"),
    "transfer": ("transfert", "shuttle"), "van": ("shuttle", "navette"),
    "plane": ("flight", "vol"), "avion": ("vol", "flight"), "flight": ("vol",),
    "vol": ("flight",), "decolle": ("vol", "flight", "depart"), "land": ("arrive", "arrival"),
    "atterrit": ("arrive", "vol"), "airport": ("aeroport",), "aeroport": ("airport",),
    "partnering": ("b2b", "meeting"), "rdv": ("rendez", "b2b"), "one-on-one": ("b2b",),
    "rencontre": ("b2b", "meeting"), "meeting": ("rencontre", "b2b"),
    "plenary": ("pleniere",), "pleniere": ("plenary",), "keynote": ("panel", "plenary"),
    "opening": ("ouverture",), "ouverture": ("opening",), "closing": ("cloture",),
    "cloture": ("closing",), "fermeture": ("cloture", "closing"),
    "hotel": ("hotel",), "townhall": ("cityhall",),
    "mairie": ("cityhall",), "convention": ("congres",), "congress": ("congres",),
    "congres": ("convention",), "center": ("centre",), "forum": ("congres", "biovision"),
    "cocktail": ("reception", "welcome"), "reception": ("cocktail",),
    "internet": ("wifi",), "wi-fi": ("wifi",), "wireless": ("wifi",), "reseau": ("wifi",),
    "password": ("wifi", "mot"), "dress": ("vestimentaire", "attire"),
    "tenue": ("vestimentaire", "dress"), "habiller": ("vestimentaire", "dress"),
    "wear": ("dress", "attire"), "porter": ("vestimentaire",), "cravate": ("vestimentaire",),
    "tie": ("dress",), "tux": ("dress", "vestimentaire"), "tuxedo": ("dress", "vestimentaire"),
    "suit": ("dress", "attire"), "smoking": ("vestimentaire", "dress"),
    "costume": ("vestimentaire", "dress"), "police": ("urgence", "emergency"),
    "ambulance": ("urgence", "emergency"),
    "hopital": ("urgence", "emergency", "medical"), "hospital": ("emergency", "medical"),
    "doctor": ("medical", "emergency"), "medecin": ("medical", "urgence"),
    "sick": ("medical", "insurance"), "malade": ("medical", "assurance"),
    "consulat": ("ambassade", "embassy"), "consulate": ("embassy",),
    "passport": ("embassy", "id", "identite"), "passeport": ("ambassade", "identite", "id"),
    "euro": ("monnaie", "currency"), "money": ("currency",),
    "argent": ("monnaie",), "tip": ("pourboire", "tipping"), "tips": ("pourboire", "tipping"),
    "tipping": ("pourboire",), "pourboire": ("tipping",), "cash": ("currency", "monnaie"),
    "plug": ("prise", "adapter"), "adapter": ("prise", "plug"), "adaptateur": ("prise", "adapter"),
    "charger": ("prise", "plug"), "chargeur": ("prise",), "voltage": ("prise", "plug"),
    "outlet": ("prise", "plug"), "tram": ("transport", "tcl"), "metro": ("transport", "tcl"),
    "subway": ("transport", "tcl"), "uber": ("taxi",), "cab": ("taxi",),
    "valise": ("bagage", "luggage", "bag"), "suitcase": ("luggage", "baggage"),
    "bag": ("luggage", "bagage"), "baggage": ("luggage", "bagage"), "luggage": ("bagage",),
    "bagage": ("luggage",), "coordonnateur": ("coordinator", "coordination"),
    "coordonnatrice": ("coordinator", "coordination"),
    "coordinatrice": ("coordinator", "coordination"),
    "organisateur": ("coordinator", "coordination"),
    "organizer": ("coordinator",), "contact": ("coordinator", "joindre"),
    "roaming": ("itinerance", "phone"), "itinerance": ("roaming",),
    "cellulaire": ("phone", "roaming"),
    "cell": ("phone", "roaming"), "sim": ("roaming", "phone"), "data": ("roaming",),
    "forfait": ("roaming", "itinerance"), "meteo": ("weather",), "weather": ("meteo",),
    "pluie": ("weather", "meteo"), "rain": ("weather",), "umbrella": ("weather",),
    "parapluie": ("meteo",), "decalage": ("difference", "heure"), "jetlag": ("difference",),
    "jet": ("difference",), "insurance": ("assurance",), "assurance": ("insurance",),
    "photo": ("photo",),
    "badges": ("badge",), "accreditation": ("badge",), "name-tag": ("badge",),
    "biomerieux": ("biomerieux",), "mandatory": ("obligatoire",), "obligatoire": ("mandatory",),
    "hall": ("cityhall",), "manque": ("rate", "miss"),
    "rate": ("manque", "miss"), "miss": ("rate", "manque"), "coute": ("prix", "price", "cost"),
    "cost": ("prix", "price"), "marche": ("fonctionne", "work"), "work": ("fonctionne",),
    "fonctionne": ("work", "marche"),
    "atterrir": ("arrive", "vol"), "rentrer": ("hotel", "retour"),
    "revenir": ("retour", "back"), "reviens": ("retour", "back"), "revient": ("retour", "back"),
    "buy": ("sold", "achete"),
    "acheter": ("achete", "sold"),
    "pick": ("catch", "prendre", "wait", "attend"), "pickup": ("catch", "wait", "attend"),
    "chercher": ("attend", "wait", "recupere", "pick"),
    "greet": ("attend", "wait", "accueil", "welcome"),
    "accueillir": ("attend", "accueil", "wait", "welcome"), "wait": ("attend",),
    "catch": ("prendre", "take"),
    "take": ("prendre", "catch"), "prendre": ("catch", "take", "recupere"),
    "meet": ("attend", "wait"),
    "resto": ("restaurant",), "change": ("dress", "tenue"), "changer": ("tenue", "dress"),
    "ticket": ("billet", "tcl"), "billet": ("ticket", "tcl"), "tour": ("visit", "visite"),
    # Everyday words, both languages.
    "drink": ("cocktail", "reception"), "drinks": ("cocktail", "reception"),
    "verre": ("cocktail", "reception"), "apero": ("cocktail", "reception"),
    "mixer": ("cocktail", "reception"), "happy": ("cocktail",),
    "checkout": ("liberez",), "checkin": ("enregistrement",),
    "dial": ("composez", "call"), "call": ("dial", "appeler", "phone"),
    "appeler": ("composez", "dial", "telephone"), "composer": ("composez", "dial"),
    "numero": ("number", "telephone"), "number": ("numero", "phone"),
    "phone": ("telephone",), "telephone": ("phone",), "tel": ("telephone", "phone"),
    "mtl": ("montreal",), "yul": ("montreal", "trudeau"), "lyo": ("lyon",),
    # Paris-Charles-de-Gaulle by the name of its town, as the French say it.
    "roissy": ("cdg", "gaulle"),
    "traduction": ("interpretation",), "translation": ("interpretation",),
    "interprete": ("interpretation",), "interpreter": ("interpretation",),
    "brancher": ("prise", "plug"), "ordi": ("ordinateur", "laptop"),
    "ordinateur": ("laptop",), "laptop": ("ordinateur",), "computer": ("laptop",),
    "grab": ("pick", "recupere", "take"), "recuperer": ("pick",),
    "collect": ("pick", "retrait", "recupere"), "collecting": ("pick", "retrait", "recupere"),
    "collection": ("pick", "retrait"),
    "delay": ("late", "retard"),
    "wrap": ("closing", "cloture"), "fin": ("cloture", "closing"),
    "end": ("closing", "cloture"), "final": ("closing", "cloture"),
    "question": ("q&a", "questions"), "questions": ("question",),
    "qa": ("questions",), "pharmas": ("pharmaceutiques", "pharma"),
    "ride": ("shuttle", "navette", "transfer"), "lift": ("shuttle", "navette"),
    "rejoindre": ("joindre", "reach", "rendez", "meet"),
    "rejoin": ("joindre", "reach", "rendez", "meet"),
    "rejoint": ("joindre", "reach", "rendez", "meet"), "reach": ("joindre",),
    "reachable": ("joindre", "reach", "coordinator"), "joignable": ("joindre", "coordination"),
    "relax": ("decontracte", "vestimentaire"), "relaxe": ("decontracte", "vestimentaire"),
    "joindre": ("reach",), "contacter": ("joindre", "reach"),
    "couvre": ("couvert", "cover"), "couvrir": ("couvert", "cover"), "cover": ("couvert",),
    "soulier": ("chaussure", "shoe"), "shoe": ("chaussure",), "chaussure": ("shoe",),
    "souper": ("diner", "dinner"), "chambre": ("room",),
    "retourne": ("retour", "back"), "retourner": ("retour", "back"),
    # Putting clothes on: "faut-il mettre une cravate", "put on a suit".
    "mettre": ("porter", "vestimentaire"), "mets": ("porter", "vestimentaire"),
    # What a visit is for, how one pays, a change of planes, going back by somewhere.
    "see": ("visit", "visite"), "voir": ("visite", "visit"),
    "visiter": ("visite", "visit"), "pay": ("currency", "card", "cash"),
    "payer": ("monnaie", "carte", "comptant"), "paiement": ("monnaie", "carte"),
    "payment": ("currency", "card"), "card": ("carte",), "carte": ("card",),
    "correspondance": ("connection",), "connection": ("correspondance",),
    "layover": ("correspondance", "connection"), "escale": ("correspondance", "connection"),
    # How it feels outside is the weather; what time it is there, the time difference.
    "cold": ("weather", "meteo"), "hot": ("weather", "meteo"), "warm": ("weather", "meteo"),
    "chilly": ("weather",), "froid": ("meteo", "weather"), "chaud": ("meteo", "weather"),
    "frais": ("meteo", "weather"), "temperature": ("weather", "meteo"),
    "jacket": ("weather",), "manteau": ("veste", "weather", "meteo"),
    "climat": ("weather", "meteo"), "climate": ("weather", "meteo"),
    "timezone": ("difference", "decalage"),
    "fuseau": ("decalage", "difference"), "compared": ("difference",),
    "frette": ("meteo", "weather"),
    "takeoff": ("flight", "vol", "depart"), "plant": ("production", "site", "usine"),
    "usine": ("production", "site"), "factory": ("production", "site"),
    "pictures": ("photo",), "photos": ("photo",), "picture": ("photo",),
    "waiter": ("tipping", "pourboire", "restaurant"), "serveur": ("pourboire", "restaurant"),
    "last": ("closing", "cloture", "final"), "dernier": ("cloture", "closing"),
    "derniere": ("cloture", "closing"), "lobby": ("hall",),
    "credit": ("card", "carte"), "debit": ("card", "carte"),
    "walk": ("pied", "walk"), "walking": ("pied", "walk"), "pied": ("walk",),
    "marcher": ("pied", "walk", "fonctionne"),
    "pic": ("photo",), "pics": ("photo",), "carousel": ("bagage", "luggage"),
    "discussion": ("panel", "table", "ronde"), "debate": ("panel",), "debat": ("panel",),
    "quitter": ("depart", "leave"), "quitte": ("depart", "leave"), "head": ("leave", "depart"),
    "healthcare": ("health", "sante"), "stay": ("hotel",), "staying": ("hotel",),
    "loge": ("hotel",), "loger": ("hotel",), "hebergement": ("hotel",), "logement": ("hotel",),
    "sante": ("health",),
    "repasse": ("retour", "stop"), "repasser": ("retour", "stop"), "stop": ("arret",),
    # Gathering, flying, getting ready, clothes, leaving, being dropped off.
    "rassemble": ("regroupe", "gather"), "rassembler": ("regroupe", "gather"),
    "regrouper": ("regroupe",), "gather": ("regroupe",), "gathering": ("regroupe", "gather"),
    "retrouve": ("regroupe", "rendez", "meet"), "retrouver": ("regroupe", "rendez", "meet"),
    "carrousel": ("bagage", "luggage"), "tapis": ("bagage", "luggage"),
    "fly": ("flight", "vol"), "flying": ("flight", "vol"), "flown": ("flight", "vol"),
    "casual": ("dress", "attire", "vestimentaire"), "decontracte": ("vestimentaire", "tenue"),
    "jeans": ("dress", "vestimentaire"), "veston": ("vestimentaire",),
    "prepare": ("ready", "prevoyez", "bring"), "preparer": ("prevoyez", "apportez"),
    "apporter": ("apportez", "bring"), "bring": ("apportez",), "ready": ("prevoyez",),
    "sortir": ("sortie", "quitter", "exit"), "exit": ("sortie",), "skip": ("manque", "miss"),
    "drop": ("depose", "drop"), "deposer": ("depose",), "straight": ("directement", "right"),
    "direct": ("directement",), "food": ("meal", "repas", "lunch"),
    "nourriture": ("repas", "meal"), "fourni": ("offert", "buffet"),
    "fournie": ("offert", "buffet"), "provided": ("offert", "buffet"),
    "included": ("offert", "compris"), "inclus": ("offert", "compris"),
    "recoit": ("remise", "handed"), "recevoir": ("remise", "handed"),
    # Appliances that need a socket.
    "sechoir": ("prise", "adaptateur"), "rasoir": ("prise", "adaptateur"),
    "dryer": ("plug", "adapter"), "shaver": ("plug", "adapter"),
    "electrique": ("prise", "adaptateur"), "electric": ("plug", "adapter"),
    "electrical": ("plug", "adapter"), "appareil": ("prise", "adaptateur"),
    "coverage": ("couvert", "insurance", "assurance"), "covered": ("couvert", "insurance"),
    "injury": ("medical", "insurance"), "injured": ("medical", "insurance"),
    "blesse": ("medical", "assurance"), "blessure": ("medical", "assurance"),
    "hurt": ("medical", "insurance"), "pleuvoir": ("meteo", "weather", "parapluie"),
    "pleut": ("meteo", "weather", "parapluie"), "raining": ("weather", "umbrella"),
    "receive": ("handed", "remise"),
    # A ceremony is one of the programme's sessions ("la cérémonie d'ouverture").
    "ceremonie": ("pleniere", "seance"), "ceremony": ("plenary", "session"),
    "min": ("minute", "minutes"), "mins": ("minute", "minutes"),
    # Opening, said grandly: "la séance inaugurale", "the kick-off".
    "inaugural": ("opening", "ouverture"), "inaugurale": ("ouverture", "opening"),
    "inauguration": ("ouverture", "opening"), "kickoff": ("opening", "ouverture"),
    # Having to: "suis-je obligé", "is it compulsory".
    "oblige": ("obligatoire", "mandatory"), "obligee": ("obligatoire", "mandatory"),
    "obligation": ("obligatoire", "mandatory"), "compulsory": ("mandatory", "obligatoire"),
    "requis": ("obligatoire", "mandatory"), "obligatory": ("obligatoire", "mandatory"),
    # The time between here and home: "time gap", "time diff".
    "gap": ("difference", "decalage"), "diff": ("difference", "decalage"),
    "ecart": ("difference", "decalage"),
    # Someone taken ill or hurt, suddenly: the emergency numbers, not the phone plan.
    "collapse": ("urgence", "emergency"), "collapsed": ("urgence", "emergency"),
    "faint": ("urgence", "emergency"), "fainted": ("urgence", "emergency"),
    "unconscious": ("urgence", "emergency"), "accident": ("urgence", "emergency"),
    "malaise": ("urgence", "medical"), "evanoui": ("urgence",), "evanouie": ("urgence",),
    "inconscient": ("urgence",), "inconsciente": ("urgence",), "effondre": ("urgence",),
    "fire": ("pompier", "emergency"), "feu": ("pompier", "urgence"),
    "incendie": ("pompier", "urgence"), "heart": ("urgence", "emergency", "medical"),
    "cardiaque": ("urgence", "medical"), "urgent": ("urgence", "emergency"),
    # Symptoms that call for help at once: "chest pain", "il saigne", "can't breathe".
    "chest": ("urgence", "emergency"), "poitrine": ("urgence",),
    "pain": ("urgence", "emergency", "medical"), "douleur": ("urgence", "medical"),
    "bleeding": ("urgence", "emergency"), "saigne": ("urgence",),
    "breathe": ("urgence", "emergency"), "respirer": ("urgence",),
    "allergic": ("urgence", "emergency"), "allergique": ("urgence",),
    # Getting about the city on one's own: the public transport lines.
    "transit": ("transport", "commun", "tcl"), "ligne": ("tram", "transport", "tcl"),
    "line": ("tram", "transport", "tcl"), "lines": ("tram", "transport", "tcl"),
    "moyens": ("transport", "commun"),
    # Money in hand: the currency entry.
    "liquide": ("comptant", "monnaie"), "especes": ("comptant", "monnaie"),
    "retirer": ("comptant", "monnaie"), "withdraw": ("cash", "currency"),
    "atm": ("cash", "currency"),
    "guichet": ("comptant",), "euros": ("euro", "monnaie", "currency"),
    # Whoever runs the delegation: the coordinator.
    "organisation": ("coordination", "coordinator"),
    "organisatrice": ("coordination", "coordinator"),
    "organisateurs": ("coordination", "coordinator"), "organizers": ("coordinator",),
    "organisers": ("coordinator",), "organiser": ("coordinator",),
    "staff": ("coordinator", "coordination"),
    "equipe": ("coordination",),
    # Booking appointments: the partnering platform.
    "reserve": ("reservent", "plateforme"), "reserver": ("reservent", "plateforme"),
    "book": ("plateforme",), "booking": ("plateforme",),
    "entreprises": ("b2b", "rencontre"), "companies": ("b2b", "meeting"),
    # A dressy evening: the gala.
    "chic": ("gala",), "fancy": ("gala",), "formal": ("gala", "vestimentaire"),
    "elegant": ("gala",), "elegante": ("gala",), "habillee": ("gala", "vestimentaire"),
    "prestigieux": ("gala",), "banquet": ("gala", "diner"),
    # Being late, and those who are: "latecomers", "les retardataires".
    "late": ("retard", "latecomer", "retardataire"),
    "retard": ("late", "retardataire", "latecomer"),
    "tard": ("retard", "retardataire", "late"), "latecomer": ("retardataire",),
    "belt": ("bagage", "luggage"), "converter": ("adapter", "plug"),
    "convertisseur": ("adaptateur", "prise"), "photographie": ("photo",),
    "photographe": ("photo",), "photographer": ("photo",),
    # Speeches are the addresses of a session ("le discours d'ouverture", "the speeches").
    "discours": ("allocution", "address"), "speech": ("address", "allocution"),
    "speeches": ("address", "allocution"), "allocution": ("address",),
    # People of the place: "local companies", "les entreprises d'ici".
    "local": ("regional", "region"), "locale": ("regionale", "region"),
    "locaux": ("regionale", "region"), "locales": ("regionale", "region"),
    # A round of meetings: "une série de rencontres", "another batch".
    "serie": ("ronde", "round"), "series": ("round", "ronde"), "batch": ("round", "ronde"),
    "round": ("ronde",), "ronde": ("round",),
    "tenuesoiree": ("vestimentaire", "dress", "tenue"),
    # Business cards, said in Québec: "cartes d'affaires".
    "businesscard": ("carte", "card", "professionnelle", "business"),
    # Clothes for the cold and the season are the weather: "mon manteau d'hiver", "winter coat".
    "hiver": ("meteo", "weather"), "winter": ("weather", "meteo"), "coat": ("weather",),
    "tuque": ("meteo",), "foulard": ("meteo",), "scarf": ("weather",),
    "parka": ("weather", "meteo"), "shorts": ("weather", "meteo"),
    "assoit": ("table",), "asseoir": ("table",), "assied": ("table",), "sit": ("table",),
    "seat": ("table",), "seated": ("table",), "seating": ("table",),
    # An airport called by its town, as Montrealers say it: "à Dorval", like "Roissy".
    "dorval": ("montreal", "trudeau"),
    # Québec's public health insurance, however named: "ma carte soleil", "health card".
    "ramq": ("ramq", "assurance", "insurance"),
}  # fmt: skip
# Arriving, in its persons, tenses and usual slips ("on atterit", "rendu à", "arivé"): all
# one concept with the data's "arrivée".
for _word in _words(
    "arrives arrived arriver arrivons arrivez arrivent arrivant arrivera arriverons landed "
    "lands landing atterrissons atterrissage atterri atterrissez atterit aterrit aterrir "
    "atterir arive ariver arivee arivons rendu rendus rendue rendues"
):
    SYNONYMS.setdefault(_word, ("arrive", "arrivee", "arrival"))


def _stemmed(words: set[str]) -> set[str]:
    return words | {_stem(w) for w in words}


# (and -ess without French's final e: "adress?" is an English slip for "address").
ENGLISH_SHAPE = re.compile(r"[wk]|th|sh|ing$|ess$|.{3}ed$")


def language_of(
    text: str,
    default: str,
    french_words: Mapping[str, int] | None = None,
    english_words: Mapping[str, int] | None = None,
) -> str:
    """'fr' or 'en': function words count double, then words the mission uses mostly (three
    times out of four) in its French or mostly in its English texts, and words spelled as
    only English spells (w, k, th, sh, -ing); accents lean French."""
    words = re.findall(r"[a-z]+", fold(text).replace("'", " "))
    french = 2 * sum(w in FRENCH for w in words) + len(re.findall(r"[éèêàçùâîôû]", text.lower()))
    english = 2 * sum(w in ENGLISH for w in words)
    # Letters French spells with only in borrowed words: "pickup", "emergency", "parking";
    # and the English past participle ("needed", "booked").
    english += sum(
        1
        for w in words
        if len(w) >= 3 and w not in FRENCH and w not in ENGLISH and ENGLISH_SHAPE.search(w)
    )
    for stem in (_stem(w) for w in words):
        in_french = (french_words or {}).get(stem, 0)
        in_english = (english_words or {}).get(stem, 0)
        if in_french and in_french >= 3 * in_english:
            french += 1
        elif in_english and in_english >= 3 * in_french:
            english += 1
    if french == english:
        return default
    return "fr" if french > english else "en"


# Kept whole: "the opening plenary" is not "what time does the desk open".
UNSTEMMED = {"opening", "closing"}


def _stem(word: str) -> str:
    """A light stem, applied alike to questions and data: plural, -ing, -ed."""
    if word in UNSTEMMED:
        return word
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


# Place names of several words that must not be read word by word ("hôtel de ville" is not
# the hotel). Applied alike to questions and data.
PHRASES = {
    "hotel de ville": "cityhall",
    "city hall": "cityhall",
    "town hall": "cityhall",
    "mairie": "cityhall",
    "wi-fi": "wifi",
    "wi fi": "wifi",
    "check out": "checkout",
    # Québec French, said with the English verb: "faut-tu checker out avant 7 h?".
    "checker out": "checkout",
    "checke out": "checkout",
    "checker in": "checkin",
    "check-out": "checkout",
    "check in": "checkin",
    "check-in": "checkin",
    "take off": "takeoff",
    "time zone": "timezone",
    # "Combien de temps" is how long, not the weather ("quel temps fait-il").
    "combien de temps": "duree",
    "how long": "duree",
    # Québec French: "ça me prend-tu un adaptateur" is "do I need an adapter".
    "ca me prend": "need",
    "ca nous prend": "need",
    "ca te prend": "need",
    "ca vous prend": "need",
    "ca prend": "need",
    "petit-dejeuner": "breakfast",
    "petit dejeuner": "breakfast",
    "petit-dej": "breakfast",
    "petit dej": "breakfast",
    "p tit dej": "breakfast",
    "p tit dejeuner": "breakfast",
    "ptit dej": "breakfast",
    "ptit-dej": "breakfast",
    "pti dej": "breakfast",
    "pti-dej": "breakfast",
    "p ti dej": "breakfast",
    "q&a": "questions",
    "q & a": "questions",
    # Taking part is not leaving ("la navette part"): "auquel prennent part des
    # investisseurs", "I'd like to take part".
    # "S'inscrire à part": separately, not a ride leaving.
    "a part": "separately",
    "prennent part": "participate",
    "prend part": "participate",
    "prendre part": "participate",
    "prendront part": "participate",
    "prenons part": "participate",
    "take part": "participate",
    "takes part": "participate",
    "taking part": "participate",
    # "Une fois rendus à Lyon": once there.
    "une fois que": "once",
    "une fois qu": "once",
    "une fois": "once",
    # Being held: "se tient", "a lieu", "takes place" say that it happens, nothing more.
    "takes place": "happen",
    "take place": "happen",
    "taking place": "happen",
    "aura lieu": "happen",
    "a lieu": "happen",
    "se tient": "happen",
    "se tiendra": "happen",
    "se deroule": "happen",
    "se deroulera": "happen",
    "is held": "happen",
    "be held": "happen",
    "will be held": "happen",
    # How near a place is: "close to a station", "à deux pas de", "walking distance"
    # ("close" alone is closing time).
    "how close": "distance",
    # "Is it anywhere near the park?": near, asked.
    "anywhere near": "near",
    "anywhere close to": "nearby",
    "how near": "distance",
    "close to": "nearby",
    "close by": "nearby",
    "closest to": "nearby",
    "near to": "nearby",
    "next to": "nearby",
    "walking distance": "nearby",
    "proche de": "nearby",
    "proche du": "nearby",
    "pres de": "nearby",
    "pres du": "nearby",
    "a cote de": "nearby",
    "a cote du": "nearby",
    "a deux pas": "nearby",
    "a pied": "nearby",
    "on foot": "nearby",
    "combien de km": "distance",
    "how many km": "distance",
    "how many kilometers": "distance",
    "how many kilometres": "distance",
    "combien de kilometres": "distance",
    # A service of the hotel's, not a room to find ("room service", "service aux chambres").
    "room service": "roomservice",
    "service aux chambres": "roomservice",
    "service a la chambre": "roomservice",
    "service en chambre": "roomservice",
    # Hours more or fewer than here: the time difference.
    "heures de plus": "decalage",
    "heure de plus": "decalage",
    "heures de moins": "decalage",
    "heures d avance": "decalage",
    "hours ahead": "decalage",
    "hours behind": "decalage",
    "hours later": "decalage",
    # Not being there for something is missing it.
    "pas present": "absent",
    "pas presente": "absent",
    "not there": "absent",
    "not present": "absent",
    "can t make it": "absent",
    # Hotel rooms, which the data calls "chambres" and "rooms" ("which room" alone asks
    # where a session is held): "are the rooms ready", "check out of my room".
    "the rooms": "chambre",
    "our rooms": "chambre",
    "our room": "chambre",
    "my room": "chambre",
    "hotel rooms": "hotel chambre",
    "hotel room": "hotel chambre",
    # At once: "are the rooms ready right away", "tout de suite" (not "right" now, next).
    "right away": "immediately",
    "straight away": "immediately",
    "tout de suite": "immediately",
    # Being on time is not a time asked for, nor the weather ("temps"): "je n'arriverai pas
    # à temps", "I won't make it in time".
    "a temps": "punctual",
    "in time": "punctual",
    "on time": "punctual",
    "make it": "punctual",
    "cannot make it": "absent",
    # How far, in other words: "a long way from", "éloigné du centre".
    "a long way": "far",
    "long way": "far",
    # In general: the practice, not one session ("de façon générale", "as a rule").
    "de facon generale": "general",
    "de maniere generale": "general",
    "d une facon generale": "general",
    "en regle generale": "general",
    "as a rule": "general",
    "generally speaking": "general",
    # Getting into a city is arriving there ("what time do we get into Montreal").
    # Reaching a place, as a moment: "will the rooms be ready when we reach the hotel"
    # (reaching someone is contacting them).
    "when we reach": "when we arrive at",
    "once we reach": "once we arrive at",
    "when i reach": "when i arrive at",
    "once i reach": "once i arrive at",
    "get into": "arrive in",
    "get in to": "arrive in",
    "touch down in": "arrive in",
    "touch down at": "arrive at",
    # Losing the group is a matter for whoever coordinates it.
    "lost the group": "coordinator",
    "lost my group": "coordinator",
    "lost track of the group": "coordinator",
    "separated from the group": "coordinator",
    "perdu le groupe": "coordinator",
    "perdu mon groupe": "coordinator",
    "perdu la delegation": "coordinator",
    "perdu de vue le groupe": "coordinator",
    "am i expected": "should",
    "are we expected": "should",
    "street address": "address",
    # The desk that welcomes visitors, which the data calls "accueil" ("at reception").
    "front desk": "accueil",
    "reception desk": "accueil",
    "civic address": "address",
    "adresse civique": "address",
    "code postal": "address",
    "postal code": "address",
    # A photo ID is an identity paper, not a photograph to be taken.
    "photo id": "id",
    "identite avec photo": "identite",
    # The delegation's photo together: "group photo", "la photo de groupe".
    "group photo": "official photo",
    "group picture": "official photo",
    "group shot": "official photo",
    "delegation photo": "official photo",
    "photo de groupe": "photo officielle",
    "photo de la delegation": "photo officielle",
    "photo de famille": "photo officielle",
    # Formal evening wear ("tenue de soirée", "evening dress"): a kind of dress, not a time.
    "tenue de soiree": "tenuesoiree",
    "evening dress": "tenuesoiree",
    "evening wear": "tenuesoiree",
    "evening gown": "tenuesoiree",
    # Translation as one listens: the interpretation.
    "traduction simultanee": "interpretation",
    "simultaneous translation": "interpretation",
    "simultaneous interpretation": "interpretation",
    "interpretation simultanee": "interpretation",
    # Where in the city: "which part of town" ("part" alone is French for leaving).
    "part of town": "quartier",
    # Which town a place is in: "biomerieux site, what town is it in", "quelle ville".
    "what town": "quartier",
    "which town": "quartier",
    "what city": "quartier",
    "which city": "quartier",
    "quelle ville": "quartier",
    "what village": "quartier",
    "part of the city": "quartier",
    "part of lyon": "quartier lyon",
    "area of town": "quartier",
    "coin de la ville": "quartier",
    "quel coin": "quartier",
    # The Québec after-work drinks: "un 5 à 7".
    "5 a 7": "cocktail",
    "cinq a sept": "cocktail",
    # Business cards, in Québec and elsewhere.
    "cartes d affaires": "businesscard",
    "carte d affaires": "businesscard",
    "cartes professionnelles": "businesscard",
    "carte professionnelle": "businesscard",
    "business cards": "businesscard",
    "business card": "businesscard",
    # In the city one is in, which names no place of the mission's: "un taxi en ville".
    "en ville": "around",
    "in town": "around",
    "around town": "around",
    # The provincial health plan's card: "health card", "carte soleil", "assurance maladie".
    "health card": "ramq",
    "health insurance card": "ramq",
    "medicare card": "ramq",
    "carte soleil": "ramq",
    "carte d assurance maladie": "ramq",
    "carte assurance maladie": "ramq",
    "assurance maladie": "ramq",
    # "Il vaut mieux avoir du liquide?", "is it better to have cash": which to prefer, asked.
    "il vaut mieux": "rather",
    "vaut mieux": "rather",
    "vaut il mieux": "rather",
    "is it better to": "rather",
    "better to": "rather",
    # Texting shorthand: "hotel addr", "wifi pwd", "mdp wifi", "my sched".
    "addr": "address",
    "adr": "adresse",
    "pwd": "password",
    "passwd": "password",
    "mdp": "mot de passe",
    "sched": "schedule",
    "in case": "if",
    "conv centre": "convention centre",
    # The coordination team, as delegates call it.
    "chacun pour soi": "",
    "pour m organiser": "",
    "get-together": "meetup",
    "get together": "meetup",
    "during the trip": "",
    "pendant le voyage": "",
    "pendant la mission": "",
    "during the mission": "",
    # Compared with home: "like we do back home", "comme chez nous".
    "like we do back home": "",
    "back home": "",
    "comme chez nous": "",
    "m organiser": "",
    "do you happen to know": "",
    "happen to know": "",
    "kick off": "start",
    "kicks off": "start",
    "kick-off": "start",
    "coordo": "coordination",
    "coordos": "coordination",
    "conv center": "convention center",
    # Opening a message, not its subject: "quick question, …", "petite question, …".
    "quick question": "",
    "petite question": "",
    "une question": "",
    "question rapide": "",
    "juste pour savoir": "",
    "just wondering": "",
    "by the way": "",
    "hey so": "",
    "lost track of what day it is": "today",
    "lost track of the days": "today",
    "at some point": "",
    # Meetings of two: the B2B meetings.
    "one-to-ones": "b2b",
    "one-to-one": "b2b",
    "one to ones": "b2b",
    "one to one": "b2b",
    "one-on-ones": "b2b",
    "one-on-one": "b2b",
    "one on ones": "b2b",
    "one on one": "b2b",
    "1 on 1": "b2b",
    "1:1": "b2b",
    "tete-a-tete": "b2b",
    "face-a-face": "b2b",
    "comes next": "next",
    "come next": "next",
    "comes after": "after",
    # The two clocks set against each other: the time difference.
    "heure de lyon ou a l heure de montreal": "decalage horaire",
    "heure de lyon ou heure de montreal": "decalage horaire",
    "heure de montreal ou a l heure de lyon": "decalage horaire",
    "lyon time or montreal time": "time difference",
    "montreal time or lyon time": "time difference",
    "compte tenu": "",
    # How old a place is, which is not when an event there begins.
    "date de quand": "historique",
    "ca date de quand": "historique",
    # What a day will be like: its programme.
    "ca ressemble a quoi": "programme",
    "ressemble a quoi": "programme",
    "how old is": "history",
    "how old": "history",
    "when was it built": "history",
    # What phones' autocorrect and dictation make of Lyon.
    "lion": "lyon",
    # What follows: "qu'est-ce qui suit?" (not the English suit).
    "qui suit": "apres",
    # How the asker feels, which names nothing: "je suis perdu", "I've lost track".
    "je suis perdu": "",
    "je suis perdue": "",
    "suis perdu": "",
    "i m lost": "",
    "i am lost": "",
    "i m confused": "",
    "i am confused": "",
    "lost track": "",
    # A frame before the question: "given that I arrive late, …".
    "given that": "",
    # How soon, which names nothing: "the Gerland thing in half an hour".
    "in half an hour": "",
    "in an hour": "",
    "in a few minutes": "",
    "dans une demi-heure": "",
    "dans une demi heure": "",
    "dans une heure": "",
    "dans quelques minutes": "",
    # Asking to be shown: "can I see the full schedule", "je peux voir le programme".
    "can i see": "",
    "could i see": "",
    "may i see": "",
    "can we see": "",
    "je peux voir": "",
    "puis je voir": "",
    "pourrais je voir": "",
    "on peut voir": "",
    # A mobile's number is a phone number.
    "cell number": "phone number",
    "cell phone number": "phone number",
    "cellphone number": "phone number",
    "numero de cell": "numero de telephone",
    "numero de cellulaire": "numero de telephone",
    # A bag that did not come off the belt.
    "didn t show up": "lost",
    "didnt show up": "lost",
    "did not show up": "lost",
    "never showed up": "lost",
    "never arrived": "lost",
}
_PHRASE = re.compile(r"\b(" + "|".join(re.escape(p) for p in PHRASES) + r")\b")


# "St-Ex", "Ste-Foy": saint in a place name, shortened.
SAINT = re.compile(r"\b(st|ste)(?=[- ][a-z]{2})")


APOSTROPHES = re.compile(r"[’'`´]")
SPACES = re.compile(r"\s+")
WORD = re.compile(r"[a-z0-9][a-z0-9-]*[a-z0-9]|[a-z0-9]")


def apostrophes_spaced(text: str) -> str:
    """The text folded (fold()), each apostrophe a space: "qu'est-ce" reads "qu est-ce"."""
    return APOSTROPHES.sub(" ", fold(text))


def words_of(text: str) -> list[str]:
    return list(_words_of(text))


@functools.lru_cache(maxsize=65_536)
def _words_of(text: str) -> tuple[str, ...]:
    # Kept: an index of a big mission reads the same descriptions, room names and phrasings
    # many times over, and a rebuild after an edit reads them all again.
    folded = SAINT.sub(lambda m: "saint" if m[1] == "st" else "sainte", apostrophes_spaced(text))
    folded = _PHRASE.sub(lambda m: PHRASES[m[1]], SPACES.sub(" ", folded))
    return tuple(_stem(w) for w in WORD.findall(folded))


def _split_compounds(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        if "-" in word and word not in TIME_OF_DAY and word not in STOPWORDS:
            out.extend(_stem(p) for p in word.split("-") if p)  # "closed-toe" like "closed"
        else:
            out.append(word)
    return out


# --- the index ------------------------------------------------------------------------


@dataclass
class Doc:
    kind: AnswerKind
    key: str
    ref_id: int
    # Strongest field (title, name, FAQ question, key) and weaker context.
    primary: set[str]
    weights: dict[str, float]
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    # starts_at in the mission's time zone, worked out once.
    local_start: datetime | None = None
    # starts_at in the zone the organiser wrote it in, when that differs (the flight out
    # leaves Montréal on Sunday evening, which is already Monday in Lyon).
    own_start: datetime | None = None
    audience: Audience = Audience.EVERYONE
    tags: frozenset[str] = frozenset()
    venue_id: int | None = None
    key_words: frozenset[str] = frozenset()
    transport: bool = False
    # For transport: words of where it leaves from and where it goes ("A → B").
    origin: frozenset[str] = frozenset()
    destination: frozenset[str] = frozenset()
    # The sentences of its description, answer or notes, each as a set of words: several
    # words of a question found together in one sentence say much more than scattered ones.
    passages: tuple[frozenset[str], ...] = ()
    # An FAQ entry that is itself about when (badge pick-up hours, the time difference).
    asks_when: bool = False
    # What to do if something goes wrong ("si je rate la navette", "if you arrive late",
    # "the driver cannot wait for latecomers", "report any cancellation").
    contingency: bool = False
    # A session held in a named room ("Hall d'accueil"), which "which room" asks for.
    has_room: bool = False
    # See _starts and _times: worked out once, as every question weighs them.
    starts: tuple[datetime, ...] = ()
    times: tuple[datetime, ...] = ()

    def __post_init__(self) -> None:
        if self.local_start is None:
            return
        own = () if self.own_start is None else (self.own_start,)
        self.starts = (self.local_start, *own)
        self.times = self.starts
        if self.transport and self.ends_at is not None:
            self.times = (*self.starts, self.ends_at.astimezone(self.local_start.tzinfo))


DISTINCT_WEIGHT = 0.6


@dataclass
class MissionIndex:
    timezone: str
    docs: list[Doc]
    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    # For each word, the documents whose title (or name, or FAQ question) has it: far fewer
    # than its postings, which a question walks in the hot loop of score_documents.
    in_primary: dict[str, list[int]] = field(default_factory=dict)
    # How often each word appears in the mission's French and in its English texts.
    french_words: Counter[str] = field(default_factory=Counter)
    english_words: Counter[str] = field(default_factory=Counter)
    # Each FAQ question, folded, for whole-sentence similarity.
    faq_questions: dict[int, list[str]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    vocabulary: list[str] = field(default_factory=list)
    # Words that name one venue only, each with a mark for that venue ("@biomerieux").
    place_words: dict[str, str] = field(default_factory=dict)
    # Vocabulary words by their root, for inflections ("prend", "prendre").
    roots: dict[str, list[str]] = field(default_factory=dict)
    # Every word of a venue's name or key.
    venue_vocabulary: frozenset[str] = frozenset()
    # The vocabulary words each question word matched (the same words come back in
    # question after question; the index lives as long as the mission's content).
    match_cache: dict[tuple[str, bool], list[tuple[str, float]]] = field(default_factory=dict)
    # Each document's place in docs, by identity.
    positions: dict[int, int] = field(default_factory=dict)
    # The documents not everyone may see (sessions for some tags or named people): the
    # only ones whose visibility a question has to check.
    restricted: frozenset[int] = frozenset()
    # The venues' places in docs.
    venue_docs: frozenset[int] = frozenset()

    def build(self) -> MissionIndex:
        self.positions = {id(doc): i for i, doc in enumerate(self.docs)}
        self.restricted = frozenset(
            i
            for i, doc in enumerate(self.docs)
            if doc.kind == AnswerKind.SESSION and doc.audience != Audience.EVERYONE
        )
        self.venue_docs = frozenset(
            i for i, doc in enumerate(self.docs) if doc.kind == AnswerKind.VENUE
        )
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, doc in enumerate(self.docs):
            for word, weight in doc.weights.items():
                postings[word].append((index, weight))
        for word, posting in postings.items():
            if (
                len(posting) == 1
                and len(word) >= 5
                and word.isalpha()
                and self.docs[posting[0][0]].kind == AnswerKind.SESSION
            ):
                # A word only one session uses, in its description: a detail that names it
                # ("interprétation", "latecomers") nearly as its title does. (An FAQ answer
                # is long and full of words of its own; its question names it.)
                doc_index, weight = posting[0]
                if weight < DISTINCT_WEIGHT:
                    posting[0] = (doc_index, DISTINCT_WEIGHT)
        total = max(1, len(self.docs))
        self.postings = dict(postings)
        self.in_primary = {
            word: found
            for word, posting in postings.items()
            if (found := [d for d, _ in posting if word in self.docs[d].primary])
        }
        self.idf = {w: math.log(1 + total / len(p)) for w, p in postings.items()}
        self.vocabulary = sorted(self.postings)
        roots: dict[str, list[str]] = defaultdict(list)
        for word in self.vocabulary:
            if len(word) >= 5 and word.isalpha():
                roots[_root(word)].append(word)
        self.roots = dict(roots)
        self.match_cache = {}
        return self

    @property
    def max_idf(self) -> float:
        return math.log(1 + max(1, len(self.docs)))


# Inflection endings, French and English, longest first (a final s is already gone).
ENDINGS = sorted(
    _words(
        "ations ation ements ement antes ante ants ant ents ent ees ee ers er ez res re es e "
        "als al ing ed ir ie"
    ),
    key=len,
    reverse=True,
)


def _root(word: str) -> str:
    """What is left of a word without its inflection ending, at least four letters."""
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


def _sentences(*texts: str) -> tuple[frozenset[str], ...]:
    """Each sentence of some texts as its set of words (those that can carry a subject)."""
    out = []
    for text in texts:
        for sentence in re.split(r"(?<=\w\w[.!?])\s+", text or ""):  # not after "p.m."
            words = frozenset(_field_words(sentence))
            if len(words) >= 2:
                out.append(words)
    return tuple(out)


def _text_words(text: str) -> list[str]:
    """Every word of a text that can carry a subject, repeats included."""
    return [w for w in _split_compounds(words_of(text)) if w not in STOPWORDS]


def _field_words(text: str) -> set[str]:
    words = words_of(text)
    # A compound is also typed as one word: "start-ups" as "startups", "e-mail" as "email".
    joined = {w.replace("-", "") for w in words if "-" in w and w not in TIME_OF_DAY}
    return {w for w in _split_compounds(words) + sorted(joined) if w not in STOPWORDS}


def _add(weights: dict[str, float], text: str, weight: float) -> set[str]:
    found = _field_words(text)
    for word in found:
        weights[word] = max(weights.get(word, 0.0), weight)
    return found


def _ends(item: AgendaItem, side: int, place_words: dict[str, str]) -> frozenset[str]:
    words: set[str] = set()
    for title in (item.title_fr, item.title_en):
        parts = re.split(r"→|->", title)
        if len(parts) == 2:
            words |= _field_words(parts[side])
    return frozenset(_with_places(words, place_words))


def _with_places(words: set[str], place_words: dict[str, str]) -> set[str]:
    """Words naming a place, with a mark for each venue they name: "biomerieux" and
    "marcy" both name the bioMérieux site at Marcy-l'Étoile."""
    return words | {place_words[w] for w in words if w in place_words}


def _place_words(venues: list[Venue]) -> dict[str, str]:
    """Words found in the name or key of one venue only, each with that venue's mark."""
    owners: dict[str, set[str]] = defaultdict(set)
    for venue in venues:
        for word in _field_words(f"{venue.name} {venue.key.replace('-', ' ')}"):
            owners[word].add(venue.key)
    return {w: f"@{next(iter(keys))}" for w, keys in owners.items() if len(keys) == 1}


KIND_WORDS = {
    "talk": "talk conference conférence séance session",
    "b2b": "b2b meeting rencontre rendez-vous",
    "visit": "visit visite tour",
    "meal": "meal repas",
    "transport": "transport shuttle navette",
    "other": "",
}


def build_index(
    mission: Mission, items: list[AgendaItem], venues: list[Venue], faqs: list[FaqEntry]
) -> MissionIndex:
    docs: list[Doc] = []
    venue_words: dict[int, set[str]] = {}
    place_words = _place_words(venues)
    zone = ZoneInfo(mission.timezone)
    venue_ids = {f"@{venue.key}": venue.id for venue in venues}
    for venue in venues:
        weights: dict[str, float] = {}
        primary = _add(weights, venue.name, 1.0) | _add(weights, venue.key.replace("-", " "), 1.0)
        _add(weights, venue.address, 0.5)
        _add(weights, f"{venue.notes_fr} {venue.notes_en}", 0.25)
        venue_words[venue.id] = _field_words(venue.name) | _field_words(venue.key.replace("-", " "))
        passages = _sentences(venue.notes_fr, venue.notes_en)
        docs.append(Doc(AnswerKind.VENUE, venue.key, venue.id, primary, weights, passages=passages))
    for item in items:
        if item.cancelled:
            continue
        weights = {}
        primary = _add(weights, f"{item.title_fr} {item.title_en}", 1.0)
        primary |= _add(weights, item.key.replace("-", " "), 0.9)
        _add(weights, KIND_WORDS.get(item.kind.value, ""), 0.5)
        _add(weights, f"{item.description_fr} {item.description_en}", 0.35)
        # Who it is for: "je suis en pharma" points at every session for the pharma group.
        _add(weights, " ".join(item.audience_tags or ()), 0.35)
        if item.room:
            _add(weights, item.room, 0.4)
        destination = _ends(item, 1, place_words)
        # A ride is about where it goes as much as where it leaves from: the shuttle to
        # Marcy-l'Étoile is the shuttle to bioMérieux.
        places = {item.venue_id or -1} | {venue_ids[w] for w in destination if w in venue_ids}
        for place in places:
            for word in venue_words.get(place, set()):
                weights[word] = max(weights.get(word, 0.0), 0.6)
        docs.append(
            Doc(
                AnswerKind.SESSION, item.key, item.id, primary, weights,
                starts_at=item.starts_at, ends_at=item.ends_at, audience=item.audience,
                local_start=item.starts_at.astimezone(zone) if item.starts_at else None,
                own_start=item.starts_at.astimezone(ZoneInfo(item.local_timezone))
                if item.starts_at and item.local_timezone and item.local_timezone != zone.key
                else None,
                tags=frozenset(item.audience_tags or ()), venue_id=item.venue_id,
                transport=item.kind.value == "transport",
                origin=_ends(item, 0, place_words),
                destination=destination,
                passages=_sentences(item.description_fr, item.description_en),
                contingency=bool(
                    set(words_of(f"{item.description_fr} {item.description_en}")) & MISHAP
                ),
                has_room=bool(item.room),
            )
        )  # fmt: skip
    for entry in faqs:
        weights = {}
        primary = _add(weights, f"{entry.question_fr} {entry.question_en}", 1.0)
        primary |= _add(weights, entry.key.replace("-", " "), 1.0)
        _add(weights, f"{entry.answer_fr} {entry.answer_en}", 0.4)
        passages = _sentences(entry.answer_fr, entry.answer_en)
        asks_when = bool(set(words_of(f"{entry.question_fr} {entry.question_en}")) & ASKS_WHEN)
        texts = f"{entry.question_fr} {entry.question_en} {entry.answer_fr} {entry.answer_en}"
        contingency = bool(set(words_of(texts)) & (CONDITIONAL | MISHAP))
        docs.append(
            Doc(
                AnswerKind.FAQ, entry.key, entry.id, primary, weights,
                passages=passages, asks_when=asks_when, contingency=contingency,
            )
        )  # fmt: skip
    index = MissionIndex(mission.timezone, docs, place_words=place_words)
    index.venue_vocabulary = frozenset().union(*venue_words.values())
    for item in items:
        index.french_words.update(_text_words(f"{item.title_fr} {item.description_fr}"))
        index.english_words.update(_text_words(f"{item.title_en} {item.description_en}"))
    for entry in faqs:
        index.french_words.update(_text_words(f"{entry.question_fr} {entry.answer_fr}"))
        index.english_words.update(_text_words(f"{entry.question_en} {entry.answer_en}"))
    for position, doc in enumerate(docs):
        doc.key_words = frozenset(_field_words(doc.key.replace("-", " ")))
        if doc.kind == AnswerKind.FAQ:
            entry = next(e for e in faqs if e.id == doc.ref_id)
            index.faq_questions[position] = [
                " ".join(words_of(entry.question_fr)),
                " ".join(words_of(entry.question_en)),
            ]
    return index.build()


_CACHE: dict[int, tuple[tuple[int, datetime], MissionIndex]] = {}


async def mission_index(sessions: async_sessionmaker[AsyncSession], viewer: Viewer) -> MissionIndex:
    """The index of a mission, rebuilt only when its content version (read with the viewer)
    changed: a hit costs no query."""
    mission_id = viewer.mission.id
    cached = _CACHE.get(mission_id)
    if cached is not None and current(cached[0], viewer.version):
        return cached[1]
    async with building("index", mission_id):
        cached = _CACHE.get(mission_id)
        if cached is not None and current(cached[0], viewer.version):
            return cached[1]  # built meanwhile by another update
        return await _build(sessions, mission_id)


async def prepare_indexes(sessions: async_sessionmaker[AsyncSession], today: date) -> int:
    """Build the index of every mission not yet over, at start-up: otherwise the first
    question after a restart waits for it (most of a second for a mission of 2,000
    sessions). Returns how many were built."""
    async with sessions() as session:
        missions = await q.missions_ending_from(session, today - timedelta(days=1))
    for mission_id in missions:
        async with building("index", mission_id):
            await _build(sessions, mission_id)
    return len(missions)


async def _build(sessions: async_sessionmaker[AsyncSession], mission_id: int) -> MissionIndex:
    changes = changes_of(mission_id)  # see agenda._CHANGES: a build overtaken is not kept
    async with sessions() as session:
        mission = await session.get(Mission, mission_id)
        assert mission is not None
        items = list(
            await session.scalars(select(AgendaItem).where(AgendaItem.mission_id == mission_id))
        )
        venues = list(await session.scalars(select(Venue).where(Venue.mission_id == mission_id)))
        faqs = list(
            await session.scalars(select(FaqEntry).where(FaqEntry.mission_id == mission_id))
        )
        index = build_index(mission, items, venues, faqs)
    # Keyed by the version the index was built from, which may be newer than the viewer's.
    if changes_of(mission_id) == changes:
        _CACHE[mission_id] = ((mission.content_version, mission.created_at), index)
    return index


# --- understanding ----------------------------------------------------------------------


@dataclass
class Parsed:
    words: list[str]
    content: list[str]
    wants_when: bool
    wants_where: bool
    wants_next: bool
    wants_agenda: bool
    hour: int | None
    clock: time | None
    part_of_day: tuple[int, int] | None
    day: date | None
    day_problem: DateProblem | None
    yes_no: bool = False
    # The words of the yes/no question itself, up to its question mark: what follows is
    # context ("… at the plenary? my English is rusty").
    yes_no_words: frozenset[str] = frozenset()
    # The content word just before "near", "close to", "loin de": the thing looked for.
    near_head: frozenset[str] = frozenset()
    # Words found only in the sentences around the question ("I twisted my ankle last
    # week. Does my coverage work in France?"): a word there the mission does not know is
    # the story, not the subject.
    aside: frozenset[str] = frozenset()
    # A sentence told after the question ("… ? I need it for the taxi driver").
    told_after: bool = False
    # Words of what the question leaves out ("not the shuttle, the reception itself").
    excluded: frozenset[str] = frozenset()
    # Content words that match nothing the mission knows (filled while scoring).
    unmatched: list[str] = field(default_factory=list)
    # Content words that only look like a word the mission knows (filled while scoring).
    lookalikes: list[str] = field(default_factory=list)
    # For each content word, the vocabulary words it matched and their worth (filled while
    # scoring).
    hits: dict[str, dict[str, float]] = field(default_factory=dict)
    # For each document scored (by identity), the question words it matched.
    matched: dict[int, frozenset[str]] = field(default_factory=dict)


def _hour_of(text: str) -> int | None:
    wall = parse_clock(text)
    return wall.hour if wall else None


DAY_WORDS = set(WEEKDAYS) | set(MONTHS) | {w for phrase in RELATIVE for w in words_of(phrase)}
STOPWORDS = _stemmed(STOPWORDS)
FILLER = _stemmed(FILLER)
WHEN_WORDS = _stemmed(WHEN_WORDS)
WHERE_WORDS = _stemmed(WHERE_WORDS)
NEXT_WORDS = _stemmed(NEXT_WORDS)
AGENDA_WORDS = _stemmed(AGENDA_WORDS)
# "Called" stems to "call", which is phoning far more often than a name.
PLACE_WORDS = _stemmed(PLACE_WORDS) - {"call"}
TRANSPORT_WORDS = _stemmed(TRANSPORT_WORDS)
DAY_WORDS = _stemmed(DAY_WORDS)
# Words that name a day by themselves ("mardi", "tomorrow"), not "this" of "this morning".
DAY_NAMES = _stemmed(
    {k for k in WEEKDAYS if len(k) > 3 or k in UNAMBIGUOUS_WEEKDAYS}
    | {k for k in RELATIVE if re.fullmatch(r"[a-z0-9]+", k)}
)
# Synonyms compare with stemmed words on both sides.
SYNONYMS = {
    **{_stem(k): tuple(_stem(w) for w in v) for k, v in SYNONYMS.items()},
    **{k: tuple(_stem(w) for w in v) for k, v in SYNONYMS.items()},
}
TIME_OF_DAY = {**TIME_OF_DAY, **{_stem(k): v for k, v in TIME_OF_DAY.items()}}
SYNONYMS_BY_ROOT: dict[str, tuple[str, ...]] = {}
for _key, _values in SYNONYMS.items():
    if len(_key) >= 5 and _key.isalpha() and _root(_key) != _key:
        SYNONYMS_BY_ROOT.setdefault(_root(_key), _values)


# Yes/no questions ("can I bring…", "y a-t-il…"): when part of what they ask about is
# unknown to the mission, the honest answer is "I don't know", not the nearest session.
YES_NO = re.compile(
    r"(?:^|(?<=[.!?])\s)\s*(can|could|may|is there|are there|will there be|is it possible|"
    # "Will the slides be shared?", "will they have…" (not "will you send…", a request).
    r"will (the|they|we|i|there|it|my|our) |"
    r"do i need|do we need|(do|does) (\w+ ){1,2}(need|provide|offer|pay|cover|reimburse|"
    r"have(?! to))|i need (a|an)|we need (a|an)|"
    r"est-ce que?|est-il possible|y a-t-il|y'?a-t?-?u|y ?'?a[ -]t[ -]?(il|u)|y a-tu|"
    r"y a t il|je peux|peut-on|on peut|puis-je|ya-tu|y'a tu|y a tu|faut-il|faut il|"
    r"(est-ce qu|est ce qu)(on|il|elle)|c ?'? ?est combien|combien (coute|ca coute)|"
    # "Y aura-t-il…", "est-ce qu'il va y avoir…", "va-t-il y avoir…".
    r"y aura[ -]t[ -]il|y aura[ -]tu|(est-ce|est ce) qu ?'? ?(il|on|elle)|va[ -]t[ -]il y avoir|"
    # Someone else may: "elle peut venir avec moi au gala?".
    r"(il|elle|ils|elles) (peut|peuvent|pourra|pourront|pourrait)|"
    # What it costs: "how much does the gala dinner cost".
    r"how much (does|do|will|would) (\w+ ){1,4}cost)\b"
)


# A statement about oneself before the question, set off by a comma or a dash ("I'm vegan,
# is there a vegan option at the gala?", "je suis végé — y a-tu un plat?"): the yes/no
# question starts after it (a topic before it, "Tuesday lunch: is there…", is its subject).
STATEMENT_LEAD = re.compile(
    r"^\s*(i|i m|im|i am|we|we re|we are|my|our|je|j|nous|mon|ma|mes|moi)\b[^.!?,;:—–]*"
    r"[,;:—–]\s*"
)


def _yes_no(folded: str) -> int | None:
    """Where the yes/no question of a text starts, if it asks one."""
    found = YES_NO.search(folded)
    if found is not None:
        return found.start()
    lead = STATEMENT_LEAD.match(folded)
    if lead is not None and YES_NO.match(folded[lead.end() :]):
        return lead.end()
    return None


WHATS_ON = re.compile(r"\b(what|whats|anything|something)( s| is)? on\b")
AFTER_WORDS = {"after", "apre", "following", "suite"}


# "Who picks us up", "quelqu'un vient nous chercher": a person meeting the group, which the
# data says as someone waiting or welcoming (a shuttle picking us up, or picking up a badge,
# is not that).
PERSON_WORDS = {
    "who",
    "whoever",
    "qui",
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "quelqu",
    "personne",
    "people",
    "person",
    "gens",
    "folks",
    "representative",
    "representant",
}
CROWD_WORDS = {"people", "gens", "folks", "person", "personne"}
SOCIAL_MEETING = {"meet", "rencontrer", "rencontre", "connaitre", "mingle"}
MEETING_WORDS = _stemmed(
    _words(
        "pick pickup chercher attendre attend wait meet accueillir accueille accueillent "
        # Finding the one who waits: "how do I spot the delegation person".
        "find trouve trouver spot reperer recognize reconnaitre reconnais reconnait"
    )
)


# "Dîner" is lunch in Québec and dinner in France, "déjeuner" breakfast or lunch: the part
# of the day named with them says which meal it is.
AMBIGUOUS_MEALS = _stemmed(
    _words("diner dine dejeuner dej manger mange eat meal repas bouffe food nourriture")
)
# Meals that say a time of day in both Québec and France ("dîner" and "déjeuner" do not).
MEAL_PARTS = {
    "lunch": (11, 14), "breakfast": (5, 12), "dinner": (17, 24), "supper": (17, 24),
    "souper": (17, 24),
}  # fmt: skip
MEAL_AT = {(5, 12): "breakfast", (11, 14): "lunch", (17, 24): "dinner", (18, 24): "dinner"}


# "What time is it" somewhere (not "the round table, what time is it").
CLOCK_QUESTION = re.compile(
    r"\b(what time (is it|will it be|it is|it will be)|quelle heure (est-il|est il|il est|"
    r"il sera|sera-t-il|sera t il|il fait|ca fait|ca sera)|(il est|il sera|ca fait|ca sera) "
    r"quelle heure)\s+(in|at|there|back|over|a|au|en|la-bas|la bas|ici|chez)\b"
)
THIS_PART = re.compile(
    r"\b(ce|cet|cette|this)\s+(midi|soir|soiree|matin|apres-midi|aprem|nuit|noon|evening|"
    r"morning|afternoon|night|lunchtime)\b"
)


# "When we get to Gerland, where…", "Quand j'arrive à Lyon, comment…": a clause of time
# before the question; its "when" does not ask when.
WHEN_CLAUSE = re.compile(
    r"^\s*(when|quand|lorsque|lorsqu|once|whenever|des que|as soon as)\s+(?=(we|i|you|they|"
    r"on|je|j|nous|vous|ils|elles|tu|the group|le groupe)\b)[^,?]*,(?=.*\b(where|"
    r"ou|how|comment|who|qui|what|quoi|quel|quelle|quels|quelles|which|can|could|do|does|"
    r"is|are|should|est-ce|dois|peut|peux|faut)\b)"
)


# A polite request for something ("could you send me…", "pouvez-vous m'indiquer…"), unless
# it asks whether ("could you tell me if…").
REQUEST = re.compile(
    r"\s*(could|can|would|will) you (please |kindly )?(list|send|give|tell|show|share|remind|"
    r"provide|forward|email|describe|detail|explain|confirm)\b(?!.*\b(if|whether)\b)|"
    r"\s*(pourriez|pouvez|peux|peut|pourrais|pourrait)[- ](vous|tu|on)( me| m'| nous)? ?"
    r"(envoyer|donner|dire|indiquer|montrer|rappeler|lister|preciser|detailler|transmettre|"
    r"expliquer|confirmer|decrire)\b(?!.*\bsi\b)"
)
# What follows a question to say why it is asked, or offer the other answer.
PURPOSE_CLAUSE = re.compile(
    r"(,\s*|\s)(i want to|i wanna|i'd like to|i need to|need to|i have to|so i can|so that|"
    r"because|or can i|or should i|or do i|or is it|parce que|parce qu|pour que|je veux|"
    # The other answer offered: "…at the airport, or are they being emailed to us?", "…
    # toutes les séances, ou faut-il s'inscrire à part?".
    r"or (are|is|will|do|does|should|can|would|must) (they|we|you|there|it)|"
    r"(ou|or) (est-ce qu|faut-il|faut il|bien|plutot)|"
    r"j'aimerais|je voudrais|je dois|ma femme|mon mari|"
    r"my wife|my husband)\b"
)
NEAR_MARKERS = {"nearby", "near", "proche", "distance", "far", "loin"}
# What introduces what is looked for near a place: "… to buy", "… pour manger", "… where".
SOUGHT_MARKERS = {"to", "for", "pour", "where", "ou", "that", "qui", "afin"}


# The ride the delegate means not to take ("skip the shuttle", "instead of the shuttle",
# "sans la navette", "plutôt que le bus"): not the subject; the other way there is. (Only
# a means of transport: "sans badge" is about the badge.)
AVOIDED = re.compile(
    r"\b(skip(ping)?|instead of|rather than|without|au lieu (de|d|du|des)|sans|plutot que|"
    r"plutot qu|not take|pas prendre)\s+((the|a|la|le|les|l|une|un|du|des|d)\s+)?"
    r"(navettes?|shuttles?|bus|autobus|coach|autocar|taxis?|tram|metro|vans?|rides?|char|car|"
    r"uber)(\s+(shuttle|bus|coach|de la delegation|du groupe|de l hotel))?\b"
)


# What lies ahead, "qu'est-ce qui nous attend jeudi", "what's in store for us": the
# programme, not someone waiting.
AWAITS = re.compile(
    r"\b(qu est ce qui|qu est-ce qui|qu est ce qu il y a qui|ce qui) (nous|m|me|vous) "
    r"attend(ent)?\b|\bwhat (awaits|is in store for|s in store for|is waiting for|s waiting "
    r"for) (us|me)\b|\bwhat awaits\b"
)


# Taking back what was just asked ("… sorry, I meant pharma", "euh non, je voulais dire
# mercredi", "bioMérieux tour? no, the Gerland one", "what's on now... no wait"): what came
# before is dropped, all but the words that ask ("which room", "c'est quoi le programme").
RETRACTION = re.compile(
    r"(?:\b(?:ah|oh|euh|heu|hmm|oops|oups|sorry|pardon|desole|desolee|ok|actually|en fait)"
    r"[\s,]+)*(?:\b(?:no|non|nope|nah)[\s,]+)?(?:\b(?:wait|attends|attend|sorry|pardon|desole|"
    r"desolee)[\s,]+)*\b(?:i meant|what i meant|je voulais dire|je voulais plutot dire|"
    r"je veux plutot dire|scratch that|no wait|wait no|euh non|heu non|ah non|oh non|"
    r"non attends|en fait non|actually no)\b"
    r"|(?:(?<=[?!])|(?<=\.\.))\s*(?:(?:ah|oh|euh|heu)[\s,]+)?(?:no|non|nope)\s*[,:]"
)
_THE = r"(?:(?:the|my|our|this|that|le|la|les|l|du|mon|ma|mes|notre|nos|ce|cet|cette)\s+)"
_WHAT = r"(?P<what>[a-z0-9]+(?:[ -][a-z0-9/]+){0,5}?)"
_UNTIL = r"\s*(?:\b(?:mais|but|plutot|rather)\b|(?=[,.;:!?]|\s-(?:\s|$)|$))"
# Leaving something out ("not the shuttle, the reception itself", "sauf le lunch", "oublie
# la navette", "I don't mean the hotel", "pharma, not medtech"): those words are no part of
# what is asked, and a document they name is not the answer.
EXCLUSIONS = tuple(
    re.compile(pattern)
    for pattern in (
        # A contrast, the other thing following: "not the shuttle, the reception".
        r"(?:^|(?<=[.;:!?]))\s*(?:not|pas|non pas)\s+" + _THE + _WHAT + r"\s*,\s*(?=\w)",
        # A contrast, the other thing before: "pharma, not medtech", "…, pas Montréal".
        r",\s*(?:and\s+|et\s+)?(?:not|pas|non pas)\s+" + _THE + "?" + _WHAT + r"\s*(?=[.;:!?]|$)",
        r"\b(?:sauf|except|excepting|other than|apart from|aside from|besides|hormis|"
        r"en dehors d(?:e|u|es))\s+" + _THE + "?" + _WHAT + _UNTIL,
        # Telling the bot to put something aside, at the start of what is said.
        r"(?:^|(?<=[,;:.!?]))\s*(?:(?:ah|oh|euh|heu|non|no|ok|and|et|mais|but)[\s,]+)*"
        r"(?:forget|oublie|oubliez|ignore|ignorez|laisse faire|laissez faire|never mind|"
        r"nevermind|disregard)\s+(?:about\s+)?" + _THE + "?" + _WHAT + _UNTIL,
        r"\b(?:i don t mean|i do not mean|i m not (?:asking|talking) about|not (?:asking|"
        r"talking) about|je (?:ne )?parle pas|je (?:ne )?veux pas dire|je (?:ne )?demande pas)"
        r"\s+(?:about\s+|de\s+|d\s+|du\s+|des\s+)?" + _THE + "?" + _WHAT + _UNTIL,
    )
)


def corrected(text: str) -> tuple[str, frozenset[str]] | None:
    """The question once what it takes back or leaves out is gone, and the words left out;
    None when it does neither."""
    folded = apostrophes_spaced(fold(text))
    retracted = list(RETRACTION.finditer(folded))
    excluded: set[str] = set()
    if retracted:
        last = retracted[-1]
        before, folded = folded[: last.start()], folded[last.end() :]
        asking = [w for w in re.findall(r"[a-z0-9]+", before) if _asks(w)]
        folded = ", ".join([" ".join(asking), folded])
    changed = bool(retracted)
    for pattern in EXCLUSIONS:
        found = pattern.search(folded)
        if found is not None:
            excluded |= {w for w in words_of(found["what"]) if w not in FRAME_WORDS}
            folded = f"{folded[: found.start()]} , {folded[found.end() :]}"
            changed = True
    return (folded, frozenset(excluded)) if changed else None


def _asks(word: str) -> bool:
    """A word of how a question asks, not of what it is about ("which", "room", "programme",
    "c'est quoi"): what is kept of a question taken back."""
    stems = words_of(word)
    return bool(stems) and all(w in FRAME_WORDS for w in stems)


# "Who will I be meeting with", "qui est-ce que je vais rencontrer": "who" the one met, by
# the asker (a subject follows it), not someone coming to meet the group.
WHO_WORDS = {"who", "whom", "qui"}
SUBJECTS = {"i", "im", "we", "you", "they", "je", "j", "on", "tu", "ils", "elles"}
ASKING = _stemmed(
    _words(
        "will are am is do does did shall should would can could m re going est ce que qu "
        "va vais allons allez vont doit dois devons"
    )
)


def _whom_one_meets(words: list[str]) -> bool:
    """Meeting someone, "who" being whom: only "meet" (not waiting, picking up, finding)."""
    if set(words) & MEETING_WORDS - SOCIAL_MEETING - {"meeting"}:
        return False
    for position, word in enumerate(words):
        if word in WHO_WORDS:
            after = itertools.dropwhile(lambda w: w in ASKING, words[position + 1 :])
            if next(after, "") in SUBJECTS:
                return True
    return False


# A writer who types accents and writes "ou" without one means "or", not "where" ("tenue
# de soirée ou un complet?", "en tram ou en bus").
ACCENTED = re.compile(r"[éèêàçùâîôû]")


TAKING = _stemmed(_words("take takes taking took prendre prend prends prenons prenez prennent"))


def _rides(words: set[str]) -> bool:
    """Whether some words name a ride or a means of transport ("shuttle", "tram", "taxi")."""
    return any(w in TRANSPORT_WORDS or bool({w, *SYNONYMS.get(w, ())} & RIDE_WORDS) for w in words)


RIDE_WORDS = TRANSPORT_WORDS | {"transport", "tcl", "flight", "vol", "taxi", "train", "gare"}


# The ride missed ("si je manque la navette", "I missed the bus"): with another way named
# ("… en tram?", "can I take the metro back"), the premise, as a ride avoided is; the other
# way is what is asked about.
MISSED = re.compile(
    r"\b(miss|missed|misses|missing|rate|rater|rates|manque|manquer|manques|manquons)"
    r"\s+((the|a|la|le|les|l|une|un|my|our|ma|mon|notre)\s+)?"
    r"(navettes?|shuttles?|bus|autobus|coach|autocar|vans?|rides?|char|transfer|transfert)"
    r"(\s+(du|de|of the|this)\s+(matin|soir|morning|evening))?\b"
)


# Words that ask, for telling the clause that asks from the clauses around it.
INTERROGATIVES = _words(
    "what whats which who whom whose when where how why quel quelle quels quelles quand ou "
    "comment combien qui quoi pourquoi koi address adresse"
)
# The words that say how a question asks, not what about (see _asks).
FRAME_WORDS = (
    (STOPWORDS | WHEN_WORDS | WHERE_WORDS | NEXT_WORDS | AGENDA_WORDS | PLACE_WORDS | FILLER)
    - DAY_WORDS
    - set(TIME_OF_DAY)
)
FRAME_WORDS |= INTERROGATIVES
# Words that make a clause a statement, said of oneself or of someone ("i have a call",
# "my insurance form needs it", "taxi driver is asking", "je suis arrivé"): a clause with
# none of them is a topic ("the gala, what time?", "c'est où, la navette?").
STATEMENT_WORDS = _words(
    "i im we my our me he she they is are was were has have had want wanna need needs "
    "thinking planning trying je j mon ma mes nous il elle ils elles suis sommes ai veux "
    "voudrais dois pense "
    # Quebec and texting forms of "je suis": "chu au cocktail, …".
    "chu chui chuis jsuis"
)
# Where one is as the question is asked, said first ("in the van from the airport rn, …",
# "on the shuttle, …", "dans la navette, …"): a statement, the question follows.
WHERE_ONE_IS = re.compile(
    r"^\s*((in|on|at|outside|dans|sur|devant) (the|a|la|le|l|un|une)|a (la|l)|au) [a-z]+"
    # What one just did: "je sors du dîner", "just got out of the plenary", "closing
    # plenary just ended".
    r"|^\s*(je sors|on sort|je viens de sortir|just got out|just left|got out)\b"
    r"|\b(just ended|just finished|vient de finir|vient de se terminer|est fini|is over)\s*$"
)
# A clause opening with its verb, its subject left out: "just landed", "lost the group",
# "taking a cab", "stuck in traffic".
# (A verb in -ed or -ing is one when an object or a place follows: "opening plenary, which
# room?" is a topic.)
VERB_OPENING = re.compile(
    r"\s*(just|still|lost|left|got|stuck|\w{3,}(ed|ing) (a|an|the|my|our|at|in|on|for|to|with|"
    r"from|around|outside|here|there))\b"
)


def _opens_statement(clause: str) -> bool:
    words = re.findall(r"[a-z]+", clause)
    return bool(words) and (
        words[0] in STATEMENT_WORDS
        or bool(VERB_OPENING.match(clause))
        or bool(WHERE_ONE_IS.match(clause))
    )


CLAUSE_BREAK = re.compile(r"\s*[,;—–]\s*|\s+-\s+")


def _story_names_nothing(
    asked: set[str], content: list[str], words: list[str], also: AbstractSet[str] = frozenset()
) -> bool:
    """What is next, or a day's programme (`asked`, the words of what asks), asked after
    saying where one is or what one just did: the story names no subject, unless it tells
    of something gone wrong ("ma valise est pas arrivée, je fais quoi")."""
    return (
        bool(asked & (THEN_WORDS | SCHEDULE_WORDS | also))
        and not asked & set(content)
        and not set(words) & MISHAP
    )


def _story_clauses(text: str) -> tuple[set[str], set[str], bool] | None:
    """Within the sentences of a question, the clauses that ask and the statements around
    them: the words of each, and whether a statement comes after the last that asks."""
    folded = apostrophes_spaced(text)
    clauses = [c for c in CLAUSE_BREAK.split(folded) if c.strip()]
    if len(clauses) < 2:
        return None
    asks = [
        "?" in c or bool(set(re.findall(r"[a-z]+", c)) & INTERROGATIVES) or _yes_no(c.strip()) == 0
        for c in clauses
    ]
    if not any(asks):
        return None
    last = max(i for i, a in enumerate(asks) if a)
    first = asks.index(True)
    story = [
        i
        for i, c in enumerate(clauses)
        if not asks[i]
        # A statement before the question must open with who it is about ("I just landed,
        # who…"), or with its verb, who being oneself ("lost the group after city hall,
        # taking a cab, what's the address…"); one after it may say so anywhere ("…, taxi
        # driver is asking").
        and (
            _opens_statement(c)
            if i < last
            else bool(set(re.findall(r"[a-z]+", c)) & STATEMENT_WORDS)
        )
    ]
    if not story:
        return None
    asked = set(_split_compounds(words_of(" ".join(c for i, c in enumerate(clauses) if asks[i]))))
    told = set(_split_compounds(words_of(" ".join(clauses[i] for i in story))))
    return asked, told, any(i > last for i in story) and first <= last


def _asking_clauses(text: str) -> str | None:
    """The clauses of a question that ask, without the statements around them."""
    folded = re.sub(r"[’'`´]", " ", text)
    clauses = [c for c in CLAUSE_BREAK.split(folded) if c.strip()]
    kept = [
        c
        for c in clauses
        if "?" in c
        or set(re.findall(r"[a-z]+", fold(c))) & INTERROGATIVES
        or _yes_no(fold(c).strip()) == 0
    ]
    rest = [c for c in clauses if c not in kept]
    if set(words_of(" ".join(rest))) & MISHAP or any(
        re.match(r"\s*(si|s|if|unless|en cas)\b", fold(c)) for c in rest
    ):
        # "J'ai oublié mon chargeur dans l'autobus, quelqu'un l'a-tu trouvé?": a plan gone
        # wrong is what the question is about, not a story around it; so is a condition
        # ("si je dois annuler, est-ce que je suis remboursé?").
        return None
    return ", ".join(kept) if kept and len(kept) < len(clauses) else None


def parse_question(text: str, viewer: Viewer, now: datetime) -> Parsed:
    if ACCENTED.search(text.lower()):
        text = re.sub(r"\b[Oo]u\b", "or", text)
    excluded: frozenset[str] = frozenset()
    if (correction := corrected(text)) is not None:
        text, excluded = correction
    folded = fold(text)
    if AVOIDED.search(folded):
        text = folded = AVOIDED.sub(" ", re.sub(r"[’'`´]", " ", folded))
    if MISSED.search(folded):
        # The other way must be named in the same sentence ("… how do I get there? How
        # much is the train?" asks about the ride missed).
        parts = re.split(r"(?<=[?!.])\s+", re.sub(r"[’'`´]", " ", folded))
        rests = [MISSED.sub(" ", part) for part in parts]
        kept = [
            rest if rest != part and _rides(set(_split_compounds(words_of(rest)))) else part
            for part, rest in zip(parts, rests, strict=True)
        ]
        if kept != parts:
            text = folded = " ".join(kept)
    spaced = apostrophes_spaced(folded)
    if AWAITS.search(spaced):
        text = folded = AWAITS.sub(" programme ", spaced)
    when = WHEN_CLAUSE.match(folded)
    if when is not None and not re.search(r"\b(heure|time|when|quand)\b", folded[when.end() :]):
        text = folded[: when.start(1)] + folded[when.end(1) :]
    words = _split_compounds(words_of(text))
    raw = set(words)
    if raw & PERSON_WORDS and raw & MEETING_WORDS and not _whom_one_meets(words):
        if raw & PERSON_WORDS <= CROWD_WORDS and raw & MEETING_WORDS <= SOCIAL_MEETING:
            # Meeting people, "rencontrer des gens", is networking, not being met.
            words = ["network" if w in SOCIAL_MEETING else w for w in words]
        else:
            words.append("greet")
    if CLOCK_QUESTION.search(fold(text)):
        # "Il sera quelle heure à Lyon?", "what time is it back home?": the time of day
        # somewhere, which is the time difference, not an event's time.
        words += ["decalage", "difference"]
    try:
        day = parse_day(text, viewer.calendar, now)
        problem = None
    except DateProblem as exc:
        day, problem = None, exc
    part = next((TIME_OF_DAY[w] for w in words if w in TIME_OF_DAY), None)
    if part is None and "apre" in raw and "midi" in raw:
        part = TIME_OF_DAY["apres-midi"]
    if part is None and day is not None:
        # "Wednesday lunch", "le souper de mardi": a meal named with a day is a time of it.
        part = next((MEAL_PARTS[w] for w in words if w in MEAL_PARTS), None)
    if day is None and problem is None and part is not None and THIS_PART.search(fold(text)):
        # "Ce midi", "this evening": the part of today.
        day = viewer.calendar.today(now)
    ignored = STOPWORDS | WHEN_WORDS | WHERE_WORDS | NEXT_WORDS | AGENDA_WORDS | DAY_WORDS
    ignored |= PLACE_WORDS | FILLER
    ignored |= set(TIME_OF_DAY) | {"am", "pm", "midi", "apres"}
    if raw & TAKING and not _rides(raw):
        # "Take the group photo", "prendre une photo", "how long does it take": taking
        # means what its object means; only a ride is caught.
        ignored = ignored | TAKING
    content = [
        w
        for w in words
        if w not in ignored
        and not re.fullmatch(r"\d{1,2}(h\d*|am|pm|er|st|nd|rd|th|e)?|(19|20)\d\d", w)
    ]
    near = next((i for i, w in enumerate(words) if w in NEAR_MARKERS), None)
    # "A pizza place near the hotel", "une gare pas loin de l'hôtel": what is asked about
    # comes before "near"; what follows is where to measure from.
    head = [w for w in words[:near] if w in content] if near else []
    near_head = frozenset(head[-1:])
    place_end = len(words)
    if near is not None and not head:
        # "A good place near the hotel to buy chocolate", "un endroit près de l'hôtel pour
        # manger": nothing named before "near"; what is looked for is the purpose after the
        # place.
        place_end = next(
            (i for i in range(near + 2, len(words)) if words[i] in SOUGHT_MARKERS), len(words)
        )
        head = [w for w in words[place_end + 1 :] if w in content]
        near_head = frozenset(head)
    meal = MEAL_AT.get(part) if part is not None else None
    if meal is not None:
        content = [meal if w in AMBIGUOUS_MEALS else w for w in content]
    folded = fold(text)
    yes_no = _yes_no(folded)
    if yes_no is not None and REQUEST.match(folded, yes_no):
        # "Could you list…", "pourriez-vous me détailler…": a request, not a yes/no question.
        yes_no = None
    clause = re.split(r"[?!.]", folded[yes_no:])[0] if yes_no is not None else ""
    sentence = " ".join(words)
    sentences = [s for s in SENTENCE_END.split(text.strip()) if s.strip()]
    aside: set[str] = set()
    told_after = False
    if len(sentences) > 1:
        # Every sentence asking something is the question ("Where is it exactly? Which part
        # of town?"); the others are the story around it.
        asked = [s for s in sentences if "?" in s] or sentences[-1:]
        told_after = asked[-1] is not sentences[-1]
        aside = set(_split_compounds(words_of(" ".join(s for s in sentences if s not in asked))))
        asked_words = set(_split_compounds(words_of(" ".join(asked))))
        aside -= asked_words
        if _story_names_nothing(asked_words, content, words):
            # "On sort de la plénière. C'est quoi la suite?"
            content = [w for w in content if w not in aside]
    stories = _story_clauses(text)
    if stories is not None and _story_names_nothing(
        stories[0] - {"greet"}, content, words, DAY_NAMES
    ):
        # "Je sors de la plénière, c'est quoi la suite?", "at the airport, what's next",
        # "je sors du dîner, le programme demain?"
        content = [w for w in content if w not in stories[1]]
    if stories is not None and stories[0] & set(content) - {"greet"}:
        # "Hotel address pls, taxi driver is asking", "… finish, i have a call after": the
        # clause saying why, or what happened, is the story around the clause that asks
        # (unless that asks nothing of its own: "j'ai oublié mon chargeur, quelqu'un l'a-tu
        # trouvé?" is about the charger).
        asked_words, story_words, after = stories
        aside |= story_words - asked_words
        told_after = told_after or after
    purpose = PURPOSE_CLAUSE.search(folded, 1)
    if purpose is not None:
        # "What's the hotel address, need to show the taxi driver", "… mandatory or can i
        # sleep in": after the question, why it is asked; its words are the story.
        before = set(_split_compounds(words_of(folded[: purpose.start()])))
        if len(before & set(content)) >= 2:
            aside |= set(_split_compounds(words_of(folded[purpose.start() :]))) - before
    if head and near is not None:
        # Where to measure from counts for less than what is looked for.
        aside |= set(words[near + 1 : place_end]) - set(head)
    return Parsed(
        words=words,
        content=content,
        wants_when=bool(raw & WHEN_WORDS) or "heure" in raw,
        wants_where=bool(raw & WHERE_WORDS),
        # "On fait quoi après?": after what is going on now ("après-midi" is a time of day).
        # (not "after" in the story around the question: "… ? thinking of a day trip after
        # the mission")
        wants_next=bool(raw & NEXT_WORDS) or (bool(raw & AFTER_WORDS - aside) and part is None),
        # "On" is the French "we" as often as the English "what's on".
        wants_agenda=bool(raw & (AGENDA_WORDS - {"on"})) or bool(WHATS_ON.search(sentence)),
        hour=_hour_of(text),
        clock=_in_part(parse_clock(text), part),
        part_of_day=part,
        day=day,
        day_problem=problem,
        yes_no=yes_no is not None,
        yes_no_words=frozenset(_split_compounds(words_of(clause))),
        aside=frozenset(aside),
        told_after=told_after,
        near_head=near_head,
        excluded=excluded,
    )


def _in_part(clock: time | None, part: tuple[int, int] | None) -> time | None:
    """ "3:45 this afternoon" is 15:45: a clock of twelve hours read in its part of day."""
    if clock is not None and part is not None and clock.hour < 12 <= part[0]:
        return clock.replace(hour=clock.hour + 12)
    return clock


def _expansions(word: str) -> list[tuple[str, float]]:
    out = [(word, 1.0)]
    # An inflected form finds the synonyms of its root: "soupe", "soupons" like "souper".
    synonyms = SYNONYMS.get(word) or SYNONYMS_BY_ROOT.get(_root(word), ())
    out += [(s, 0.9) for s in synonyms]
    return out


SWAP_CUTOFF = 75


def _matches(index: MissionIndex, word: str, typed: bool = True) -> list[tuple[str, float]]:
    """Vocabulary words close to `word`: exact first, then typos (longer words only, and
    only for a word typed by the delegate: a synonym is spelled right, and its look-alikes
    are other words: "regroupe" is not "groupe")."""
    key = (word, typed)
    found = index.match_cache.get(key)
    if found is None:
        if len(index.match_cache) >= MATCH_CACHE_SIZE:
            index.match_cache.clear()
        found = index.match_cache[key] = _find_matches(index, word, typed)
    return found


MATCH_CACHE_SIZE = 20_000


def _find_matches(index: MissionIndex, word: str, typed: bool) -> list[tuple[str, float]]:
    if word in index.postings:
        found = [(word, 1.0)]
        if len(word) < 5:
            return found
    else:
        found = []
    if len(word) >= 3 and typed:
        cutoff = 84 if len(word) >= 6 else 85
        for candidate, score, _ in process.extract(
            word, index.vocabulary, scorer=fuzz.ratio, score_cutoff=SWAP_CUTOFF, limit=4
        ):
            if score < cutoff:
                # Two letters typed the wrong way round ("hotle", "aeorport") are one slip,
                # though they count as two differences.
                if (
                    len(word) < 5
                    or sorted(word) != sorted(candidate)
                    or OSA.distance(word, candidate) > 1
                ):
                    continue
                score = cutoff
            # Letters go missing in typing ("wfi"), but a word is no typo of a shorter word
            # of three letters ("visa" is not "via").
            if candidate != word and not (len(candidate) <= 3 < len(word)):
                found.append((candidate, score / 100 * 0.9))
    if len(word) >= 5 and word.isalpha():
        # Inflections: "prend" and "prendre", "arrivant" and "arrivees", "attendre" and
        # "attend", "arrival" and "arrive".
        known = {c for c, _ in found}
        found += [(c, 0.8) for c in index.roots.get(_root(word), ()) if c not in known]
    if len(word) >= 5 and not found:
        # Abbreviations: "coordo" for "coordonnatrice", "biomer" for "biomerieux".
        # The vocabulary is sorted: the words that start with `word` follow it.
        start = bisect.bisect_left(index.vocabulary, word)
        for candidate in itertools.islice(index.vocabulary, start, start + 4):
            if len(found) == 3 or not candidate.startswith(word):
                break
            if candidate != word:
                found.append((candidate, 0.8))
    return found


ORIGIN_MARKERS = {"from", "depuis", "de"}
DESTINATION_MARKERS = {"to", "for", "vers", "pour", "a", "au", "jusqu"}
PLACE_STOP = {"the", "la", "le", "l", "les", "du", "des", "back", "retour"}


RETURN_WORDS = {"retour", "back", "rentrer", "rentre", "retourne", "retourner", "retournon"}
LEAVING_WORDS = _stemmed(
    _words("revient reviens revenir reviennent part partent partir quitte quitter sort depart")
)
ARRIVAL_WORDS = _stemmed(
    _words(
        "arrive arrivee arrival arriving land landing atterrit atterrir "
        # Other persons and tenses, the Québec "rendu à", and the usual slips.
        "arrives arrived arriver arrivons arrivez arrivent arrivant arrivera arriverons "
        "landed lands atterrissons atterrissage atterri atterrissez atterit aterrit aterrir "
        "atterir arive ariver arivee rendu rendus rendue rendues"
    )
)
# Arriving said as the moment after which something happens ("à l'arrivée", "en arrivant",
# "rendu à Lyon", "when we land in Lyon, who…"): the ride that meets the group leaves from
# there. Said as the main verb ("on arrive à Montréal à quelle heure"), the place is where
# the trip asked about ends.
ARRIVAL_NOUNS = _stemmed(
    _words("arrivee arrival arrivant rendu rendus rendue rendues atterrissage arivee")
)
ARRIVAL_CLAUSE = {"when", "quand", "lorsque", "lorsqu", "once", "en", "upon", "after",
                  "apre", "des", "whenever", "as", "sitot"}  # fmt: skip
ARRIVING = {"i", "we", "je", "j", "on", "nous"}
# What may follow "retour" without it naming where: "retour du forum", "back from", "back to".
RETURN_BEFORE = ORIGIN_MARKERS | DESTINATION_MARKERS | PLACE_STOP | {"du", "des", "d"}


def _direction(words: list[str]) -> tuple[set[str], set[str]]:
    """Words after "from"/"depuis" (origin) and after "to"/"vers"/"pour" (destination)."""
    route = _route(words)
    return route.origin, route.destination


@dataclass
class Route:
    origin: set[str]
    destination: set[str]
    # Where the group arrives, said as the moment after which it asks ("quand on atterrit
    # à Lyon, qui vient nous chercher"): part of the origin.
    arrival: set[str]


# "When do we land", "when will we arrive": asked, not a clause of time.
AUXILIARIES = {"do", "does", "did", "will", "shall", "would", "should", "are", "is", "can"}
# Leaving a place, said with it as the object: "just leaving City Hall", "quitter l'hôtel".
LEAVING_PLACE = _stemmed(_words("leave leaves leaving left quitte quitter quittons quittez"))
# "Back to the hotel before City Hall", "repasser à l'hôtel avant la réception": going back
# somewhere before somewhere else is a stop on the way there.
BEFORE_WORDS = {"before", "avant"}


def _route(words: list[str]) -> Route:
    origin: set[str] = set()
    destination: set[str] = set()
    arrival: set[str] = set()
    ahead: set[str] = set()
    target: set[str] | None = None
    arrived = landing = returning = False
    asks_time = bool({"heure", "time", "hour", "when", "quand"} & set(words))
    for position, word in enumerate(words):
        following = words[position + 1] if position + 1 < len(words) else ""
        before = words[max(0, position - 3) : position]
        clause = bool(set(before) & ARRIVAL_CLAUSE) and not set(before) & AUXILIARIES
        if word in ARRIVAL_WORDS and (
            word in ARRIVAL_NOUNS or (set(before) & ARRIVING and (clause or not asks_time))
        ):
            # "Quand j'arrive à Lyon", "à l'arrivée à Saint-Exupéry": where the group
            # arrives is where the ride that meets it leaves from.
            arrived = True
            continue
        if word in ARRIVAL_WORDS and set(before) & ARRIVING and asks_time:
            # "On arrive à Montréal à quelle heure": where the trip asked about ends.
            target, landing = destination, True
            continue
        if landing and word in DESTINATION_MARKERS | {"in", "at", "en"}:
            landing = False
            continue
        landing = False
        if word in ORIGIN_MARKERS - {"de"}:
            target = origin
        elif word in LEAVING_WORDS and following in {"de", "du", "d", "des"}:
            # "La navette qui revient de l'Hôtel de Ville", "part de l'hôtel": from there.
            target = origin
        elif word in LEAVING_PLACE and following not in DESTINATION_MARKERS | {"from", "at"}:
            target = origin
        elif arrived and word in DESTINATION_MARKERS | {"in", "at", "en"}:
            target, arrived = arrival, False
        elif word in {"de", "d"} and target is origin and not origin:
            continue  # "revient de l'Hôtel de Ville": the place follows
        elif word in RETURN_WORDS and following and following not in RETURN_BEFORE:
            # "Navette retour hôtel": back to the hotel, said without "to".
            target, returning = destination, True
        elif word in BEFORE_WORDS and returning:
            target = ahead
        elif word in DESTINATION_MARKERS:
            target = destination
        elif target is not None and word not in PLACE_STOP:
            if (
                word in STOPWORDS
                or word in WHEN_WORDS
                or word in AGENDA_WORDS
                or word in NEXT_WORDS
            ):
                target = None
            else:
                target.add(word)
                for synonym in SYNONYMS.get(word, ()):
                    target.add(synonym)
        if word in RETURN_WORDS | REPASS_WORDS:
            returning = True
    if ahead:
        # Where one goes back to first is a stop; where the ride goes is what follows.
        destination = ahead
    return Route(origin | arrival, destination, arrival)


REPASS_WORDS = _stemmed(_words("repasse repasser repassons repasse stop arret"))


def _visible(doc: Doc, viewer: Viewer, named: set[int]) -> bool:
    if doc.kind != AnswerKind.SESSION or doc.audience == Audience.EVERYONE:
        return True
    if doc.audience == Audience.TAGGED:
        return bool(viewer.tags & doc.tags)
    return doc.ref_id in named


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


PASSAGE_WEIGHT = 0.8
ASIDE_NAMED = 0.85
# What a word weighs when it is only in the story around the question, against one in the
# question itself: a little less when the mission knows it, much less when it does not
# (then it is the story, "I twisted my ankle last week", not the subject).
ASIDE_WEIGHT = 0.75
UNKNOWN_ASIDE_WEIGHT = 0.25
LONG_UNKNOWN_WEIGHT = 0.5
LONG_PHRASING = 6


def _with_passages(
    doc: Doc,
    values: dict[str, float],
    word_hits: dict[str, dict[str, float]],
    query_weight: float,
) -> float:
    """What a document's words are worth to a question, counting words found together in one
    sentence of its description or answer nearly as much as words of its title."""
    total = sum(values.values())
    if len(values) < 2 or not doc.passages:
        return total
    best = total
    for passage in doc.passages:
        together = {
            word: max((v for w, v in word_hits[word].items() if w in passage), default=0.0)
            for word in values
        }
        if sum(1 for v in together.values() if v > 0) < 2:
            continue
        # The more of the question that sentence and the title hold, the more it counts.
        share = sum(max(together[w], values[w]) for w in values) / query_weight
        weight = PASSAGE_WEIGHT * min(1.0, share)
        best = max(best, sum(max(values[w], weight * together[w]) for w in values))
    return best


# Words that make a sentence conditional, in the FAQ's own texts.
CONDITIONAL = {"si", "if", "cas", "unless", "sinon", "otherwise"}


# Words that ask when, "what" aside (it asks what as often as "what time").
ASKS_WHEN = _stemmed(
    _words(
        "when quand heure heures time begin begins start starts commence debute debut "
        "end ends finish finishes finit termine until till"
    )
)
HOW_WORDS = {"how", "comment"}
# A plan that fails: missing it, being late, something lost or cancelled.
MISHAP = _stemmed(
    _words(
        "miss missed rate rater manque manquer manquez retard late delay delayed lost perdu "
        "perdue cancel cancelled canceled annule annulee oublie forgot forget "
        "retardataire latecomer annulation cancellation wrong problem probleme trouble "
        # Not being there: "si je ne suis pas présent", "if I can't make it".
        "absent absente absence"
    )
)
GONE_RIDE = 0.85
DAY_MISMATCH = 0.55
PART_MISMATCH = 0.7


# Going somewhere, whatever the means ("how do we get over to", "on va comment à", "head
# to", "on enchaîne direct"): with a place to go to, a trip.
MOVE_WORDS = _stemmed(
    _words(
        "get go goes going head heading aller va vont allons allez rendre rend rendons rendez "
        "enchaine enchainer enchaine straight direct directement"
    )
)


def _about_transport(parsed: Parsed) -> bool:
    raw = set(parsed.words)
    return bool(raw & TRANSPORT_WORDS) or any(
        s in TRANSPORT_WORDS for w in raw for s in SYNONYMS.get(w, ())
    )


# Ways to get about that are not the delegation's rides.
OTHER_MEANS = _stemmed(_words("tram metro subway transit taxi cab uber train rhonexpress"))
OTHER_MEANS_RIDE = 0.6
EXACT_TIME = 1.3
# The ride that meets the group leaves within this long after it arrives.
MEETING_RIDE = timedelta(hours=3)
NAMED_BY_TIME = 0.2


def _same_minutes(local: datetime, clock: time) -> bool:
    """A start time within five minutes of a time the question gives to the minute."""
    minutes = local.hour * 60 + local.minute
    return abs(minutes - (clock.hour * 60 + clock.minute)) <= 5


def _rejoined(index: MissionIndex, content: list[str]) -> list[str]:
    """Words typed apart that the mission writes as one ("bio merieux"), and one word the
    mission writes as two ("healthcare" for "health care")."""
    out: list[str] = []
    i = 0
    while i < len(content):
        word = content[i]
        if i + 2 < len(content):
            joined = word + content[i + 1] + content[i + 2]
            if joined in index.postings and not all(
                w in index.postings for w in content[i : i + 3]
            ):
                out.append(joined)  # "lyon bio pole" for Lyonbiopôle
                i += 3
                continue
        if i + 1 < len(content):
            joined = word + content[i + 1]
            if joined in index.postings and not (
                word in index.postings and content[i + 1] in index.postings
            ):
                out.append(joined)
                i += 2
                continue
            if (
                len(joined) >= 8
                and content[i + 1] not in index.postings
                and joined.isalpha()
                and any(len(c) > len(word) + 2 for c, _ in _matches(index, joined))
            ):
                # Typed apart and misspelled ("bio marieux"): one word of the mission's,
                # with a typo.
                out.append(joined)
                i += 2
                continue
            whole = _abbreviated(index, joined) if len(content[i + 1]) <= 3 else None
            if whole is not None and content[i + 1] not in index.postings:
                # "Saint-Ex" for Saint-Exupéry: the start of a compound the mission uses.
                out.extend(_halves(index, whole) or (whole,))
                i += 2
                continue
        if (
            len(word) >= 7
            and word.isalpha()
            and word not in index.postings
            and word not in SYNONYMS  # "takeoff" is a flight, not "take" and "off"
        ):
            halves = _halves(index, word)
            if halves is not None:
                out.extend(halves)
                i += 1
                continue
        out.append(word)
        i += 1
    return out


def _halves(index: MissionIndex, word: str) -> tuple[str, str] | None:
    """Two words of the vocabulary that make up `word`."""
    return next(
        (
            (word[:k], word[k:])
            for k in range(3, len(word) - 2)
            if word[:k] in index.postings and word[k:] in index.postings
        ),
        None,
    )


def _abbreviated(index: MissionIndex, start: str) -> str | None:
    """The one word of the vocabulary that begins with `start` (six letters or more)."""
    if len(start) < 6 or not start.isalpha():
        return None
    at = bisect.bisect_left(index.vocabulary, start)
    found = [w for w in index.vocabulary[at : at + 2] if w.startswith(start) and w != start]
    return found[0] if len(found) == 1 else None


# "From here", "d'ici": where the asker is, which the programme knows from the moment.
FROM_HERE = re.compile(r"\b(from here|from where we are|d ici|depuis ici)\b")


def _where_one_is(index: MissionIndex, viewer: Viewer, named: set[int], now: datetime) -> set[str]:
    """The words of the place one is at now: that of the session under way, or where the
    last one was held (for a ride, where it went)."""
    last: Doc | None = None
    last_end = now
    for doc in _sessions(index, viewer, named):
        if doc.starts_at is None or doc.starts_at > now:
            continue
        end = doc.ends_at or doc.starts_at
        if not doc.transport and end >= now:
            last = doc
            break
        if last is None or end >= last_end:
            last, last_end = doc, end
    if last is None:
        return set()
    if last.transport:
        return set(last.destination)
    return {
        w
        for doc in index.docs
        if doc.kind == AnswerKind.VENUE and doc.ref_id == last.venue_id
        for w in doc.primary
    }


def score_documents(
    index: MissionIndex, parsed: Parsed, viewer: Viewer, named: set[int], now: datetime
) -> list[tuple[float, Doc]]:
    content = _rejoined(index, parsed.content)
    if not content:
        return []
    # For each question word, what it is worth in each document it matches (most documents
    # match one word: a per-document table would be built for hundreds of them in vain), and
    # what each vocabulary word it matches is worth.
    word_docs: dict[str, dict[int, float]] = {}
    word_hits: dict[str, dict[str, float]] = {}
    hit_primary: dict[int, set[str]] = defaultdict(set)
    # Every vocabulary word some question word matched.
    matched_vocabulary: set[str] = set()
    query_weight = 0.0
    # In a long question, a word the mission does not know is more often phrasing ("se
    # tient", "consacré", "involves") than the subject.
    unknown_weight = LONG_UNKNOWN_WEIGHT if len(set(content)) >= LONG_PHRASING else 1.0
    for word in dict.fromkeys(content):
        best_for_doc: dict[int, float] = {}
        hits: dict[str, float] = {}
        best_idf = 0.0
        # A word the mission uses is worth what it is worth: a rarer synonym or look-alike
        # must not count for more than the word itself ("reception" is not "cocktail").
        ceiling = index.idf.get(word, math.inf)
        for expansion, factor in _expansions(word):
            for vocab_word, similarity in _matches(index, expansion, factor == 1.0):
                idf = min(index.idf[vocab_word], ceiling)
                strength = idf * similarity * factor
                # What the word can be worth at best: a look-alike counts as much as it is alike.
                best_idf = max(best_idf, strength)
                if strength > hits.get(vocab_word, 0.0):
                    hits[vocab_word] = strength
                matched_vocabulary.add(vocab_word)
                postings = index.postings[vocab_word]
                if not best_for_doc:
                    # The first (most often the only) word matched: no maximum to keep,
                    # and a common word walks thousands of postings.
                    best_for_doc = {d: v for d, w in postings if (v := strength * w) > 0.0}
                else:
                    so_far = best_for_doc.get
                    for doc_index, weight in postings:
                        value = strength * weight
                        if value > so_far(doc_index, 0.0):
                            best_for_doc[doc_index] = value
                # Both titles (French, English) matching is worth more than one, but
                # several synonyms of one word are that word once.
                primary_word = vocab_word if factor == 1.0 else word
                for doc_index in index.in_primary.get(vocab_word, ()):
                    hit_primary[doc_index].add(primary_word)
        aside = word in parsed.aside
        # The question itself says what it is about more than the story told before it.
        share = ASIDE_WEIGHT if aside else 1.0
        word_hits[word] = {w: v * share for w, v in hits.items()}
        parsed.hits[word] = hits
        query_weight += (
            best_idf * share
            if best_idf
            else index.max_idf * (UNKNOWN_ASIDE_WEIGHT if aside else unknown_weight)
        )
        if (
            not best_for_doc
            and not aside
            and (len(word) >= 4 or (len(word) == 3 and word.isalpha()))
        ):
            # "gym", "spa", "pub": short, but as much the subject as longer words.
            parsed.unmatched.append(word)
        elif (
            best_for_doc
            and word not in index.postings
            and not _expansions(word)[1:]
            and not index.roots.get(_root(word))
        ):
            # Only a look-alike of it is known ("halal" like "hall"): a typo, or a subject
            # the mission does not know.
            parsed.lookalikes.append(word)
        if best_for_doc:
            word_docs[word] = (
                best_for_doc if share == 1.0 else {d: v * share for d, v in best_for_doc.items()}
            )
    # (What the viewer may not see never takes the place of what they may.)
    totals = _candidates(_totals(index, word_docs, word_hits, query_weight, viewer, named))
    per_doc = {d: _doc_values(word_docs, d) for d in totals}
    scored = []
    zone = index.timezone
    raw = set(parsed.words)
    about_place = bool(raw & PLACE_WORDS)
    asks_when = bool(raw & ASKS_WHEN)
    asks_how = bool(raw & HOW_WORDS) and not asks_when
    mishap = bool(raw & MISHAP)
    about_transport = _about_transport(parsed)
    sentence = " ".join(parsed.words)
    route = _route(parsed.words)
    origin, destination = route.origin, route.destination
    told = {w for w in destination & parsed.aside if w in index.place_words}
    if told and destination - parsed.aside and not parsed.told_after and about_transport:
        # "J'ai ma valise, à Saint-Exupéry. Quelqu'un nous attend pour aller à l'hôtel?":
        # the place in the story told is where one is; the question says where to.
        origin, destination = origin | told, destination - told
    arrival = _with_places(route.arrival, index.place_words)
    # The ends of the rides that bring the group where it says it arrives: the ride that
    # meets it there leaves soon after one of them ends.
    arriving = (
        [
            d.ends_at
            for d in index.docs
            if d.transport and d.ends_at is not None and d.destination & arrival
        ]
        if arrival
        else []
    )
    if FROM_HERE.search(sentence):
        origin |= _where_one_is(index, viewer, named, now)
    origin = _with_places(origin, index.place_words)
    destination = _with_places(destination, index.place_words)
    # "From Marcy to Gerland": a trip, whatever the verb; "after the visit, how do we get to
    # Gerland", "après Marcy, on va comment à Gerland": going somewhere after an event, a
    # trip too (going somewhere alone may be any way there: "combien de temps pour aller à
    # l'aéroport").
    about_transport = about_transport or bool(origin and destination)
    about_transport = about_transport or bool(
        destination and raw & MOVE_WORDS and raw & AFTER_WORDS
    )
    # "The reception at City Hall": an event named with its place is about the event.
    event_venues = {
        index.docs[d].venue_id
        for d, hit in hit_primary.items()
        if index.docs[d].kind == AnswerKind.SESSION
        and hit - index.venue_vocabulary
        and _visible(index.docs[d], viewer, named)
    }
    told_after = parsed.told_after
    asked = {w for w in content if w not in parsed.aside}
    means = asked & OTHER_MEANS
    # "What's the hotel address? for the taxi driver": where a place is, with a place of
    # the mission named in the question itself, is that place, not an FAQ answer that
    # speaks of it in passing.
    place_named = about_place and any(
        not index.venue_docs.isdisjoint(word_docs[w]) for w in asked if w in word_docs
    )
    named_aside = {
        d: bool(hit)
        and not any(w in hit or any(v in hit for v in word_hits.get(w, ())) for w in asked)
        for d, hit in (hit_primary.items() if told_after else ())
    }
    named_aside = defaultdict(bool, named_aside)
    left_out = _named_by(index, parsed.excluded)
    for doc_index, total in totals.items():
        doc = index.docs[doc_index]
        parsed.matched[id(doc)] = frozenset(per_doc[doc_index])
        coverage = total / query_weight if query_weight else 0.0
        # What goes wrong must be about this document for it to say what to do then:
        # "manquer la rencontre de 7 h 30" is not missing the airport shuttle.
        mishap_here = mishap and bool(per_doc[doc_index].keys() - MISHAP)
        precision = len(hit_primary.get(doc_index, ())) / max(1, min(len(doc.primary), 4))
        value = 0.75 * coverage + 0.25 * min(1.0, precision)
        if doc_index in left_out:
            value *= LEFT_OUT  # "not the shuttle, the reception itself"
        if told_after and named_aside[doc_index]:
            # "The address of our hotel? I need it for the taxi driver": named only in what
            # is said after the question, what it is for, not in the question itself.
            value *= ASIDE_NAMED
        if (
            doc.key_words
            and doc.key_words <= matched_vocabulary
            and doc.key_words <= doc.weights.keys()
        ):
            value += 0.12  # the organiser's own name for it, all there
        if doc.kind == AnswerKind.FAQ:
            similarity = max(
                fuzz.token_sort_ratio(sentence, q) for q in index.faq_questions.get(doc_index, [""])
            )
            if similarity >= 60:
                value += (similarity - 60) / 150
            if doc.contingency and mishap_here:
                # "If I miss the shuttle on Thursday", "my flight is late, what about my
                # badge": what to do when a plan fails, whatever day it is, is the FAQ's.
                value *= 1.15
            elif parsed.day is not None or parsed.hour is not None:
                value *= 0.85  # FAQ answers do not depend on the day
            if place_named:
                value *= 0.85
            if asks_how:
                value *= 1.1  # "how do I book…": a procedure, which the FAQ explains
            if asks_when and not doc.asks_when:
                value *= 0.85  # "when are my B2B meetings": the sessions, not how they work
        if (
            doc.kind == AnswerKind.SESSION
            and doc.transport
            and (about_transport or (destination and asks_when))
        ):
            # "to the forum", "from City Hall": which end of the trip each place is.
            if destination & doc.destination:
                value *= 1.25
            elif destination & doc.origin:
                value *= 0.85
            meets = doc.starts_at is not None and any(
                end <= doc.starts_at <= end + MEETING_RIDE for end in arriving
            )
            # Arriving in the city says nothing of which ride; arriving at a place of the
            # mission's does.
            known = {w for w in origin & doc.origin if w not in arrival or w.startswith("@")}
            if meets or known:
                value *= 1.25
            elif origin & doc.destination:
                value *= 0.85
        if (
            doc.kind == AnswerKind.SESSION
            and doc.transport
            and means
            and not means & doc.weights.keys()
        ):
            # "Which tram do I take to the congress centre": the delegation's shuttle is not
            # a tram (the one back from City Hall speaks of the metro).
            value *= OTHER_MEANS_RIDE
        if doc.kind == AnswerKind.SESSION and mishap:
            # "If I miss the badge pick-up": not the session itself, unless it says what
            # to do then.
            value *= 1.1 if doc.contingency and mishap_here else 0.9
        if doc.kind == AnswerKind.SESSION:
            if about_transport:
                value *= 1.15 if doc.transport else 0.9
                if doc.transport and doc.ends_at is not None and doc.ends_at <= now:
                    value *= GONE_RIDE  # a ride that has left is rarely the one asked for
            elif doc.transport:
                value *= 0.85
            if about_place:
                value *= 0.85
        elif doc.kind == AnswerKind.VENUE and about_place:
            value *= 1.3
        elif doc.kind == AnswerKind.VENUE and about_transport:
            value *= 0.85  # "back from City Hall": the ride, not the place
        elif doc.kind == AnswerKind.VENUE and doc.ref_id in event_venues:
            value *= 0.85
        if doc.kind == AnswerKind.SESSION and doc.starts_at is not None:
            starts = _starts(doc, zone)
            if parsed.day is not None:
                # A day the question names is rarely a mistake: another day's session is
                # the answer only when nothing that day fits at all.
                on_day = any(local.date() == parsed.day for local in starts)
                value *= 1.15 if on_day else DAY_MISMATCH
            times = _times(doc, zone)
            if parsed.part_of_day is not None:
                low, high = parsed.part_of_day
                value *= 1.1 if any(low <= local.hour < high for local in times) else PART_MISMATCH
            if parsed.hour is not None:
                near = any(abs(local.hour - parsed.hour) <= 1 for local in times)
                value *= 1.15 if near else 0.85
            if (
                parsed.clock is not None
                and parsed.clock.minute
                and any(_same_minutes(local, parsed.clock) for local in starts)
            ):
                value *= EXACT_TIME  # "la navette de 8h35": its very time names it
                if parsed.day is not None and any(
                    local.date() == parsed.day and _same_minutes(local, parsed.clock)
                    for local in starts
                ):
                    # "La rencontre de 7 h 30 mardi": a day and a time to the minute name
                    # one session, however the question calls it.
                    value += NAMED_BY_TIME
            if parsed.wants_when:
                value *= 1.05
        elif doc.kind == AnswerKind.VENUE:
            if parsed.wants_where and not parsed.wants_when:
                value *= 1.1
            # ("What's the convention centre address?": "what" asks what, not when.)
            asked_here = place_named and per_doc[doc_index].keys() & asked
            if (parsed.wants_when and not asked_here) or parsed.day is not None:
                value *= 0.85
        scored.append((value, doc))
    scored = _within_named_time(scored, parsed, zone)
    after = raw & AFTER_WORDS - parsed.aside
    if after and about_transport:
        scored = _after_named_event(scored, destination)
    elif after:
        scored = _follows_named_event(scored, per_doc, index, parsed.words)
    scored.sort(key=lambda pair: -pair[0])
    scored = _prefer_covering_faq(scored, per_doc, index)
    if mishap:
        scored = _prefer_contingency_faq(scored, per_doc, index)
    return _prefer_upcoming(scored, now, parsed)


CANDIDATES = 100
LEFT_OUT = 0.4


def _named_by(index: MissionIndex, words: frozenset[str]) -> set[int]:
    """The documents whose title (name, FAQ question) has one of these words, or a close
    look-alike of it."""
    named: set[int] = set()
    for word in words:
        for vocab_word, similarity in _matches(index, word):
            if similarity >= 0.8:
                named.update(index.in_primary.get(vocab_word, ()))
    return named


def _doc_values(word_docs: dict[str, dict[int, float]], doc_index: int) -> dict[str, float]:
    """What each question word that matches a document is worth there, in question order."""
    return {w: found[doc_index] for w, found in word_docs.items() if doc_index in found}


def _totals(
    index: MissionIndex,
    word_docs: dict[str, dict[int, float]],
    word_hits: dict[str, dict[str, float]],
    query_weight: float,
    viewer: Viewer,
    named: set[int],
) -> dict[int, float]:
    """What each document the viewer may see is worth (see _with_passages), for those that
    can be among the CANDIDATES best. A passage adds to a document at most what its best
    look-alike of each word is worth, so a document whose words alone, so raised, stay below
    the CANDIDATES-th best plain sum cannot be among the best: in a mission of thousands of
    sessions, most are left without reading their passages."""
    docs = index.docs
    found = list(word_docs.values())
    # The plain sum for each document, in the order documents first appear, and those that
    # more than one word matches (the only ones a passage can raise).
    plain: dict[int, float] = dict(found[0]) if found else {}
    several: set[int] = set()
    if len(found) > 1:
        seen = set(plain)
        for more in found[1:]:
            several |= seen & more.keys()
            seen |= more.keys()
            get = plain.get
            for d, v in more.items():
                plain[d] = get(d, 0.0) + v
    for d in index.restricted & plain.keys():
        if not _visible(docs[d], viewer, named):
            del plain[d]
    cutoff = 0.0
    if len(plain) > CANDIDATES:
        cutoff = heapq.nlargest(CANDIDATES, plain.values())[-1]
    if not several:
        return {d: v for d, v in plain.items() if v >= cutoff}
    raised = {w: PASSAGE_WEIGHT * max(h.values(), default=0.0) for w, h in word_hits.items()}
    totals = {}
    for d, v in plain.items():
        if d not in several:
            if v >= cutoff:
                totals[d] = v
            continue
        values = _doc_values(word_docs, d)
        if sum(max(x, raised[w]) for w, x in values.items()) >= cutoff:
            totals[d] = _with_passages(docs[d], values, word_hits, query_weight)
    return totals


def _candidates(totals: dict[int, float]) -> dict[int, float]:
    """The documents worth weighing: in a large mission (thousands of sessions), those the
    words match best, as a search engine ranks before it reorders. Every document tied with
    the last one kept stays, so which of them comes first is still decided by time; a
    mission of a few dozen sessions keeps them all."""
    if len(totals) <= CANDIDATES:
        return totals
    cutoff = heapq.nlargest(CANDIDATES, totals.values())[-1]
    return {d: total for d, total in totals.items() if total >= cutoff}


def _follows_named_event(
    scored: list[tuple[float, Doc]],
    per_doc: dict[int, dict[str, float]],
    index: MissionIndex,
    words: list[str],
) -> list[tuple[float, Doc]]:
    """ "The drinks after the opening talks", "le repas après la table ronde": what the
    words before "after" name, among the sessions that follow the one named after it."""
    at = next(i for i, w in enumerate(words) if w in AFTER_WORDS)
    before, after = set(words[:at]), set(words[at + 1 :])
    positions = index.positions

    def matched(doc: Doc) -> set[str]:
        return set(per_doc[positions[id(doc)]])

    named = [
        (v, d)
        for v, d in scored
        if d.kind == AnswerKind.SESSION
        and d.ends_at is not None
        and matched(d) & after
        and not matched(d) & before
    ]
    if not named:
        return scored
    top, event = max(named, key=lambda pair: pair[0])
    end = event.ends_at
    assert end is not None
    following = [
        d
        for v, d in scored
        if d.kind == AnswerKind.SESSION
        and d is not event
        and d.starts_at is not None
        and end - timedelta(minutes=15) <= d.starts_at <= end + timedelta(hours=2)
        and matched(d) & before
    ]
    if len(following) != 1:
        return scored
    out = []
    for v, d in scored:
        if d is following[0]:
            v = max(v, top) * RIDE_AFTER
        elif d is event:
            v *= AFTER_EVENT  # the event is when, not what
        out.append((v, d))
    return out


COVERING_FAQ = 0.8


def _prefer_covering_faq(
    scored: list[tuple[float, Doc]], per_doc: dict[int, dict[str, float]], index: MissionIndex
) -> list[tuple[float, Doc]]:
    """ "Black tie for the gala dinner?", "une cravate à la réception?": a general practice
    asked about one event. An FAQ entry whose answer speaks of that event and that holds
    every word the session matched, and more, is what the question asks."""
    if len(scored) < 2 or scored[0][1].kind != AnswerKind.SESSION:
        return scored
    top, session = scored[0]
    positions = index.positions
    session_words = per_doc[positions[id(session)]].keys()
    for value, doc in scored[1:]:
        if value < COVERING_FAQ * top:
            break
        if doc.kind != AnswerKind.FAQ:
            continue
        faq_words = per_doc[positions[id(doc)]].keys()
        if session_words < faq_words:
            rest = [(v, d) for v, d in scored if d is not doc]
            return [(top, doc), *rest]
    return scored


CONTINGENCY_FAQ = 0.75


def _prefer_contingency_faq(
    scored: list[tuple[float, Doc]], per_doc: dict[int, dict[str, float]], index: MissionIndex
) -> list[tuple[float, Doc]]:
    """ "My flight is late, I'll miss the badge pick-up: what happens to my badge?": a plan
    failing for a session, asked what to do. An FAQ entry that says what to do when plans
    fail ("if you arrive late…") and holds what the session matched, but for at most one
    word of its name, is the answer; the session only says when it would have been."""
    positions = index.positions
    session_at = next((i for i, (_, d) in enumerate(scored) if d.kind == AnswerKind.SESSION), None)
    if session_at is None or session_at > 1 or scored[session_at][1].contingency:
        return scored
    top = scored[0][0]
    value_of_session, session = scored[session_at]
    session_words = per_doc[positions[id(session)]].keys()
    if session_words & MISHAP:
        return scored
    for value, doc in scored[:4]:
        if value < CONTINGENCY_FAQ * top:
            break
        if doc.kind != AnswerKind.FAQ or not doc.contingency:
            continue
        faq_words = per_doc[positions[id(doc)]].keys()
        if faq_words - MISHAP and len(session_words - faq_words) <= 1:
            rest = [(v, d) for v, d in scored if d is not doc and d is not session]
            return sorted(
                [(top, doc), (value_of_session * AFTER_EVENT, session), *rest],
                key=lambda pair: -pair[0],
            )
    return scored


RIDE_AFTER = 1.25
AFTER_EVENT = 0.6


def _after_named_event(
    scored: list[tuple[float, Doc]], destination: set[str]
) -> list[tuple[float, Doc]]:
    """ "The bus back after the reception", "after the factory tour, where to": the rides
    that leave as the best-matching event (not a ride itself) ends are the ones meant."""
    events = [
        (v, d)
        for v, d in scored
        if d.kind == AnswerKind.SESSION and not d.transport and d.ends_at is not None and v > 0
    ]
    # "After bioMérieux, how do we get to Gerland": the visit at Gerland is where the ride
    # goes, not the event it follows.
    events = [(v, d) for v, d in events if not d.primary & destination] or events
    if not events:
        return scored
    top, event = max(events, key=lambda pair: pair[0])
    if sum(1 for v, _ in events if v >= 0.9 * top) != 1:
        return scored  # no one event stands out
    end = event.ends_at
    assert end is not None
    rides = sorted(
        (
            d
            for _, d in scored
            if d.transport
            and d.starts_at is not None
            and end - timedelta(minutes=30) <= d.starts_at <= end + timedelta(hours=3)
        ),
        key=lambda d: d.starts_at or end,
    )
    if not rides:
        return scored
    # The first ride after it, unless a later one goes where the question says.
    first = next((d for d in rides if destination & d.destination), rides[0])
    # "Après bioMérieux": the event named by its place; the place is when, too.
    held = [(v, d) for v, d in scored if d.kind == AnswerKind.VENUE and d.ref_id == event.venue_id]
    top = max([top] + [v for v, _ in held])
    out = []
    for v, d in scored:
        if d is first:
            v = max(v, top) * RIDE_AFTER
        elif d is event or any(d is h for _, h in held):
            v *= AFTER_EVENT  # the event is when, not what
        elif (
            d.transport
            and d.ends_at is not None
            and event.starts_at is not None
            and d.ends_at <= event.starts_at
        ):
            v *= AFTER_EVENT  # the ride there was before it, not after
        out.append((v, d))
    return out


def _starts(doc: Doc, zone: str) -> tuple[datetime, ...]:
    """When a session starts, in the mission's zone and in the zone it was written in."""
    assert doc.starts_at is not None
    if doc.starts:
        return doc.starts
    local = doc.local_start or _local(doc.starts_at, zone)
    return (local, doc.own_start) if doc.own_start is not None else (local,)


def _times(doc: Doc, zone: str) -> tuple[datetime, ...]:
    """When a session starts (see _starts), and for a ride when it arrives too: a ride is
    asked about by its arrival as much as by its departure ("on atterrit à midi et quart?")."""
    if doc.times:
        return doc.times
    starts = _starts(doc, zone)
    if doc.transport and doc.ends_at is not None:
        return (*starts, _local(doc.ends_at, zone))
    return starts


def _in_window(doc: Doc, day: date, part: tuple[int, int], zone: str) -> bool:
    if doc.starts_at is None:
        return False
    return any(
        local.date() == day and part[0] <= local.hour < part[1] for local in _times(doc, zone)
    )


def _within_named_time(
    scored: list[tuple[float, Doc]], parsed: Parsed, zone: str
) -> list[tuple[float, Doc]]:
    """ "Wednesday noon", "demain matin": a day and a part of it are what the question is
    about; when a session then fits the question at all, the sessions at other times are
    not answers (the places and FAQ entries stay)."""
    day, part = parsed.day, parsed.part_of_day
    if day is None or part is None:
        return scored
    if not any(
        d.kind == AnswerKind.SESSION and v > 0 and _in_window(d, day, part, zone) for v, d in scored
    ):
        return scored
    return [
        (v, d) for v, d in scored if d.kind != AnswerKind.SESSION or _in_window(d, day, part, zone)
    ]


def _prefer_upcoming(
    scored: list[tuple[float, Doc]], now: datetime, parsed: Parsed
) -> list[tuple[float, Doc]]:
    """Sessions that tie (the same shuttle every day): the next one, unless a day was named."""
    if len(scored) < 2 or scored[0][1].kind != AnswerKind.SESSION:
        return scored
    best = scored[0][0]
    tied = [(v, d) for v, d in scored if d.kind == AnswerKind.SESSION and best - v < 0.02]
    if len(tied) < 2 or parsed.day is not None:
        return scored
    upcoming = [
        (v, d)
        for v, d in tied
        if d.starts_at is not None and d.ends_at is not None and d.ends_at > now
    ]
    if not upcoming:
        return scored
    chosen = min(upcoming, key=lambda pair: pair[1].starts_at or now)
    rest = [pair for pair in scored if pair[1] is not chosen[1]]
    return [(best + 0.001, chosen[1]), *rest]


CONFIDENT = 0.48
PLAUSIBLE = 0.34
# A little below CONFIDENT is enough when nothing else comes close.
CLEAR_WINNER = 0.44
# A longer question spreads its weight over more words, context among them: a little less.
LONG_CLEAR_WINNER = 0.38
LONG_QUESTION = 3
LONG_CLEAR_MARGIN = 1.5
# Longer still (a story, then the question), every word known: its weight is spread
# thinner yet.
VERY_LONG_QUESTION = 5
VERY_LONG_CLEAR_WINNER = 0.30
CLEAR_MARGIN = 1.6
# When every word of the question is one the mission knows, what it asks about is there:
# a candidate twice as good as any other is the answer even if it matched only weakly
# (a word of its description, "check out before 7:20"). A word the mission does not know
# is often the very subject ("a gym at the hotel"), so then the usual bar holds.
KNOWN_WINNER = 0.25
KNOWN_MARGIN = 2.0
# Three words or more, all known, that point at one document far more than at any other
# ("la photo officielle de la délégation", only in the closing plenary's description).
LONG_KNOWN_MARGIN = 1.8
# Plausible, and three times as good as anything else: the only candidate there is.
ALONE_MARGIN = 3.0
# Of sessions the words fit about as well, the one under way or about to start.
NOW_MARGIN = 1.1


def _confident(
    best: tuple[float, Doc], scored: list[tuple[float, Doc]], parsed: Parsed, now: datetime
) -> bool:
    if best[0] >= CONFIDENT:
        return True
    if parsed.day is None and best[1].ends_at is not None and best[1].ends_at > now:
        # No day named and the best is still to come: sessions over already do not compete
        # ("our flight" on the last day is the flight home, not the one out).
        scored = [(v, d) for v, d in scored if d.ends_at is None or d.ends_at > now]
    # The place a session is held does not compete with it ("the reception at City Hall"),
    # nor, with an FAQ entry, what only matched words it matched too, and fewer: its answer
    # speaks of places and sessions in passing ("tenue de soirée exigée à l'Hôtel de Ville?":
    # the dress code speaks of City Hall). Only when every word is known: an unknown one may
    # be the subject nothing holds.
    covered = (
        parsed.matched.get(id(best[1]), frozenset())
        if best[1].kind == AnswerKind.FAQ and not parsed.unmatched
        else frozenset()
    )
    runner_up = next(
        (
            v
            for v, d in scored
            if d is not best[1]
            and not (
                best[1].kind == AnswerKind.SESSION
                and d.kind == AnswerKind.VENUE
                # (nor, for a ride, where it goes: "are the rooms ready once we get to the
                # hotel" is the ride there, which the hotel does not compete with)
                and (d.ref_id == best[1].venue_id or f"@{d.key}" in best[1].destination)
            )
            and not parsed.matched.get(id(d), covered) < covered
        ),
        0.0,
    )
    words = len(set(parsed.content))
    long = words >= LONG_QUESTION
    bar, margin = (LONG_CLEAR_WINNER, LONG_CLEAR_MARGIN) if long else (CLEAR_WINNER, CLEAR_MARGIN)
    if words >= VERY_LONG_QUESTION and not parsed.unmatched:
        bar = VERY_LONG_CLEAR_WINNER
    if best[0] >= bar and best[0] >= margin * runner_up:
        return True
    if best[0] >= PLAUSIBLE and best[0] >= ALONE_MARGIN * runner_up:
        return True
    if (
        parsed.day is None
        and best[1].kind == AnswerKind.SESSION
        and best[1].starts_at is not None
        and best[1].starts_at - GATHERING_SOON <= now <= (best[1].ends_at or best[1].starts_at)
        and best[0] >= PLAUSIBLE
        and best[0] >= NOW_MARGIN * runner_up
    ):
        # "I'm heading over to the mixer now", "le déjeuner d'info, quelle salle?" at 7 h:
        # the session under way or about to start is the likelier one of those named.
        return True
    start = best[1].local_start
    if (
        parsed.day is not None
        and parsed.part_of_day is not None
        and best[1].kind == AnswerKind.SESSION
        and start is not None
        and start.date() == parsed.day
        and parsed.part_of_day[0] <= start.hour < parsed.part_of_day[1]
        and best[0] >= PLAUSIBLE
        and best[0] >= NOW_MARGIN * runner_up
    ):
        # "Jusqu'à quelle heure on retire les badges cet après-midi?": the session held in
        # the part of the day named is likelier than the general entry about the same thing.
        return True
    known_margin = LONG_KNOWN_MARGIN if long else KNOWN_MARGIN
    return not parsed.unmatched and best[0] >= KNOWN_WINNER and best[0] >= known_margin * runner_up


def _at_time(
    index: MissionIndex, viewer: Viewer, named: set[int], day: date, wall: time
) -> Doc | None:
    """The session going on at (or starting nearest after) a time of a day."""
    zone = ZoneInfo(index.timezone)
    moment = datetime.combine(day, wall, zone).astimezone(UTC)
    candidates = [
        d
        for d in _sessions(index, viewer, named)
        if d.starts_at is not None and d.starts_at.astimezone(zone).date() == day
    ]
    running = [
        d for d in candidates if d.starts_at and d.ends_at and d.starts_at <= moment < d.ends_at
    ]
    if running:
        return max(running, key=lambda d: d.starts_at or moment)
    later = [d for d in candidates if d.starts_at and d.starts_at >= moment]
    return min(later, key=lambda d: d.starts_at or moment) if later else None


def _sessions(index: MissionIndex, viewer: Viewer, named: set[int]) -> list[Doc]:
    """The sessions this delegate may see, by start time."""
    visible = [
        d
        for d in index.docs
        if d.kind == AnswerKind.SESSION and d.starts_at is not None and _visible(d, viewer, named)
    ]
    return sorted(visible, key=lambda d: (d.starts_at, d.ref_id))


def _event_at(
    index: MissionIndex,
    viewer: Viewer,
    named: set[int],
    venue_id: int,
    now: datetime,
    ride: bool = False,
) -> Doc | None:
    """The next event at a venue, or with `ride` the next ride there."""
    mark = next(
        (d.key for d in index.docs if d.kind == AnswerKind.VENUE and d.ref_id == venue_id), ""
    )
    events = [
        d
        for d in _sessions(index, viewer, named)
        if (f"@{mark}" in d.destination if ride else d.venue_id == venue_id and not d.transport)
    ]
    upcoming = [d for d in events if d.ends_at and d.ends_at > now]
    chosen = upcoming or events
    return chosen[0] if chosen else None


IN_GENERAL = _stemmed(
    _words(
        "general generale generalement generally usually usual normally normalement "
        "habituellement habitude typically typiquement ordinairement"
    )
)
IN_GENERAL_SHARE = 0.6


def _prefer_faq_when_generic(
    scored: list[tuple[float, Doc]], parsed: Parsed
) -> tuple[float, Doc] | None:
    """ "Where do the shuttles leave from": many sessions fit alike; an FAQ entry that fits
    nearly as well is the general answer (unless the question asks when, and it does not
    say)."""
    if not scored or scored[0][1].kind != AnswerKind.SESSION:
        return None
    top = scored[0][0]
    faq = next(((v, d) for v, d in scored if d.kind == AnswerKind.FAQ), None)
    if (
        faq is not None
        and set(parsed.words) & IN_GENERAL
        and parsed.day is None
        and faq[0] >= IN_GENERAL_SHARE * top
    ):
        # "In general, where are the pickup spots", "d'habitude, les navettes partent
        # d'où": the practice, not one session of it.
        return (top, faq[1])
    alike = [d for v, d in scored if d.kind == AnswerKind.SESSION and top - v <= 0.05]
    if len(alike) < 3:
        return None
    if faq is not None and set(parsed.words) & ASKS_WHEN and not faq[1].asks_when:
        return None
    if faq is not None and faq[0] >= 0.75 * top:
        return (top, faq[1])
    return None


ROOM_WORDS = {"room", "salle"}
ROOM_SHARE = 0.3


def _prefer_session_with_room(
    scored: list[tuple[float, Doc]], parsed: Parsed
) -> tuple[float, Doc] | None:
    """ "Which room do we pick up our badges in?", "dans quelle salle…": a room is where a
    session is held; an FAQ entry about the same thing has none to give."""
    if not scored or scored[0][1].kind != AnswerKind.FAQ or not set(parsed.words) & ROOM_WORDS:
        return None
    top = scored[0][0]
    session = next(((v, d) for v, d in scored if d.kind == AnswerKind.SESSION), None)
    if (
        session is not None
        and session[1].has_room
        and session[0] >= PLAUSIBLE * 0.9
        and session[0] >= ROOM_SHARE * top
    ):
        return (top, session[1])
    return None


# Words that name an event, not a ride: what it is ("la soirée", "the party", "the event")
# or what it does (it starts, where a ride leaves).
EVENT_NOUNS = _stemmed(
    _words(
        "soiree soirees evenement evenements event events party fete celebration gathering "
        "commence commencent start starts starting begin begins debute debutent "
        # An event said vaguely, or said to end: "the city hall thing, when does it end".
        "thing things truc affaire end ends finish finishes finit termine"
    )
)


def _names_event(parsed: Parsed) -> bool:
    # (a stop on the way is about the ride: "do we stop at the hotel before the city hall
    # thing?")
    words = set(parsed.words) - parsed.aside
    return bool(words & EVENT_NOUNS) and not _about_transport(parsed) and not words & REPASS_WORDS


def _event_after_ride(
    index: MissionIndex, viewer: Viewer, named: set[int], ride: Doc
) -> Doc | None:
    """The event held where a ride goes, the first to start once it is there."""
    marks = {m[1:] for m in ride.destination if m.startswith("@")}
    venues = {d.ref_id for d in index.docs if d.kind == AnswerKind.VENUE and d.key in marks}
    if not venues or ride.ends_at is None:
        return None
    return next(
        (
            d
            for d in _sessions(index, viewer, named)
            if not d.transport
            and d.venue_id in venues
            and d.starts_at is not None
            and ride.ends_at <= d.starts_at <= ride.ends_at + timedelta(hours=3)
        ),
        None,
    )


def _ride_after(
    index: MissionIndex, viewer: Viewer, named: set[int], event: Doc, parsed: Parsed
) -> Doc | None:
    words = set(parsed.words)
    if not (words & AFTER_WORDS) or not (words & TRANSPORT_WORDS) or event.ends_at is None:
        return None
    _origin, destination = _direction(parsed.words)
    destination = _with_places(destination, index.place_words)
    rides = [
        d
        for d in _sessions(index, viewer, named)
        if d.transport
        and d.starts_at is not None
        and event.ends_at - timedelta(minutes=30)
        <= d.starts_at
        <= event.ends_at + timedelta(hours=3)
    ]
    going = [d for d in rides if destination & d.destination] or rides
    return going[0] if going else None


def _ride_to(
    index: MissionIndex, viewer: Viewer, named: set[int], event: Doc, parsed: Parsed
) -> Doc | None:
    """ "When do we leave for the visit": the ride that takes the group to that event, if
    one arrives there shortly before it starts."""
    # (Not the ride one is on as one asks: "on the shuttle, the panel is in which room?")
    words = set(parsed.words) - parsed.aside
    # A word of the event's own name ("badge pick-up") is not a ride.
    if words & AFTER_WORDS or not (words & TRANSPORT_WORDS) - event.primary:
        return None
    if event.starts_at is None:
        return None
    mark = next(
        (
            f"@{d.key}"
            for d in index.docs
            if d.kind == AnswerKind.VENUE and d.ref_id == event.venue_id
        ),
        None,
    )
    if mark is None:
        return None
    rides = [
        d
        for d in _sessions(index, viewer, named)
        if d.transport
        and mark in d.destination
        and d.starts_at is not None
        and event.starts_at - timedelta(hours=3) <= d.starts_at < event.starts_at
    ]
    return rides[-1] if rides else None


def _ride_to_named_place(
    index: MissionIndex,
    viewer: Viewer,
    named: set[int],
    parsed: Parsed,
    now: datetime,
    scored: list[tuple[float, Doc]],
) -> Doc | None:
    """ "How long is the drive to bioMérieux": a ride question that names where it goes is
    about the next ride there, however weakly the words matched."""
    if not set(parsed.words) & TRANSPORT_WORDS:
        return None
    _origin, destination = _direction(parsed.words)
    marks = {w for w in _with_places(destination, index.place_words) if w.startswith("@")}
    if not marks:
        return None
    rides = [d for d in _sessions(index, viewer, named) if d.transport and marks & d.destination]
    if parsed.day is not None:
        rides = [
            d for d in rides if any(s.date() == parsed.day for s in _starts(d, index.timezone))
        ]
    # The rest of the question still says which ("back to the hotel after the closing").
    worth = {d.key: v for v, d in scored}
    best = max((worth.get(d.key, 0.0) for d in rides), default=0.0)
    if best > 0:
        rides = [d for d in rides if worth.get(d.key, 0.0) >= best - 0.02]
    upcoming = [d for d in rides if d.ends_at is not None and d.ends_at > now]
    chosen = upcoming or rides
    return chosen[0] if chosen else None


MEAL_WORDS = _stemmed(
    _words("lunch dinner breakfast supper dejeuner diner souper repas meal buffet brunch")
)


# Being hungry, eating: no meal named, no day.
EATING = AMBIGUOUS_MEALS | _stemmed(
    _words("faim hungry starving affame affamee manger mange eat eating bouffer grignoter")
)
NEXT_MEAL_SHARE = 0.25


def _next_meal(scored: list[tuple[float, Doc]], parsed: Parsed, now: datetime) -> Doc | None:
    """ "J'ai faim, on mange où?", "where do we eat": with no day or time said, the meal
    under way or the next one, of the sessions that speak of eating at all."""
    asked = {w for w in parsed.content if w not in parsed.aside}
    if (
        not scored
        or not asked
        or not asked <= EATING
        or parsed.day is not None
        or parsed.part_of_day is not None
        or parsed.clock is not None
        or parsed.hour is not None
    ):
        return None
    best = scored[0][0]
    meals = [
        d
        for v, d in scored
        if d.kind == AnswerKind.SESSION
        and v >= NEXT_MEAL_SHARE * best
        and d.starts_at is not None
        and d.ends_at is not None
        and d.ends_at > now
        and parsed.matched.get(id(d), frozenset()) & asked
    ]
    return min(meals, key=lambda d: d.starts_at or now) if meals else None


def _meal_of_day(scored: list[tuple[float, Doc]], parsed: Parsed, zone: str) -> Doc | None:
    """ "Is lunch today included?", "le souper de demain": a meal of a named day is the one
    session at that time of that day that speaks of it, if there is one, however little
    else of the question it holds (a visit with a lunch briefing)."""
    day, part = parsed.day, parsed.part_of_day
    meals = set(parsed.content) & MEAL_WORDS
    if day is None or part is None or not meals or parsed.unmatched or parsed.lookalikes:
        return None  # (a word the mission does not know may be what is asked: "halal")
    serving = [
        d
        for v, d in scored
        if d.kind == AnswerKind.SESSION
        and v > 0
        and _in_window(d, day, part, zone)
        and parsed.matched.get(id(d), frozenset()) & meals
    ]
    return serving[0] if len(serving) == 1 else None


def _next_after(
    index: MissionIndex,
    viewer: Viewer,
    named: set[int],
    after: datetime,
    part: tuple[int, int] | None,
    day: date | None,
) -> Doc | None:
    zone = ZoneInfo(index.timezone)
    for doc in _sessions(index, viewer, named):
        if doc.starts_at is None or doc.starts_at <= after:
            continue
        assert doc.starts_at is not None
        local = doc.starts_at.astimezone(zone)
        if day is not None and local.date() != day:
            continue
        if part is not None and not part[0] <= local.hour < part[1]:
            continue
        return doc
    return None


# Verbs that ask, whatever about: a sentence with "bring" does not answer "can I bring my
# wife" (it says what else to bring).
ASKING_VERBS = _stemmed(_words("bring apporter amener emmener take prendre need besoin have"))


def _answered_words(doc: Doc, parsed: Parsed) -> int:
    """How many words of the question a document's own sentences hold beyond its name:
    "is there interpretation at the opening" is answered by the plenary's description, while
    "can my spouse come to the gala" only names the gala."""
    return sum(
        1
        for asked, hits in parsed.hits.items()
        if hits
        and asked not in ASKING_VERBS
        and (
            (
                not hits.keys() & doc.primary
                and any(word in passage for passage in doc.passages for word in hits)
            )
            # The word itself in its sentences, whatever its synonyms name: "will I need an
            # umbrella" is answered by the weather entry's "pack an umbrella".
            or (asked not in doc.primary and any(asked in passage for passage in doc.passages))
        )
    )


# "The last morning", "le dernier soir", "la dernière journée" (not "last night", which is
# yesterday's).
LAST_DAY = re.compile(
    r"\b(the|on the|le|la|du|au|ce|cette)\s+(last|final|derni(?:er|ere|e)|dernie)\s+(day|jour|"
    r"journee|morning|matin|evening|soir|soiree|night|nuit|afternoon|apres-midi)\b"
)
LAST_WORDS = {"last", "final", "dernier", "derniere", "dernie"}


def _last_day(
    index: MissionIndex, viewer: Viewer, named: set[int], parsed: Parsed, text: str
) -> None:
    """The mission's last day (with something on at the part of day named) is a day."""
    if parsed.day is not None or parsed.day_problem is not None:
        return
    if not LAST_DAY.search(fold(text)):
        return
    part = parsed.part_of_day
    days = sorted(
        {
            d.local_start.date()
            for d in _sessions(index, viewer, named)
            if d.local_start is not None
            and (part is None or part[0] <= d.local_start.hour < part[1])
        }
    )
    if days:
        parsed.day = days[-1]
        parsed.content = [
            w for w in parsed.content if w not in LAST_WORDS and w not in {"day", "jour", "journee"}
        ]


# A day as a whole: "le programme complet de mardi", "everything planned on the 12th",
# "du matin au soir", "what do we do on Monday". Nouns for a programme in both languages
# (with their usual typos), words for "all of it", and the usual ways to ask what we do.
SCHEDULE_WORDS = _stemmed(
    _words(
        "programme program programe programm progamme prog schedule schedual shedule skedule "
        "agenda horaire horaires oraire planning planned plan plans prevu prevus prevue "
        "itinerary itineraire deroulement deroule rundown lineup overview calendar calendrier menu "
        "ensemble"
    )
)
WHOLE_WORDS = _stemmed(
    _words("full complet complete completement entier entiere whole entire everything tout toute")
)
WHOLE_DAY = re.compile(
    r"\b((du|from|de) (matin|morning|debut|start) (au|a|jusqu'?au?|to|till|until|through) "
    r"(soir|night|evening|fin|end|finish)|(toute|tte) (la|ma|notre) (journee|jour)|"
    r"all day( long)?|(the )?(whole|entire|full) day|(au|en) complet|in full|"
    r"journee (complete|entiere)|day in full|"
    # "De l'atterrissage jusqu'au soir", "from landing till night".
    r"(jusqu'?au|jusqu au|till|until|to) (soir|night|evening))\b"
)
_DAY_NOUN = (
    r"(day|days|monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|today|"
    r"morning|afternoon|evening|schedule|programme|program|agenda|journee|jour|lundi|mardi|"
    r"mercredi|jeudi|vendredi|samedi|dimanche|demain|matin|matinee|apres-midi|soiree|"
    r"programme|horaire)"
)
WHAT_WE_DO = re.compile(
    r"\b(what( do| will| are| shall| did)? (we|i|you|us) (do|doing|have|got|up to)|"
    r"what s (on|planned|happening|up)|what is (on|planned|happening)|"
    r"what (happens|will happen|is going on|s going on|goes on)(?! (with|to|if|when|for|about))|"
    r"(que se passe|qu est ce qui se passe|il se passe quoi)(?! (avec|si|pour|quand))|"
    r"(qu est-ce|qu est ce|quest-ce|kesk|keske) (qu on|qu il y|qui est|qu on a|qu il)|"
    r"on (fait|fera|a) (quoi|koi|quelque chose)|(quoi|koi) faire|"
    r"(c est|c|cest|c koi|c quoi) (quoi|koi)? ?(le|l) (programme|program|horaire|plan)|"
    # "What does the first day look like", "à quoi ressemble la journée de mardi".
    r"what (does|will|do|would) (the |our |my |that )?(\w+ )?"
    + _DAY_NOUN
    + r"( \w+){0,3} look like|(a|a quoi|quoi) (ressemble|ressemblera|va ressembler) "
    r"(la |le |notre |ma )?(\w+ )?" + _DAY_NOUN + ")"
)
# "Monday, the first day", "jeudi, le dernier jour": a day named twice.
ORDINAL_DAY = re.compile(
    r"(?:\b(?:the|le|la|notre|our)\s+|(?:^|[,:;(—–-])\s*)"
    r"(first|1st|premier|premiere|last|final|dernier|derniere|"
    r"dernie)\s+"
    r"(full\s+)?(day|jour|journee)\b"
)
ORDINAL_WORDS = {"first", "1st", "premier", "premiere", "last", "final", "dernier", "derniere"}
ORDINAL_WORDS |= {"dernie", "day", "jour", "journee"}


DAY_NOUNS = {"day", "jour", "journee"}
# A word shared by most of the mission ("Lyon", "délégation") names nothing by itself.
WEAK_WORD = 1.5
# Chat spellings of question words, which fuzzy matching is too short to catch.
CHAT_SPELLINGS = {
    "wat": "what", "wats": "whats", "wot": "what", "wut": "what", "whta": "what",
    "wht": "what", "koi": "quoi", "kwa": "quoi", "qoi": "quoi", "qelle": "quelle",
    "qel": "quel", "kel": "quel", "kelle": "quelle", "heur": "heure", "hre": "heure",
    "wen": "when", "wher": "where", "whr": "where", "nxt": "next", "nex": "next",
    "qd": "quand", "qnd": "quand", "kan": "quand",
}  # fmt: skip
INTENT_VOCABULARY = sorted(
    w for w in WHEN_WORDS | WHERE_WORDS | NEXT_WORDS | SCHEDULE_WORDS if len(w) >= 5
)
INTENT_TYPO = 84
LOOSE_INTENT_TYPO = 75


def _intent_typos(index: MissionIndex, parsed: Parsed) -> None:
    """Question words misspelt ("prochenne", "programe", "wats"): a word the mission does
    not know that is one slip from a word saying what is asked is that word."""
    fixes: dict[str, str] = {}
    content = []
    for word in parsed.content:
        fixed = CHAT_SPELLINGS.get(word)
        if (
            fixed is None
            and len(word) >= 5
            and word not in index.postings
            and not index.roots.get(_root(word))
        ):
            found = process.extractOne(
                word, INTENT_VOCABULARY, scorer=fuzz.ratio, score_cutoff=LOOSE_INTENT_TYPO
            )
            if found and (
                found[1] >= INTENT_TYPO
                or (
                    len(word) >= 7
                    and len(found[0]) == len(word)
                    and found[0][:3] == word[:3]
                    and OSA.distance(word, found[0]) <= 2
                )
            ):
                # A long word that begins like it, as long, may be further off ("prochenne").
                fixed = found[0]
        if fixed is None:
            content.append(word)
            continue
        fixes[word] = fixed
    if not fixes:
        return
    parsed.content = content
    parsed.words = [fixes.get(w, w) for w in parsed.words]
    raw = set(parsed.words)
    parsed.wants_when = parsed.wants_when or bool(raw & WHEN_WORDS) or "heure" in raw
    parsed.wants_where = parsed.wants_where or bool(raw & WHERE_WORDS)
    parsed.wants_next = parsed.wants_next or bool(raw & NEXT_WORDS)
    parsed.wants_agenda = (
        parsed.wants_agenda
        or bool(raw & (AGENDA_WORDS - {"on"}))
        or bool(WHATS_ON.search(" ".join(parsed.words)))
    )


# "La plénière est finie", "I just walked out of the tour", "we're done with the badges":
# the event named is behind us; with "what's next" the question is what follows it.
FINISHED = re.compile(
    r"\b(fini|finie|finis|finies|termine|terminee|termines|terminees|achevee?|over|done|"
    r"ended|finished|wrapped up|walked out|just left|came out|got out|sort(i|ie|is|ons)? d|"
    r"vient de (finir|se terminer|sortir)|viens de (sortir|finir)|est passee?)\b"
)

# Being somewhere now, settled ("we're all checked in at the hotel", "on vient d'arriver à
# l'hôtel", "back at the hotel"): the place is where one is, not where one goes; what
# follows is what comes next.
ARRIVED = re.compile(
    r"\b(checked in|just (arrived|got (in|here))|(we|i) (re|are|am|m) "
    r"(all )?(here|in|back|settled|installed)|(just arrived|landed|settled in|got here|"
    r"are back|re back) (at|in)|(vient|viens|venons|venez) d (arriver|atterrir)|"
    r"(sommes|suis|est) (tous |toutes |bien )?(arrives?|arrivees?|rendus?|rendues?|installes?|"
    r"installees?|enregistres?|de retour)|(on|je|j) (s est|me suis|m suis) install)"
)


# Someone, and being met: "is anyone meeting us", "quelqu'un vient nous chercher".
SOMEONE = {"someone", "somebody", "anyone", "anybody", "quelqu", "qqn", "qqun", "qq1"}
MEETING_US = {"attend", "wait", "meet", "pick", "chercher", "greet", "accueil", "accueille"}


# "What's after the meetup", "ok pis après le cocktail on fait quoi?": nothing asked but
# what follows the event named; asked at or after it, that is what comes next.
WHAT_AFTER = re.compile(
    r"^\W*((ok|okay|so|and|alright|bon|et|pis|puis|ok pis)\W+)*("
    r"(what s|whats|what is|what comes|what happens|what do we do|what are we doing|"
    r"what do we have|what have we got|what s on|whats on|what is on|"
    r"c est quoi|qu est ce qu on fait|qu est ce qui (vient|suit|se passe)|qu y a t il|"
    r"qu est ce qu on a|on a quoi|"
    r"on fait quoi)\s+(right\s+|just\s+|juste\s+)?(after|apres)\s+(?P<a>[a-z0-9 -]{2,40}?)|"
    r"(right\s+|just\s+|juste\s+)?(after|apres)\s+(?P<b>[a-z0-9 -]{2,40}?),?\s+"
    r"(what s next|whats next|what s up|what do we do|what now|on fait quoi|c est quoi|"
    r"qu est ce qu on fait|on va ou|next))\W*$"
)
WHAT_AFTER_GRACE = timedelta(minutes=30)


def _what_after(
    index: MissionIndex, text: str, viewer: Viewer, named: set[int], now: datetime
) -> Doc | bool | None:
    """For "what's after X": True when X is under way or over (what comes next), the
    session following X when X is still to come, None when the question is not that."""
    found = WHAT_AFTER.match(re.sub(r"[\s’'`´-]+", " ", fold(text)).strip())
    if found is None:
        return None
    subject = parse_question(found["a"] or found["b"], viewer, now)
    if not [w for w in subject.content if w not in DAY_WORDS]:
        return None  # "what's after Tuesday": a day, not an event
    scored = score_documents(index, subject, viewer, named, now)
    if not scored or scored[0][1].kind != AnswerKind.SESSION or scored[0][0] < PLAUSIBLE:
        return None
    event = scored[0][1]
    if event.starts_at is None:
        return None
    if event.starts_at <= now + WHAT_AFTER_GRACE:
        return True
    # "Après le dîner" at noon: of the events the words fit about as well, the one on now.
    for value, doc in scored[1:]:
        if value < 0.8 * scored[0][0]:
            break
        if (
            doc.kind == AnswerKind.SESSION
            and doc.starts_at is not None
            and doc.starts_at <= now + WHAT_AFTER_GRACE
            and (doc.ends_at or doc.starts_at) >= now - timedelta(hours=1)
        ):
            return True
    end = event.ends_at or event.starts_at
    return _next_after(index, viewer, named, end - timedelta(minutes=1), None, None)


# "Vous êtes où?", "where are you guys", "where's everyone": where the group is now, which
# is where the session under way (or about to start) is held.
WHERE_ARE_YOU = re.compile(
    r"\b(vous etes ou|ou etes vous|ou vous etes|vous etes rendus ou|ou est le groupe|"
    r"le groupe est ou|ou est tout le monde|tout le monde est ou|ou est la delegation|"
    r"where are you|where r u|where are u|where are y all|where is everyone|"
    r"where s everyone|where is everybody|where s everybody|where is the group|"
    r"where s the group|where are the others|where is the delegation)"
    # Nothing after it but who and how exactly: not "where are you taking us".
    r"( (guys|all|folks|people|exactement|exactly|exactly now|now|right now|maintenant|la))*"
    r"\s*([?!.,;]|$)"
)
GATHERING_SOON = timedelta(hours=1)


def _session_now(index: MissionIndex, viewer: Viewer, named: set[int], now: datetime) -> Doc | None:
    """The session under way, or the one about to start: not a ride, when one fits."""
    found = [
        doc
        for doc in _sessions(index, viewer, named)
        if doc.starts_at is not None
        and doc.starts_at <= now + GATHERING_SOON
        and (doc.ends_at or doc.starts_at) >= now
    ]
    return next((d for d in found if not d.transport), found[0] if found else None)


def _day_scope(parsed: Parsed, text: str) -> tuple[bool, bool]:
    """Whether the question asks for a day's programme (and whether for all of it)."""
    folded = apostrophes_spaced(text)
    raw = set(parsed.words)
    doing = bool(WHAT_WE_DO.search(folded))
    whole = bool(WHOLE_DAY.search(folded)) or bool(
        raw & WHOLE_WORDS and (raw & SCHEDULE_WORDS or doing)
    )
    schedule = raw & SCHEDULE_WORDS
    if parsed.clock is not None or any(w not in parsed.aside for w in parsed.content):
        # Something else is asked: a schedule named in the story around it is not ("whats
        # at 3:45? the schedule on my phone is cut off").
        schedule -= parsed.aside
    asks = whole or bool(schedule) or doing
    return asks, whole


# The moment of arriving, said as a frame around a day's programme ("what does Monday look
# like once we land?", "on fait quoi demain une fois arrivés à Lyon?"): it says from when,
# not what about.
ARRIVAL_FRAME = re.compile(
    r"\b(after|once|when|as soon as|upon|une fois|apres|des|quand|lorsqu|lorsque|sitot|en)"
    r"( (qu|que|we|i|on|nous|je|j|notre|our|l|the))*"
    r"( (ve|have|had|are|re|am|m|will|ll|serons|sera|sommes|suis|est|aurons|avons))?"
    r" (land|landed|landing|arrive|arrived|arriving|arrival|get there|get here|get in|"
    r"touch down|arrives?|arrivees?|arrivant|arrivons|arriverons|atterri|atterris|"
    r"atterrit|atterrissons|atterrissage|atterrissant|rendus?|rendues?)"
    r"( (in|at|to|a|au|en|sur)( (l|la|le|the))? [a-z][a-z-]*)?(?=\W*$|\W*[,;.!?])"
    # Arrived already: "bon on est arrivés, c'est quoi le programme?", "we've just landed".
    r"|\b(on est|on s est|nous sommes|nous voila|on y est|we re|we are|we ve|we have|"
    r"i m|i am|i ve|i have|je suis|just)( (just|enfin|bien|finally|tous|all))*"
    r" (arrives?|arrivees?|landed|arrived|atterris?|rendus?|rendues?|here|la)"
    r"( (in|at|to|a|au|en)( (l|la|le|the))? [a-z][a-z-]*)?(?=\W*$|\W*[,;.!?])"
)


# What comes next, said outright.
THEN_WORDS = {"next", "suite", "ensuite", "prochain", "prochaine", "suivant", "suivante"}


# The whole group, whom a programme is for: no subject of its own.
WHOLE_GROUP = _stemmed(_words("groupe group delegation"))


# The one thing known of a day, set aside to ask for the rest ("anything planned Thursday
# besides flying home?", "dimanche on a quoi, juste le vol?", "what are we doing on Sunday
# before the flight?"): the day's programme is asked.
BESIDES_FRAME = re.compile(
    r"\b(besides|apart from|other than|aside from|except( for)?|a part|en dehors( de| du| des)?|"
    r"en plus( de| du| des)?|autre (chose )?que|sauf|before|avant|"
    r"((is it|is that|c est|c est tu|cest) )?(just|juste|seulement|only))"
    r"( (the|le|la|l|les|de|du|d|notre|our|my|mon|ma|a|un|une))*( [a-z][a-z-]*){1,3}"
    r"(?=\W*$|\W*[,;.!?])"
    # The day said again by what happens on it: "Sunday, the day we leave Montreal?".
    r"|\b(the|le|la) (day|jour|journee) (we|when|that|on|ou|que|qu|where|"
    r"(of the|de l|de la|du)(?! (lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b))"
    r"( [a-z][a-z-]*){1,5}(?=\W*$|\W*[,;.!?])"
)


# A guess to be confirmed, at the end of a sentence: "…, right?", "…, c'est ça?".
CONFIRMING = re.compile(
    r"\b(right|correct|is that right|is that it|c est ca|c est bien ca|non|n est ce pas|hein|"
    r"yes|oui|c est tu ca)\W*$"
)


SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
# A greeting before the question ("Good morning, what's on today?", "Bonjour! On fait
# quoi?"): politeness, not a part of the day or a subject.
GREETING = re.compile(
    r"^\s*(good (morning|afternoon|evening|day)|morning|hi|hello|hey|hiya|bonjour|bonsoir|"
    r"salut|allo|allô|coucou)( (all|everyone|everybody|team|there|folks|tout le monde|à tous|"
    r"a tous|la gang))?\s*[,!.:;-]+\s*|^\s*(hi|hello|hey|bonjour|bonsoir|salut|coucou)\s+",
    re.IGNORECASE,
)


# Québec French as it is typed ("à soir", "chu rendu", "y fait-tu froid", "j'sais pus"):
# said the way the rest of the engine reads it. "-tu" after a verb only marks a question
# ("ça marche-tu?"), except in "y a-tu", which the yes/no patterns know.
QUEBEC_FORMS = (
    (re.compile(r"\b[àa] (soir|matin|midi)\b", re.IGNORECASE), r"ce \1"),
    (re.compile(r"\b(chu|chus|j[’']?suis|j[’']?su)\b", re.IGNORECASE), "je suis"),
    (re.compile(r"\bj[’'](sais|sus|peux|vais|veux)\b", re.IGNORECASE), r"je \1"),
    (re.compile(r"\bpus\b", re.IGNORECASE), "plus"),
    # "Y est quelle heure?", "y fait-tu froid?": "y" opening a clause before a verb is
    # "il"; "icitte" is "ici".
    (re.compile(r"(^|[,.!?;]\s*)y (est|sera|fait|faisait|fera)\b", re.IGNORECASE), r"\1il \2"),
    (re.compile(r"\bicitte\b", re.IGNORECASE), "ici"),
    # "Les navettes, on les pogne où?": "pogner" is catching, taking.
    (re.compile(r"\bpogn(e|es|ent|er|ons|ez|é|és|ée|ées)\b", re.IGNORECASE), "catch"),
    # "Qui vient nous chercher pis on le trouve où": "pis" between two clauses is "and";
    # "pis là?", "pis après?" and "pis" opening a question ask what comes next.
    (re.compile(r"(?<=\w)(,?) pis\b(?! (la|là|apres|après|ensuite)\b)", re.IGNORECASE), r"\1 et"),
    (re.compile(r"\b(?!a-tu\b)(\w{2,})-tu\b", re.IGNORECASE), r"\1"),
    # "On fait quoi astheure?", "et là on fait quoi?", "on fait quoi là": "là" closing the
    # question or opening it after "et", and "astheure" (à cette heure), are "now".
    (re.compile(r"\b(astheure|asteure|ast heure|a c t heure|à c't'heure|a c't'heure)\b", re.I),
     "maintenant"),
    (re.compile(r"\b(quoi|koi)\s+l[àa]\s*(?=[?!.]|$)", re.IGNORECASE), r"\1 maintenant"),
    (re.compile(r"^\s*(et|ok|bon|pis)?\s*,?\s*l[àa]\s*,?\s+(?=(on|je|j|nous|c|qu)\b)", re.I),
     r"\1 maintenant "),
)  # fmt: skip


def _quebec(text: str) -> str:
    for pattern, replacement in QUEBEC_FORMS:
        text = pattern.sub(replacement, text)
    return text


def understand(
    index: MissionIndex,
    text: str,
    viewer: Viewer,
    named: set[int],
    now: datetime,
    default_language: str,
) -> Understanding:
    language = language_of(text, default_language, index.french_words, index.english_words)
    if language == "fr":
        text = _quebec(text)
    greeted = GREETING.sub("", text, count=1)
    if greeted.strip():
        text = greeted
    found = _understand(index, text, viewer, named, now, language)
    sentences = [s for s in SENTENCE_END.split(text.strip()) if s.strip()]
    if found.kind != AnswerKind.DAY and len(sentences) > 1:
        # "Wednesday schedule please. It's the site visits and the gala that day, right?":
        # a day's programme asked, then what one thinks is in it, to be confirmed.
        rest = [apostrophes_spaced(s) for s in sentences[1:]]
        if all(CONFIRMING.search(r) or BESIDES_FRAME.search(r) for r in rest):
            first = _understand(index, sentences[0], viewer, named, now, language)
            if first.kind == AnswerKind.DAY and first.day is not None:
                return first
    if found.kind == AnswerKind.UNKNOWN and len(sentences) > 1:
        # "Just landed and out of baggage claim. How do I find whoever picks us up?": the
        # story around a question can drown it; the question itself may be clear alone.
        asked = next((s for s in reversed(sentences) if "?" in s), sentences[-1])
        alone = _understand(index, asked, viewer, named, now, language)
        # "… vient d'être annulé. Je fais quoi?": a question with no subject of its own is
        # about the story told before it, not about today's programme.
        vague = alone.kind == AnswerKind.DAY and parse_question(asked, viewer, now).day is None
        if alone.kind != AnswerKind.UNKNOWN and not vague:
            return alone
    asking = _asking_clauses(text) if found.kind == AnswerKind.UNKNOWN else None
    if asking is not None:
        # "Just landed, can't find anyone, who is picking us up??": the same within a
        # sentence, the clauses that ask alone.
        alone = _understand(index, asking, viewer, named, now, language)
        if alone.kind not in (AnswerKind.UNKNOWN, AnswerKind.DAY):
            return alone
    return found


# Scores this close to the answer's are a tie: the words of the question cannot tell them apart.
TIED = 0.98


def _first_to_come(
    best: tuple[float, Doc], scored: list[tuple[float, Doc]], now: datetime
) -> tuple[float, Doc, tuple[Doc, ...]]:
    """Among sessions tied with the best, the first not over yet, and the others tied with
    it: "la navette demain" is most likely the first ride of the day, the others are offered
    beside it."""
    value, doc = best
    if doc.kind != AnswerKind.SESSION:
        return value, doc, ()
    tied = [
        (v, d)
        for v, d in scored
        if d.kind == AnswerKind.SESSION and v >= value * TIED and d.starts_at is not None
    ]
    coming = [(v, d) for v, d in tied if (d.ends_at or d.starts_at or now) >= now]
    if len(tied) < 2 or not coming:
        return value, doc, tuple(d for _, d in tied if d is not doc)
    value, doc = min(coming, key=lambda found: found[1].starts_at or now)
    return value, doc, tuple(d for _, d in tied if d is not doc)


def _day_without(
    frame: re.Pattern[str],
    index: MissionIndex,
    text: str,
    parsed: Parsed,
    viewer: Viewer,
    named: set[int],
    now: datetime,
    language: str,
) -> Understanding | None:
    """A day named, and a frame around the question (ARRIVAL_FRAME, BESIDES_FRAME): the
    question without the frame, when that asks for the day's programme."""
    if parsed.day is None or parsed.yes_no:
        return None
    folded = apostrophes_spaced(text)
    found = frame.search(folded)
    if found is None:
        return None
    bare = folded[: found.start()] + folded[found.end() :]
    alone = _understand(index, bare, viewer, named, now, language)
    return alone if alone.kind == AnswerKind.DAY else None


# Where a place is, asked outright: "where exactly is city hall?", "Bioaster, c'est où?"
# (the place, even when what happens there tonight is said too).
ASKS_WHERE_IT_IS = re.compile(
    r"\bwhere( exactly| precisely)? (is|s)\b|\bwhere s\b"
    r"|\bc est ou\b|\bou (est|se trouve|sont)\b"
    # What the place is: "what kind of place is it", "never heard of…", "c'est une
    # compagnie, un labo?", "je connais pas Bioaster".
    r"|\bwhat (kind|sort|type) of (a )?(place|company|lab|building|site|restaurant)\b"
    r"|\b(is it|it s) (a|an|some)( \w+){0,3} (place|company|lab|building|site|restaurant)\b"
    r"|\bwhat (exactly |actually |really )?is (?!(on|happening|planned|going|there|it)\b)"
    r"|\b(c|c est|cest) (quoi|koi)( exactement| au juste)?\W*$|\bqu est ce que c est\b"
    r"|\bnever heard of\b|\bjamais entendu parler\b|\bje (ne )?connais (pas|rien)\b"
    r"|\bc est (une|un) (compagnie|entreprise|labo|laboratoire|resto|restaurant|batiment|"
    r"endroit|lieu|site|usine)\b|\bquel (genre|type) (de|d) (lieu|endroit|place|entreprise|"
    r"compagnie|labo|resto|restaurant)\b"
)


def _understand(
    index: MissionIndex,
    text: str,
    viewer: Viewer,
    named: set[int],
    now: datetime,
    language: str,
) -> Understanding:
    parsed = parse_question(text, viewer, now)
    # The day's programme asked "once we land": the same question without the frame.
    framed = _day_without(ARRIVAL_FRAME, index, text, parsed, viewer, named, now, language)
    if framed is not None:
        return framed
    if (parsed.wants_next or parsed.wants_agenda) and set(parsed.content) <= WHOLE_GROUP:
        # "Qu'y a-t-il ensuite au programme pour la délégation?": for everyone, no subject.
        parsed.content = []
    _last_day(index, viewer, named, parsed, text)
    besides = _day_without(BESIDES_FRAME, index, text, parsed, viewer, named, now, language)
    if besides is not None:
        return besides
    asks_day, whole_day = _day_scope(parsed, text)
    if parsed.day is not None and ORDINAL_DAY.search(fold(text)):
        # "On Monday, the first day": the phrase says again which day, not what happens.
        parsed.content = [w for w in parsed.content if w not in ORDINAL_WORDS]
    if whole_day:
        # "Du matin au soir", "the whole day": no part of it in particular.
        parsed.part_of_day = None
        parsed.content = [w for w in parsed.content if w not in WHOLE_WORDS]
        if parsed.day is not None and not parsed.yes_no:
            return Understanding(AnswerKind.DAY, language, day=parsed.day)
    _intent_typos(index, parsed)
    if (
        parsed.wants_next
        and parsed.day is None
        and not parsed.yes_no
        and FINISHED.search(fold(text))
        and not _direction(parsed.words)[1]
    ):
        return Understanding(AnswerKind.NEXT, language)
    if (
        parsed.wants_next
        and parsed.day is None
        and not parsed.yes_no
        and ARRIVED.search(apostrophes_spaced(text))
        # "On vient d'atterrir! Qui vient nous chercher?", "qqn nous attend à la sortie?":
        # who meets the group, or whether anyone does, not next.
        and not set(parsed.words) & {"who", "qui", "whoever"}
        and not (set(parsed.words) & SOMEONE and set(parsed.words) & MEETING_US)
    ):
        return Understanding(AnswerKind.NEXT, language)
    if parsed.day is None and WHERE_ARE_YOU.search(re.sub(r"[\s’'`´-]+", " ", fold(text))):
        gathering = _session_now(index, viewer, named, now)
        if gathering is not None:
            return Understanding(
                gathering.kind,
                language,
                Match(gathering.kind, gathering.key, gathering.ref_id, CONFIDENT),
            )
    if not parsed.yes_no:
        # (A day may be said with the event: "after the badge pick-up this afternoon".)
        after = _what_after(index, text, viewer, named, now)
        if after is True:
            return Understanding(AnswerKind.NEXT, language)
        if isinstance(after, Doc):
            return Understanding(
                after.kind, language, Match(after.kind, after.key, after.ref_id, PLAUSIBLE)
            )
    scored = score_documents(index, parsed, viewer, named, now)
    best = scored[0] if scored else None
    if (
        asks_day
        and parsed.day is not None
        and not parsed.yes_no
        # (the story told around the question aside: "… ? I want to know before I leave
        # home").
        and all(
            max(h.values(), default=0.0) < WEAK_WORD
            for w, h in parsed.hits.items()
            if w not in parsed.aside
        )
    ):
        # "What do we do on Monday in Lyon": the words beside the day are ones the whole
        # mission shares; they name nothing in particular.
        return Understanding(AnswerKind.DAY, language, day=parsed.day)
    alternatives = tuple(
        Match(d.kind, d.key, d.ref_id, round(v, 3)) for v, d in scored[:4] if v >= PLAUSIBLE * 0.7
    )

    if parsed.near_head and 2 * len(parsed.near_head & set(parsed.unmatched)) > len(
        parsed.near_head
    ):
        # "Any good pizza place near the hotel?": something near a place the mission does
        # not know of; the place itself is not the answer.
        return Understanding(
            AnswerKind.UNKNOWN, language, confident=False, alternatives=alternatives[:3]
        )
    if (
        best is not None
        and parsed.yes_no
        and len(set(parsed.unmatched + parsed.lookalikes) & parsed.yes_no_words)
        > _answered_words(best[1], parsed)
        and best[0] < 0.9
    ):
        return Understanding(
            AnswerKind.UNKNOWN, language, confident=False, alternatives=alternatives[:3]
        )
    meal = _next_meal(scored, parsed, now)
    if meal is not None:
        return Understanding(
            AnswerKind.SESSION, language, Match(meal.kind, meal.key, meal.ref_id, PLAUSIBLE)
        )
    best = _prefer_faq_when_generic(scored, parsed) or best
    best = _prefer_session_with_room(scored, parsed) or best
    if best is not None and _confident(best, scored, parsed, now):
        value, doc, tied_docs = _first_to_come(best, scored, now)
        picked = doc
        start = doc.own_start or doc.local_start
        if (
            asks_day
            and parsed.day is None
            and not parsed.yes_no
            and set(parsed.words) & DAY_NOUNS
            and doc.kind == AnswerKind.SESSION
            and start is not None
        ):
            # "The schedule for the site visits day", "le programme de la journée du gala":
            # a day named by what happens on it.
            return Understanding(AnswerKind.DAY, language, day=start.date())
        if (
            doc.kind == AnswerKind.VENUE
            and (parsed.wants_agenda or parsed.wants_when)
            and not (set(parsed.words) & PLACE_WORDS)
            and not ASKS_WHERE_IT_IS.search(apostrophes_spaced(text))
        ):
            # "What's happening at the Hôtel de Ville", "reception at City Hall, what time":
            # the event there, not the address; "when do we leave for bioMérieux": the ride.
            event = _event_at(index, viewer, named, doc.ref_id, now, _about_transport(parsed))
            if event is not None:
                doc = event
        elif doc.kind == AnswerKind.SESSION and doc.transport and _names_event(parsed):
            # "La soirée à la mairie, ça commence à quelle heure?": no ride asked for, an
            # event named by where it is held; the ride there only shares the place.
            event = _event_after_ride(index, viewer, named, doc)
            if event is not None:
                doc = event
        elif doc.kind == AnswerKind.SESSION and not doc.transport:
            # "The bus back after the closing plenary": the ride that follows that session.
            ride = _ride_after(index, viewer, named, doc, parsed) or _ride_to(
                index, viewer, named, doc, parsed
            )
            if ride is not None:
                doc = ride
        # Offered beside the answer only when the answer is the session picked among them.
        tied = tuple(Match(d.kind, d.key, d.ref_id, value) for d in tied_docs if doc is picked)
        return Understanding(
            doc.kind,
            language,
            Match(doc.kind, doc.key, doc.ref_id, value),
            alternatives=alternatives[1:],
            also=tied if doc.kind == AnswerKind.SESSION else (),
        )
    ride = _ride_to_named_place(index, viewer, named, parsed, now, scored)
    if ride is not None:
        return Understanding(
            AnswerKind.SESSION, language, Match(ride.kind, ride.key, ride.ref_id, PLAUSIBLE)
        )
    meal = _meal_of_day(scored, parsed, index.timezone)
    if meal is not None:
        return Understanding(
            AnswerKind.SESSION, language, Match(meal.kind, meal.key, meal.ref_id, PLAUSIBLE)
        )
    if asks_day and parsed.day is not None and not parsed.yes_no:
        # "What we do on Monday, the first day in Lyon?": asked for a day's programme, and
        # nothing in particular clearly named in it.
        return Understanding(AnswerKind.DAY, language, day=parsed.day)
    # (The story told around the question names nothing asked: "whats at 3:45? the
    # schedule on my phone is cut off".)
    meaningful = [w for w in parsed.content if len(w) > 1 and w not in parsed.aside]
    if not meaningful:
        if parsed.day_problem is not None:
            return Understanding(AnswerKind.DAY, language, day_problem=parsed.day_problem)
        if parsed.day is not None and parsed.clock is not None:
            doc_at = _at_time(index, viewer, named, parsed.day, parsed.clock)
            if doc_at is not None:
                return Understanding(
                    AnswerKind.SESSION, language, Match(doc_at.kind, doc_at.key, doc_at.ref_id, 1.0)
                )
        if parsed.wants_next and parsed.day is None:
            return Understanding(AnswerKind.NEXT, language)
        if parsed.day is not None and parsed.part_of_day is not None and parsed.wants_when:
            doc_next = _next_after(index, viewer, named, now, parsed.part_of_day, parsed.day)
            if doc_next is not None:
                return Understanding(
                    AnswerKind.SESSION,
                    language,
                    Match(doc_next.kind, doc_next.key, doc_next.ref_id, 1.0),
                )
        if parsed.day is not None:
            return Understanding(AnswerKind.DAY, language, day=parsed.day)
        if parsed.wants_agenda:
            return Understanding(AnswerKind.DAY, language, day=viewer.calendar.today(now))
    # Not sure: say so, and offer the closest matches.
    return Understanding(
        AnswerKind.UNKNOWN, language, confident=False,
        alternatives=tuple(a for a in alternatives if a.score >= PLAUSIBLE * 0.7)[:3],
    )  # fmt: skip


async def answer_question(
    sessions: async_sessionmaker[AsyncSession],
    viewer: Viewer,
    text: str,
    now: datetime,
    default_language: str,
) -> Understanding:
    index = await mission_index(sessions, viewer)
    named = await named_items(sessions, viewer)
    return understand(index, text[:500], viewer, named, now, default_language)


def clear_cache() -> None:
    _CACHE.clear()


q.CONTENT_LISTENERS.append(lambda mission_id: _CACHE.pop(mission_id, None))


__all__ = ["AnswerKind", "Match", "Understanding", "answer_question", "timedelta"]
