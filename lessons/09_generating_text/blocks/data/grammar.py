"""The grammar behind the course corpus (``reference.data``): lexicon and sentence templates.

Each topic has its own nouns (singular:plural), verbs, adjectives, places and objects,
and each transitive verb its own objects, so a word's neighbours say a lot about it:
that is what makes masked words predictable above a unigram baseline. Agreement
(is/are, was/were, reads/read, a/two, this/these, it/they) adds structure a model
can learn from syntax alone.

Randomness comes from :class:`Draws`, which wraps one ``torch.Generator``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

TOPICS: tuple[str, ...] = ("animals", "people", "vehicles", "birds")


class Draws:
    """Uniform numbers from one generator, fetched in chunks.

    A grammar makes thousands of tiny choices; one ``torch.rand`` call per choice
    would dominate the run time, so numbers are drawn 4096 at a time. The sequence
    of choices depends only on the generator's state, so seeding stays exact.
    """

    def __init__(self, generator: torch.Generator | None) -> None:
        self._generator = generator
        self._buffer: list[float] = []
        self._next = 0

    def uniform(self) -> float:
        if self._next == len(self._buffer):
            self._buffer = torch.rand(4096, generator=self._generator, dtype=torch.float64).tolist()
            self._next = 0
        self._next += 1
        return self._buffer[self._next - 1]

    def coin(self, p: float) -> bool:
        return self.uniform() < p

    def choice(self, options: Sequence):
        # min() guards the (measure-zero) float edge u * n == n.
        return options[min(int(self.uniform() * len(options)), len(options) - 1)]

    def integer(self, low: int, high: int) -> int:
        """A uniform integer in ``[low, high]`` (both ends included)."""
        return self.choice(range(low, high + 1))


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """Parse ``"puppy:puppies dog:dogs"`` into ``(("puppy", "puppies"), ("dog", "dogs"))``."""
    return tuple(tuple(item.split(":")) for item in text.split())  # type: ignore[misc]


def _verbs(text: str) -> tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]:
    """Parse ``"eat:eats=apple:apples,bone:bones; ..."`` into ``((base, third person, objects), ...)``."""
    out = []
    for entry in text.split(";"):
        verb, objects = entry.strip().split("=")
        base, third = verb.split(":")
        out.append((base, third, _pairs(objects.replace(",", " "))))
    return tuple(out)


@dataclass(frozen=True)
class _Topic:
    nouns: tuple[tuple[str, str], ...]
    doing: tuple[str, ...]  # intransitive -ing forms: "the puppies are frolicking"
    adjectives: tuple[str, ...]
    preps: tuple[str, ...]
    places: tuple[str, ...]
    adverbs: tuple[str, ...]
    transitive: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]


def _topic(nouns: str, doing: str, adjectives: str, preps: str, places: str, adverbs: str,
           transitive: str) -> _Topic:
    return _Topic(_pairs(nouns), tuple(doing.split()), tuple(adjectives.split()), tuple(preps.split()),
                  tuple(places.split()), tuple(adverbs.split()), _verbs(transitive))


_TOPICS: dict[str, _Topic] = {
    "animals": _topic(
        "puppy:puppies dog:dogs kitten:kittens cat:cats rabbit:rabbits horse:horses goat:goats "
        "lamb:lambs pony:ponies mouse:mice fox:foxes squirrel:squirrels hamster:hamsters calf:calves",
        "frolicking playing sleeping running jumping hiding resting napping wandering rolling "
        "digging splashing grazing barking",
        "fluffy playful tiny hungry sleepy curious furry spotted brown white young gentle lazy little",
        "outside in near under behind beside around inside across",
        "house garden barn field fence meadow yard kennel porch pond tree stable",
        "happily quietly together playfully lazily",
        "chase:chases=ball:balls,butterfly:butterflies,leaf:leaves,stick:sticks; "
        "eat:eats=carrot:carrots,apple:apples,bone:bones,biscuit:biscuits; "
        "carry:carries=stick:sticks,bone:bones,toy:toys,ball:balls; "
        "sniff:sniffs=flower:flowers,shoe:shoes,toy:toys"),
    "people": _topic(
        "child:children teacher:teachers farmer:farmers doctor:doctors student:students baker:bakers "
        "girl:girls boy:boys woman:women man:men neighbor:neighbors nurse:nurses artist:artists",
        "reading singing cooking laughing working studying talking smiling dancing painting writing "
        "waiting shopping walking",
        "young old kind busy tall happy tired clever friendly quiet cheerful patient",
        "in at near outside inside behind",
        "kitchen school library office market park classroom bakery hospital street cafe shop garden",
        "happily quietly carefully slowly together",
        "read:reads=book:books,letter:letters,newspaper:newspapers,story:stories,map:maps; "
        "write:writes=letter:letters,poem:poems,story:stories,note:notes; "
        "bake:bakes=cake:cakes,pie:pies,cookie:cookies,loaf:loaves; "
        "cook:cooks=meal:meals,soup:soups,dinner:dinners; "
        "paint:paints=picture:pictures,wall:walls,door:doors; "
        "open:opens=door:doors,window:windows,box:boxes,gate:gates; "
        "buy:buys=flower:flowers,ticket:tickets,basket:baskets,apple:apples; "
        "clean:cleans=window:windows,table:tables,room:rooms,floor:floors"),
    "vehicles": _topic(
        "car:cars bus:buses train:trains truck:trucks bicycle:bicycles boat:boats plane:planes "
        "tractor:tractors van:vans ship:ships taxi:taxis tram:trams",
        "moving waiting arriving leaving honking speeding turning stopping racing rolling departing "
        "rattling",
        "red blue fast slow old new shiny heavy noisy crowded empty yellow rusty long",
        "near at across over under through along outside",
        "station bridge road harbor airport tunnel highway garage village river city track",
        "slowly quickly loudly smoothly noisily",
        "carry:carries=passenger:passengers,box:boxes,crate:crates; "
        "pull:pulls=trailer:trailers,wagon:wagons,cart:carts; "
        "cross:crosses=bridge:bridges,river:rivers,road:roads; "
        "pass:passes=village:villages,farm:farms,station:stations,tunnel:tunnels"),
    "birds": _topic(
        "bird:birds owl:owls parrot:parrots robin:robins eagle:eagles sparrow:sparrows swan:swans "
        "pigeon:pigeons crow:crows goose:geese hen:hens duck:ducks",
        "flying singing nesting chirping soaring gliding pecking perching diving swimming hopping",
        "small colorful wild graceful bright proud noisy tiny swift black",
        "in above over near on across",
        "sky tree nest lake roof forest river branch hill cliff meadow",
        "gracefully quietly loudly together high",
        "build:builds=nest:nests; catch:catches=worm:worms,insect:insects,beetle:beetles; "
        "eat:eats=seed:seeds,berry:berries,worm:worms,crumb:crumbs; "
        "carry:carries=twig:twigs,feather:feathers,worm:worms"),
}

# Determiners agree with their noun's number.
_SINGULAR_DETS = ("the", "the", "the", "a", "a", "this", "that", "every", "one")
_PLURAL_DETS = ("the", "the", "the", "some", "two", "three", "these", "those", "many", "several")
_EXISTENTIAL = {False: ("a", "one"), True: ("some", "two", "three", "many", "several")}
_FREQUENCY = ("often", "always", "usually", "sometimes", "never")
_FEMALE, _MALE = {"girl", "woman"}, {"boy", "man"}
_FUNCTION_WORDS = "the a this that every one some two three these those many several there is are was were " \
                  "very and it they he she yesterday today now . " + " ".join(_FREQUENCY)


@dataclass(frozen=True)
class Subject:
    """A document's main subject: which noun, its number, and the pronoun that refers to it."""

    topic: str
    singular: str
    plural_form: str
    plural: bool
    pronoun: str

    @property
    def noun(self) -> str:
        return self.plural_form if self.plural else self.singular


def pick_subject(draws: Draws, topic: str) -> Subject:
    """A random noun of ``topic``, singular or plural, with its pronoun."""
    singular, plural_form = draws.choice(_TOPICS[topic].nouns)
    plural = draws.coin(0.5)
    if plural:
        pronoun = "they"
    elif topic != "people":
        pronoun = "it"
    elif singular in _FEMALE or singular in _MALE:
        pronoun = "she" if singular in _FEMALE else "he"
    else:
        pronoun = draws.choice(("he", "she"))
    return Subject(topic, singular, plural_form, plural, pronoun)


def _be(subject_plural: bool, past: bool) -> str:
    return ("were" if subject_plural else "was") if past else ("are" if subject_plural else "is")


def _place(draws: Draws, t: _Topic) -> list[str]:
    """A prepositional phrase: "outside the house"."""
    return [draws.choice(t.preps), "the" if draws.coin(0.8) else "a", draws.choice(t.places)]


def _noun_phrase(draws: Draws, t: _Topic, subject: Subject, mention: str) -> list[str]:
    """How the subject is named: a pronoun, "the" + noun, or a fresh determiner + noun."""
    if mention == "pronoun":
        return [subject.pronoun]
    det = "the" if mention == "the" else draws.choice(_PLURAL_DETS if subject.plural else _SINGULAR_DETS)
    adjective = [draws.choice(t.adjectives)] if draws.coin(0.1 if mention == "the" else 0.3) else []
    return [det, *adjective, subject.noun]


def _progressive(draws: Draws, t: _Topic, subject: Subject, phrase: list[str]) -> list[str]:
    """E.g. "the puppies are frolicking outside the house" (be + -ing agrees with the subject)."""
    past = draws.coin(0.3)
    words = [*phrase, _be(subject.plural, past), draws.choice(t.doing)]
    if draws.coin(0.25):
        words.append(draws.choice(t.adverbs))
    if draws.coin(0.7):
        words += _place(draws, t)
    if draws.coin(0.15):  # a second verb phrase makes longer sentences
        words += ["and", draws.choice(t.doing), *_place(draws, t)]
    if past and draws.coin(0.4):
        words.append("yesterday")  # tense cue a model can learn from
    elif not past and draws.coin(0.1):
        words.append(draws.choice(("today", "now")))
    return words


def _transitive(draws: Draws, t: _Topic, subject: Subject, phrase: list[str]) -> list[str]:
    """E.g. "the farmer bakes two pies in the kitchen" (verb agrees; the object fits the verb)."""
    base, third, objects = draws.choice(t.transitive)
    words = [*phrase]
    if draws.coin(0.25):
        words.append(draws.choice(_FREQUENCY))
    words += [base if subject.plural else third, *_object(draws, objects)]
    if draws.coin(0.5):
        words += _place(draws, t)
    if draws.coin(0.15):  # a second verb phrase, agreeing with the same subject
        base, third, objects = draws.choice(t.transitive)
        words += ["and", base if subject.plural else third, *_object(draws, objects)]
    return words


def _object(draws: Draws, objects: tuple[tuple[str, str], ...]) -> list[str]:
    """An object that fits its verb, its determiner agreeing with its number."""
    obj_singular, obj_plural = draws.choice(objects)
    if draws.coin(0.5):
        return [draws.choice(_PLURAL_DETS), obj_plural]
    return [draws.choice(_SINGULAR_DETS[:-2]), obj_singular]  # no "every"/"one" objects


def _copular(draws: Draws, t: _Topic, subject: Subject, phrase: list[str]) -> list[str]:
    """E.g. "the kittens are very sleepy" (be + an adjective of the topic)."""
    words = [*phrase, _be(subject.plural, draws.coin(0.3))]
    if draws.coin(0.3):
        words.append("very")
    first = draws.choice(t.adjectives)
    words.append(first)
    second = draws.choice(t.adjectives)
    if second != first and draws.coin(0.25):
        words += ["and", second]
    return words


def _existential(draws: Draws, t: _Topic, subject: Subject) -> list[str]:
    """E.g. "there are two puppies sleeping in the barn" (is/are agrees with the noun after it)."""
    words = ["there", _be(subject.plural, draws.coin(0.3)), draws.choice(_EXISTENTIAL[subject.plural])]
    if draws.coin(0.4):
        words.append(draws.choice(t.adjectives))
    words.append(subject.noun)
    if draws.coin(0.6):
        words.append(draws.choice(t.doing))
    return words + _place(draws, t)


def sentence(draws: Draws, topic: str, main: Subject, *, first: bool) -> str:
    """One sentence of a document about ``main``; later sentences often use its pronoun."""
    t = _TOPICS[topic]
    subject, mention = main, "new"
    if not first:
        r = draws.uniform()
        if r < 0.4:
            mention = "pronoun"
        elif r < 0.75:
            mention = "the"
        else:
            subject = pick_subject(draws, topic)  # another animal, person, ... of the same topic
    r = draws.uniform()
    if mention == "new" and r < 0.15:
        words = _existential(draws, t, subject)
    else:
        phrase = _noun_phrase(draws, t, subject, mention)
        builder = _progressive if r < 0.55 else _transitive if r < 0.85 else _copular
        words = builder(draws, t, subject, phrase)
    return " ".join([*words, "."])


def all_words() -> set[str]:
    """Every word :func:`sentence` can produce (the tokenizer's vocabulary)."""
    words = set(_FUNCTION_WORDS.split())
    for t in _TOPICS.values():
        words.update(w for pair in t.nouns for w in pair)
        words.update(t.doing + t.adjectives + t.preps + t.places + t.adverbs)
        for base, third, objects in t.transitive:
            words.update((base, third, *(w for pair in objects for w in pair)))
    return words
