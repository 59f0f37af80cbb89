"""Screen member messages for signs of crisis before any coaching logic runs."""

# Policy. It favours recall: a needless check-in costs a member a moment, while a missed
# crisis can cost far more.
# - Explicit and indirect wishes to die flag even when they sound half-joking ("i want to die
#   lol", "kms", "just kill me now", "lost the will to live").
# - Reports about someone else flag ("my friend says she wants to kill herself"): the member
#   may need help to help, and a mentor should know.
# - Past self-harm, attempts and recovery flag ("I used to self-harm, clean for 2 years"), and
#   so do denials that name the subject ("not suicidal, just tired"): a check-in is cheap.
# - Figures of speech about work do not flag: "this deadline is killing me", "dying to get
#   this offer", "career suicide", "burning myself out", "overdosed on coffee".
# - "I'd rather die than <an ordinary task>" is a figure of speech, but not when the thing
#   compared is life itself ("rather die than keep living like this").
# - A household member who "will kill me if I quit" is a figure of speech; a reported threat
#   ("he said he'd kill me if I left") and any hitting, choking or threatening are not.
# - "I'm going to die" and "about to die" predict rather than intend and do not flag on their
#   own; "going to end it" does.
# - Wanting to kill a boss or a colleague is venting; planning to hurt someone is not.

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Concern(StrEnum):
    """What a flagged message may be about."""

    SUICIDE = "suicide"
    SELF_HARM = "self_harm"
    UNSAFE_AT_HOME = "unsafe_at_home"
    HARM_TO_OTHERS = "harm_to_others"


@dataclass(frozen=True)
class Screen:
    """The outcome of screening one message: rule names only, never the member's words."""

    flagged: bool
    concerns: tuple[Concern, ...]
    matched: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """A named pattern over normalised text and the concern it signals."""

    name: str
    concern: Concern
    pattern: re.Pattern[str]


# --- Normalisation -----------------------------------------------------------------------


def _words(text: str) -> list[str]:
    """Split a space-separated word list."""
    return text.split()


def _pairs(text: str) -> dict[str, str]:
    """Parse comma-separated 'word=replacement' pairs."""
    return {k.strip(): v.strip() for k, v in (pair.split("=") for pair in text.split(","))}


_QUOTES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "＇": "'"})
_NEGATED = (
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bain't\b"), "is not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'m\b"), " am"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'d\b"), " would"),
    (re.compile(r"'ll\b"), " will"),
)
# Clause ends survive as " . " so that a rule can tell "i can't go on." from "go on holiday".
_CLAUSE_END = re.compile(r"[.!?;:,\n]+|\s[-–—]+\s|[–—]")
_TOKEN = re.compile(r"[^\W_]+|\.")
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")
_LEET = str.maketrans({"1": "i", "3": "e", "0": "o"})
# Words whose double letter is real, so "killlll" folds to "kill" but "diiiie" to "die".
_DOUBLED = frozenset(
    _words(
        "kill killing killed all still will well feel feeling need good goodbye sleep sleeping "
        "too off better really sorry hell stress stressed less pills see free bleed bleeding "
        "cutting happy tomorrow"
    )
)


# Chat spellings, contractions typed without an apostrophe, and common typos.
_SPELLINGS = _pairs(
    "im=i am, ive=i have, id=i would, dont=do not, dnt=do not, doesnt=does not, "
    "didnt=did not, cant=can not, cannot=can not, wont=will not, isnt=is not, wasnt=was not, "
    "werent=were not, arent=are not, wouldnt=would not, couldnt=could not, "
    "shouldnt=should not, havent=have not, hasnt=has not, hadnt=had not, aint=is not, "
    "youre=you are, theyre=they are, hes=he is, shes=she is, thats=that is, whats=what is, "
    "theres=there is, wanna=want to, gonna=going to, gna=going to, gotta=got to, "
    "tryna=trying to, wnat=want, wnt=want, wan=want, u=you, ur=your, r=are, b=be, n=and, "
    "bc=because, cuz=because, coz=because, cos=because, rn=right now, tn=tonight, "
    "tonite=tonight, 2nite=tonight, tmrw=tomorrow, tmr=tomorrow, ppl=people, bf=boyfriend, "
    "gf=girlfriend, hubby=husband, idk=i do not know, idc=i do not care, "
    "ngl=not going to lie, tbh=to be honest, fr=for real, pls=please, plz=please, "
    "every1=everyone, evry1=everyone, some1=someone, no1=no one, noone=no one, "
    "nobdy=nobody, anymroe=anymore, nemore=anymore, kms=kill myself, kil=kill, "
    "myslef=myself, mysefl=myself, myslf=myself, mself=myself, meself=myself, "
    "myselfe=myself, herslef=herself, himslef=himself, liv=live, dissapear=disappear, "
    "disapear=disappear, dissappear=disappear"
)
_PHRASES = (
    (re.compile(r"\bsewer ?slide\b"), "suicide"),
    (re.compile(r"\bun alive"), "unalive"),
    (re.compile(r"\bany more\b"), "anymore"),
    (re.compile(r"\bmy self\b"), "myself"),
    (re.compile(r"\bself (harm|injur|mutilat)"), r"self\1"),
)


def _fold_token(token: str) -> str:
    """Undo stretched letters, digit-for-letter spellings and chat shorthand in one word."""
    if token in _SPELLINGS:
        return _SPELLINGS[token]
    if any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
        token = token.translate(_LEET)
    if _STRETCHED.search(token):
        twice = _STRETCHED.sub(r"\1\1", token)
        token = twice if twice in _DOUBLED else _STRETCHED.sub(r"\1", token)
    return _SPELLINGS.get(token, token)


def normalise(text: str) -> str:
    """Fold a message to lower-case words with clause ends kept as ' . '."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES)
    for pattern, replacement in _NEGATED:
        text = pattern.sub(replacement, text)
    text = _CLAUSE_END.sub(" . ", text.replace("'", ""))
    folded = " ".join(_fold_token(token) for token in _TOKEN.findall(text))
    for pattern, replacement in _PHRASES:
        folded = pattern.sub(replacement, folded)
    return re.sub(r"(?: \.)+", " .", folded).strip(" .")


# --- Idioms: removed before any rule runs ---------------------------------------------------

# What a complement of "rather die than ..." must mention for the comparison to be with life.
_LIFE = (
    r"[^.]{0,30}\b(?:live|living|life|go on|going on|keep going|carry on|wake up|waking up|"
    r"go home|going home|go back home|feel like this|feeling like this|be alive|exist)"
)
_DRUGS = (
    r"(?:pills|tablets|meds|medication|drugs|painkillers|paracetamol|tylenol|sleeping|insulin"
    r"|heroin|opioids|fentanyl|alcohol)"
)
_IDIOMS = re.compile(
    r"\b(?:"
    # Deaths of careers and plans, not of people.
    r"(?:career|professional|social|political|commercial|financial|corporate) suicide"
    r"|suicide (?:squad|missions?|runs?|drills?|sprints?|doors?)"
    r"|suicide prevention (?:training|course|workshop|month|day|week|awareness)"
    # Dying of laughter, boredom and the like, and causes worth dying on.
    r"|(?:die|died|dying|dies) (?:of|from) (?:laughter|laughing|embarrassment|shame|boredom"
    r"|curiosity|cringe|envy|jealousy|excitement|cuteness)"
    r"|(?:die|died|dying) laughing|die on (?:this|that|a|the) hill|die (?:down|out)"
    r"|dying to (?:know|get|see|hear|meet|try|start|go|find out|tell|ask|work|join|be)"
    r"|rather (?:die|be dead) than(?!" + _LIFE + r")"
    # Overwork said as self-harm: the progressive with a purpose, "burning myself out".
    r"|(?:am|are|is|was|were|been|be) (?:\w+ )?killing myself (?:trying|working|to \w+"
    r"|at work|for (?:this|the|my|a) \w+)"
    r"|(?:kill|killing|killed) (?:myself|me) (?:laughing|with laughter)"
    r"|(?:burn|burning|burned|burnt|burns) (?:myself|me|himself|herself|themselves) out"
    r"|(?:cut|cutting|cuts) (?:myself|me) (?:some slack|a break|off|loose)"
    r"|(?:shoot|shooting|shot) (?:myself|me) in the foot"
    r"|(?:drown|drowning|drowned) (?:myself|me) in (?!(?:the |a )?(?:river|sea|lake|bath"
    r"|bathtub|tub|water|ocean|pool)\b)"
    r"|(?:hang|hanging|hung) (?:myself|me|him|her|them) out to dry"
    r"|(?:bang|banging|banged) my head (?:against|on)|(?:hit|hits|hitting) (?:me|us) up"
    # Beaten at a game or to a prize, not beaten up.
    r"|(?:beat|beats|beaten) (?:me|us) (?:to (?:it|the \w+)|at (?!home\b)\w+"
    r"|in (?:a|the) (?:race|game|match|vote|round))"
    r"|only (?:hurting|hurt|harming) myself|(?:hurt|hurting|harm|harming) myself by \w+"
    r"|(?:accidentally|slightly) (?:cut|burned|burnt|burn|hurt) myself"
    r"|(?:cut|burned|burnt|hurt|injured) myself (?:on (?:the|a) (?:stove|oven|pan|knife|paper"
    r"|glass|iron|kettle|shelf)|while (?:cooking|shaving|chopping|running|lifting|playing"
    r"|hiking|climbing|training)|at the gym|playing \w+|lifting|skiing)"
    # A message, not a bullet; a double espresso, not pills.
    r"|shoot (?:me|him|her|them|us|you) (?:over )?(?:a|an) (?:\w+ )?(?:email|message|note|text"
    r"|dm|line|ping|invite|link|reply)"
    r"|(?:overdos\w*|od) on (?!(?:my |his |her |their |the |some |a )?" + _DRUGS + r")\w+"
    r")\b"
)


# --- Rules ---------------------------------------------------------------------------------

_SELF = r"(?:myself|himself|herself|themselves|themself)"
_TO = r"(?:to|too|2)"
_END = r"(?= \.|$)"
_HOUSEHOLD_NOUN = (
    r"(?:partner|husband|wife|boyfriend|girlfriend|fiance|fiancee|dad|father|mom|mum|mother"
    r"|step ?dad|step ?father|step ?mom|step ?mum|step ?mother|brother|sister|uncle|aunt"
    r"|parents?|ex|ex husband|ex wife|roommate|flatmate|housemate|family|son|daughter"
    r"|in laws?|grandfather|grandpa)"
)
_HOUSEHOLD = rf"(?:he|she|they|my {_HOUSEHOLD_NOUN})"
# Without "they", which in a work story is usually the company.
_HOUSEHOLD_PERSON = rf"(?:he|she|my {_HOUSEHOLD_NOUN})"
# Ending a life, one's own or (in a report) someone else's; "end it with him" is a break-up.
_ACT = (
    r"(?:end (?:it|things|everything)(?: all)?(?! with| early| there| at| on| by| before| after)"
    r"|end (?:my|his|her|their) (?:own )?life|take (?:my|his|her|their) (?:own )?life)"
)
# What a wish to die wishes for, after "want to", "wish to", "ready to" and the like.
_DIE = (
    r"(?:die|be dead|not be alive|not be here|not exist|stop existing|cease to exist"
    rf"|not wake up|never wake up|sleep forever|{_ACT})"
)
_WISH = (
    r"(?:want|wants|wanted|wanting|wish|wishes|wished|wishing|hope|hoping|ready|like|deserve"
    r"|deserves|tempted|longing|plan|plans|planned|planning|decided|trying|tried|try|need"
    r"|needs|urge|urges)"
)
# "Going to die" and "about to die" predict rather than intend (phones and laptops are about
# to die too), so after them only an act counts.


def _rule(name: str, concern: Concern, *alternatives: str) -> Rule:
    """Compile a named rule from alternative patterns over normalised text."""
    return Rule(name, concern, re.compile(r"\b(?:" + "|".join(alternatives) + r")\b"))


RULES: tuple[Rule, ...] = (
    # The word itself, in any spelling the normaliser leaves ("sucide", "suicidial").
    _rule("suicide_word", Concern.SUICIDE, r"su[iy]?[cs]+[iy]?d\w*", r"unaliv\w*"),
    # Killing or ending oneself, for the member or someone they speak about.
    _rule(
        "kill_self",
        Concern.SUICIDE,
        rf"(?:kill|kills|killing|killed|end|ending|top|hang|hanging|hanged|hung|shoot|shooting"
        rf"|shot|drown|drowning|poison|poisoning|suffocate|strangle) {_SELF}",
        rf"(?:to|will|might|should|could|just|and) off {_SELF}",
        # "kys" is an insult when aimed at others; it matters when the member aims it at self.
        r"(?:i|i am|i will|i would|i should|i might|i could|want to|going to|about to"
        r"|ready to)(?: \w+)? kys",
    ),
    # Wishing, intending or being ready to die, in any person.
    _rule(
        "death_wish",
        Concern.SUICIDE,
        rf"{_WISH} {_TO} {_DIE}",
        rf"(?:going|about) {_TO} {_ACT}",
        r"(?:would )?rather (?:be dead|die|not exist|not be alive)",
        r"(?:wish|wishing|hope|hoping|pray|praying)(?: that)? i (?:was|were|would be|could be"
        r"|had been|am)? ?(?:dead|never born|not born|gone forever)",
        r"(?:wish|wishing|hope|hoping|pray|praying)(?: that)? i (?:would |could |will |just )?"
        r"(?:die|did not exist|never existed)",
        r"(?:wish|hope|hoping|want|pray|sleep|asleep)\b[^.]{0,40}\b(?:never|not) wake up",
        r"(?:i|i would|i could) die tonight|should (?:just )?die",
        r"feel like (?:dying|death|ending it)",
        r"(?:just|please|somebody|someone|can someone|could someone)(?: please)?(?: just)? kill me",
        r"kill me now",
        # A bare "kill me" as a whole clause; "kill me with kindness" has more after it.
        rf"(?:^|(?<=\. ))(?:ugh |god |just )?kill me(?: please| already)?{_END}",
        r"(?:wish|wishing|hope|hoping|pray|praying)(?: that)? (?:a|the|some) (?:bus|car|truck"
        r"|train|lorry|plane)[^.]{0,20}\b(?:hits|hit|kills|kill|runs over|run over) me",
        r"do not (?:want|wish) to (?:be here|exist|be alive|live|wake up|be around)"
        r"(?! (?:at|in|on|for|with|working|doing|when))",
    ),
    # Believing one's absence would help others, or that no one would notice it.
    _rule(
        "better_without_me",
        Concern.SUICIDE,
        r"(?:better off|happier|better|fine|easier)(?: \w+){0,2} without me"
        r"(?! (?:for|while|during|on|at|this|next|today|tomorrow|until|when|\w+ing))",
        r"better off dead",
        r"(?:better off|happier|better|easier) if i (?:was|were|am|just)? ?(?:dead|gone|died"
        r"|disappeared|not (?:here|around|alive)|was not (?:here|around)|were not (?:here|around))",
        r"(?:nobody|no one)(?: \w+){0,3} (?:miss|notice|care|remember|mind)(?: \w+){0,2} if i"
        r" (?:died|die|was gone|were gone|was dead|disappeared|was not (?:here|around)|vanished)",
        r"(?:nobody|no one) (?:would|will)(?: even)? miss me",
        r"(?:am|feel like|feel|just|being|such) (?:a|such a|nothing but a|just a) burden"
        r"(?! (?:to|on) (?:my |the |our )?(?:team|manager|colleagues|coworkers|company))",
    ),
    # Life without point or will: the indirect forms that name life itself.
    _rule(
        "no_point_living",
        Concern.SUICIDE,
        r"(?:no|not see (?:a|the|any)|what is the|lost (?:the|my)) (?:point|reason|purpose|will)"
        r"(?: (?:to|in|of|for))? (?:live|living|life|go on|going on|keep going|keep living"
        r"|being alive|be alive|being here|exist|existing|anything|it all|carry on|carrying on)"
        r"(?! (?:at|in|on|to|for|with|this|my))",
        r"(?:nothing|nobody|no one|no reason)(?: left)? to live for",
        r"(?:no way i can|do not want to|how (?:can|do) i|not sure i can|can not) (?:keep|go on)"
        r" living",
        r"(?:give|giving|gave|given) up on (?:life|living|everything|it all|being alive)",
        r"(?:tired|sick|exhausted|done|finished|weary) (?:of|with) (?:life|living|being alive"
        r"|existing|waking up(?! (?:at|early|before|for|to)))"
        r"(?! (?:admin|hacks|advice|lessons|goals|coaching|of|as|at|in))",
    ),
    # Being unable to go on, said without an object that makes it about a job.
    _rule(
        "cannot_go_on",
        Concern.SUICIDE,
        r"can not (?:go on|keep going|carry on|keep living|go on living)"
        r"(?=(?: anymore| any longer| much longer| like this| this way)?(?: anymore)?(?: \.|$))",
        rf"can not (?:do|take) (?:this|it) (?:anymore|any longer){_END}",
        r"(?:want|need|wish)(?: \w+)? (?:it all|everything|the pain|this pain|all of it)"
        r" to (?:stop|end)",
        rf"(?:want|wish|like|could|to) (?:just )?(?:disappear|vanish)"
        rf"(?:{_END}| forever| for good| completely| permanently)",
    ),
    # Thoughts that turn to death, and goodbyes that sound final.
    _rule(
        "thoughts_of_death",
        Concern.SUICIDE,
        r"(?:dark|intrusive) thoughts",
        r"(?:thoughts|think|thinking|thought|dream|dreaming) (?:\w+ )?(?:about|of) (?:dying|death"
        r"|being dead|ending (?:it|things|everything|my life)|not being (?:here|alive|around)"
        r"|not waking up|overdosing|my funeral)(?! of)",
        # Jumping, but not ship, into a new role or at a chance.
        r"(?:think|thinking|thought) (?:\w+ )?(?:about|of) jumping"
        r"(?! (?:ship|in|into|at|on|to|back|ahead|through|straight))",
        r"(?:imagine|imagining|imagined|planning|plan) my (?:own )?funeral",
        r"(?:ways|how|methods?|best way|easiest way|painless way|quickest way) to (?:die"
        r"|kill (?:myself|yourself|oneself)|end my life)",
        r"(?:when|once|after) i am (?:dead|gone)(?= \.|$| (?:nobody|no one|everyone|they|people))",
        r"(?:will not|not going to|may not|might not) be (?:around|here|alive)"
        r" (?:much longer|for (?:much )?longer|for long|anymore|any longer)",
        r"goodbye (?:letters?|notes?)|(?:letters?|notes?) (?:to say|saying) goodbye",
        r"(?:giving|gave|give|given) away (?:all )?(?:of )?my (?:things|stuff|belongings"
        r"|possessions|pets?|cat|dog)",
        r"my affairs in order",
        rf"(?:might|could|will|would|going to|about to|want to|tempted to) (?:\w+ )?do"
        rf" something (?:stupid|drastic|permanent|irreversible)(?={_END}| to myself| tonight"
        rf"| today)",
        # A plan stated without naming the act still says there is a plan.
        rf"(?:planned|planning|worked out|figured out|know) (?:how|when|where) i (?:would|will"
        rf"|am going to|could) do it{_END}",
    ),
    # Means and plans: pills in quantity, heights, rope.
    _rule(
        "means_or_plan",
        Concern.SUICIDE,
        r"overdos\w*",
        r"(?:saving|saved|stockpiling|stockpiled|hoarding|collecting|counting|counted)"
        r"(?: up)? (?:\w+ )?(?:pills|tablets|meds|medication|painkillers)",
        r"(?:all (?:of )?(?:my|the)|a bunch of|a handful of|a bottle of|a whole (?:bottle|pack"
        r"|box|packet) of|enough|the rest of (?:my|the)) (?:sleeping )?(?:pills|tablets|meds"
        r"|medication|painkillers)",
        r"how many (?:\w+ )?(?:pills|tablets|meds)[^.]{0,20}\b(?:would it take|does it take"
        r"|it would take|it takes|to (?:die|kill|overdose|not wake up)|is lethal|is enough)",
        r"(?:jump|jumping|jumped|throw myself|leap|leaping|step|stepping) (?:off|from|in front of"
        r"|under) (?:a |the |my |this |that )?(?:\w+ )?(?:bridge|building|roof|rooftop|balcony"
        r"|cliff|ledge|tower|window|overpass|car park|parking garage|train|bus|truck|lorry"
        r"|tracks|platform)",
        r"(?:walk|walking|walked|step|stepping|stepped|drive|driving|drove) (?:out )?into"
        r" (?:the |a )?(?:traffic|oncoming traffic|sea|river|wall|tree)",
        r"(?:standing|stood|sitting|sat|climbed|climbing) (?:on|onto|at|up on) (?:the |a )?"
        r"(?:edge of (?:the |a )?)?(?:roof|rooftop|bridge|railing|tracks|cliff|balcony|ledge)",
        r"(?:on|at) (?:the|a) ledge",
        r"noose",
        r"(?:gun|pistol|firearm|knife)\b[^.]{0,60}\b(?:on|to|against) (?:myself|my head)",
        r"(?:bought|buy|buying|got|tie|tied|tying|hid|hidden) (?:a |some )?rope"
        r"(?! (?:course|access|bridge))",
    ),
    # Self-harm: the word, its chat shorthand "sh", and hurting or cutting oneself.
    _rule(
        "self_harm",
        Concern.SELF_HARM,
        r"self(?:harm|injur|mutilat)\w*",
        r"(?:did|do|doing|relapsed on|relapsed|urges? to|want to|tempted to|clean from) sh",
        r"sh (?:urges?|scars?|wounds?|cuts?|relapse)",
        rf"(?:hurt|hurting|hurts|harm|harming|harmed|cut|cutting|cuts|burn|burning|burned|burnt"
        rf"|scratch|scratching|hit|hitting|punch|punching|starve|starving) {_SELF}",
        r"(?:been|started|start|keep|kept|began|begun|back to|relapsed|urges? to|want to"
        r"|tempted to|stop|stopped|thinking about) (?:cutting|to cut)"
        r"(?= again| \.|$| (?:myself|my (?:arms?|wrists?|legs?|thighs?|skin)))",
        r"(?:cut|cutting|slit|slitting|slash|slashing) (?:my|his|her|their) (?:wrists?|arms?"
        r"|thighs?|legs?|skin)",
        # Keeping blades close and hiding the marks are signs in their own right; bare
        # "blades" only when hidden, since servers and skates have blades too.
        r"(?:keep|keeping|kept|hide|hid|hidden|hiding|holding|hold|grabbed|bought|got|have)"
        r" (?:a |the |my |some |new |spare )?(?:razor blades?|razors)",
        r"(?:hide|hid|hidden|hiding) (?:a |the |my |some )?blades",
        r"(?:hide|hid|hidden|hiding|cover|covering|covered) (?:up )?(?:my |the )?(?:scars|cuts"
        r"|burns|wounds)",
        r"(?:cuts|scars|burns) (?:on|all over) my (?:wrists?|arms?|thighs?|legs?)",
        r"my (?:wrists?|arms?|thighs?|legs?) (?:are |is )?(?:covered in|full of) (?:cuts|scars"
        r"|burns)",
    ),
    # Violence, threats and control at home, including what is reported about others there.
    _rule(
        "violence_at_home",
        Concern.UNSAFE_AT_HOME,
        rf"{_HOUSEHOLD}(?: \w+)? (?:hits|hit|hitting|beats|beat|beating|slaps|slapped|punches"
        rf"|punched|kicks|kicked|chokes|choked|choking|strangles|strangled|hurts|hurt|hurting"
        rf"|attacked|attacks|burned|burns) (?:me|us|my {_HOUSEHOLD_NOUN}|my (?:kids|children"
        rf"|face|head))(?! (?:with|like|that|how))",
        # Pushed down the stairs, not pushed to apply for the promotion.
        rf"{_HOUSEHOLD}(?: \w+)? (?:pushed|pushes|pushing|shoved|shoves|grabbed|grabs) (?:me|us)"
        rf"(?! (?:to|into|toward|towards|forward|harder|for|out of|through|too))",
        rf"{_HOUSEHOLD}(?: \w+)? (?:throws|threw) \w+ at me",
        r"(?:threaten|threatens|threatened|threatening) (?:me|to (?:kill|hurt|hit|beat|harm|stab"
        r"|shoot) (?:me|us|my|the kids))",
        rf"{_HOUSEHOLD} (?:said|says|told me|swore|warned)(?: that)? (?:he|she|they) (?:would|will"
        rf"|is going to|was going to)(?: \w+)? (?:kill|hurt|beat|hit) (?:me|us)",
        r"(?:he|she|they) (?:will|would|is going to|might)(?: \w+)? (?:hurt|beat|hit) me"
        r"(?! (?:with|up))",
        r"domestic (?:violence|abuse)",
        rf"(?:abusive|violent) (?:{_HOUSEHOLD_NOUN}|home|household|relationship)",
        r"(?:been|is|gets|got|getting|was) (?:\w+ )?(?:violent|abusive)",
    ),
    # Not feeling safe at home, or afraid of going back there.
    _rule(
        "unsafe_at_home",
        Concern.UNSAFE_AT_HOME,
        rf"(?:not|never|no longer) (?:feel )?safe(?= \.|$| (?:at home|here|there|anymore"
        rf"|right now|tonight|(?:with|around) (?:him|her|them|my {_HOUSEHOLD_NOUN})|in (?:my|our"
        rf"|this|the) (?:own )?(?:home|house|flat|apartment|room|place)|going home|to go home))",
        r"unsafe (?:at home|in my|around|with)",
        r"(?:afraid|scared|terrified|frightened) (?:to go|of going|to return|of returning"
        r"|to be)(?: back)? home",
        # Afraid of a person, not of "them finding out" or "her feedback".
        rf"(?:afraid|scared|terrified|frightened) (?:of|to go back to) (?:him|her|them"
        rf"|my {_HOUSEHOLD_NOUN})(?= \.|$| (?:and|but|so|because|when|he|she|they|i)\b)",
        rf"(?:afraid|scared|terrified|frightened) (?:of )?what {_HOUSEHOLD_PERSON} (?:will|would"
        rf"|might|is going to|could) do",
        rf"{_HOUSEHOLD_PERSON}(?: \w+)? (?:will not|does not|never|would not) let me (?:leave"
        rf"(?! (?:early|the team|the project|the company|before))|go out|go anywhere"
        rf"|see (?:my )?(?:friends|family)|talk to (?:my )?(?:friends|family|anyone)"
        rf"|have (?:my own |a )?(?:money|phone|keys|bank account|friends))",
        rf"{_HOUSEHOLD_PERSON}(?: \w+)? (?:locks|locked|locking) me (?:in\b|out of (?:the|our"
        rf"|my) (?:house|flat|apartment|home|room))",
        r"(?:somewhere|some place|a place|nowhere|anywhere) safe to (?:go|stay|sleep)",
    ),
    # Intending to hurt someone; "I could kill my boss" stays venting.
    _rule(
        "harm_to_others",
        Concern.HARM_TO_OTHERS,
        r"(?:bring|bringing|take|taking) (?:a |my )?(?:gun|knife|weapon|rifle) to (?:work|the"
        r" office|school)",
        r"shoot up (?:the|my|our) (?:office|school|work|workplace)",
        rf"(?:want|going|plan|planning|planned|urge|urges|tempted|about) to (?:hurt|stab|shoot"
        rf"|poison) (?:someone|somebody|people|everyone|him|her|them|my (?:{_HOUSEHOLD_NOUN}"
        rf"|boss|manager|coworker|colleague|teammate))",
    ),
)
RULE_NAMES = frozenset(rule.name for rule in RULES)


def screen(text: str) -> Screen:
    """Screen one member message and name the rules it trips."""
    folded = _IDIOMS.sub(" ~ ", normalise(text))
    hits = [rule for rule in RULES if rule.pattern.search(folded)]
    concerns = tuple(dict.fromkeys(rule.concern for rule in hits))
    return Screen(bool(hits), concerns, tuple(rule.name for rule in hits))


# --- What the member is told ------------------------------------------------------------------

CRISIS_DEFAULT_RESOURCES = (
    "If you are in immediate danger, call your local emergency number now. To find a free, "
    "confidential crisis line in your country, visit findahelpline.com or the International "
    "Association for Suicide Prevention's list at iasp.info."
)


def safety_message(resources: str | None, *, mentors_told: bool = True) -> str:
    """Write the caring reply that replaces coaching when a message is flagged.

    Say that a mentor is told only when one really is: a server without an alerts channel,
    or the console, must not promise a person who is not coming.
    """
    help_text = resources.strip() if resources and resources.strip() else CRISIS_DEFAULT_RESOURCES
    if mentors_told:
        after = (
            "I've paused our coaching and I'm letting a mentor from this community know, so "
            "someone can check in with you; the alert doesn't quote what you wrote."
        )
    else:
        after = (
            "I've paused our coaching. Please reach out to someone you trust, or to the people "
            "above, as well."
        )
    return (
        "Thank you for telling me. What you're going through matters, and you don't have to "
        "face it alone. I'm an AI coach: not therapy and not an emergency service.\n\n"
        f"{help_text}\n\n"
        f"{after} You can pick this conversation up again whenever you choose."
    )


def safety_reminder(resources: str | None, *, resuming: bool) -> str:
    """Keep the help in reach when a member carries on, or stops, after a safety pause."""
    help_text = resources.strip() if resources and resources.strip() else CRISIS_DEFAULT_RESOURCES
    if resuming:
        return (
            "Welcome back. Whenever you need it, this help is still there for you:\n"
            f"{help_text}\n\nHere is where we were."
        )
    return f"Whenever you need it, this help is still there for you:\n{help_text}"
