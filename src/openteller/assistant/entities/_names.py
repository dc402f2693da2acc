"""Word lists for name matching: nicknames, family words, words that never name anyone.

Not exhaustive: the common English nicknames a customer is likely to type for a payee
saved under a full name, and the other way round.
"""

from __future__ import annotations

_NICKNAME_GROUPS = (
    "robert rob bob bobby robbie",
    "william will bill billy liam",
    "elizabeth liz beth betty lizzie eliza",
    "michael mike mikey",
    "james jim jimmy jamie",
    "katherine catherine kathryn kate katie kathy cathy kat",
    "thomas tom tommy",
    "david dave davey",
    "christopher chris",
    "christine christina chris tina",
    "alexander alex",
    "alexandra alex lexi",
    "joseph joe joey",
    "anthony tony",
    "daniel dan danny",
    "matthew matt",
    "nicholas nick nicky",
    "steven stephen steve",
    "jennifer jen jenny",
    "richard rick rich ricky dick",
    "andrew andy drew",
    "margaret maggie meg peggy",
    "susan sue suzy",
    "john johnny jack",
    "jonathan jon",
    "benjamin ben benny",
    "edward ed eddie ted",
    "gregory greg",
    "jeffrey jeff",
    "kenneth ken kenny",
    "lawrence larry",
    "abigail abby",
    "rebecca becky becca",
    "deborah debbie deb",
    "jessica jess jessie",
    "victoria vicky tori",
    "peter pete",
    "ronald ron ronnie",
    "timothy tim timmy",
    "zachary zach zack",
    "nathan nate",
    "nathaniel nate nat",
    "joshua josh",
    "samuel sam sammy",
    "samantha sam sammy",
    "patricia pat patty trish",
    "patrick pat paddy",
    "jacqueline jackie",
    "francisco paco pancho",
    "jose pepe",
    "roberto beto",
    "alejandro alex",
)
_FAMILY_GROUPS = (
    "mom mum mother mommy mama ma",
    "dad father daddy papa pops pa",
    "grandma granny grandmother nana",
    "grandpa grandfather granddad gramps",
    "brother bro",
    "sister sis",
    "husband hubby",
    "wife wifey",
)


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a word list written as one block of text."""
    return frozenset(text.split())


def _index(groups: tuple[str, ...]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for group in groups:
        names = group.split()
        for name in names:
            out.setdefault(name, set()).update(n for n in names if n != name)
    return {k: frozenset(v) for k, v in out.items()}


NICKNAMES = _index(_NICKNAME_GROUPS + _FAMILY_GROUPS)

# Words that carry no name: never matched alone against a payee or merchant name.
STOP_WORDS = word_set(
    """
    a about account accounts all also am amount an and any are as at back balance bank be
    bill bills buy by can card cash charge charged check checking could credit da de debit
    did do does dollar dollars done due each every for from get give go had has have help
    her him his how i i'd i'll i'm in into is it it's its just la last like me month more
    move much my need next no not now of off on once one or our out over owe paid pay
    payment payments please put quick recent rent same savings saving see send sent set
    shall should show so some spend spending spent than thanks that the their them then
    there these they this those to today too transaction transactions transfer up us use
    via want was we week were what when where which who why will with would year yes
    thank thanks okay ok hey hi hello it's
    yesterday you your
    """
)

# Nouns said next to a name that do not make it another name ("my friend Maria",
# "comcast internet").
NEUTRAL_WORDS = word_set(
    """
    friend friends buddy pal roommate neighbor neighbour landlord landlady cousin coworker
    colleague boss babysitter nanny tutor cleaner plumber money cash internet phone cable
    electric electricity water gas mobile wireless tv bill bills invoice rent mortgage loan
    utility utilities service subscription membership fee fees share part half
    """
)

# Parts of a name too common to stand for the whole name ("Best Buy" is not "buy").
GENERIC_NAME_WORDS = word_set(
    """
    and app apartments best bread buy city cloud co company corp creative depot direct
    foods garden grill home inc light llc local ltd market metro mexican mgmt new of
    payroll pharmacy power premium prime property residences shake the times transit utility
    water wholesale wireless york
    """
)
