"""Word lists behind the turn guard, kept apart so the rules stay readable."""

from __future__ import annotations


def _list(text: str) -> tuple[str, ...]:
    """Split a comma-separated word list."""
    return tuple(word.strip() for word in text.split(","))


# Words that open a sentence without changing what kind of sentence it is.
LEAD_INS = _list(
    "and so, so then, all right, in that case, out of curiosity, thank you, i see, mm-hmm, "
    "and, but, so, okay, ok, alright, right, now, well, then, also, just, oh, hmm, um, uh, "
    "yeah, yes, great, good, thanks, sure, mhm, first, next, finally, lastly, honestly, "
    "actually, anyway, maybe, perhaps, please, i guess, i mean"
)

# Listening sounds that, even with a rising "?", invite the member to go on rather than ask.
BACKCHANNELS = _list("yeah, yep, yes, mm, mhm, mm-hmm, mm-hm, uh-huh, hmm, oh, ah, wow, really")

# Set phrases that end in "?" without asking anything ("..., you know what?").
RHETORICAL = r"(?:^|\W)(?:you know what|guess what|who knows)\W*$"

# Fillers that open a sentence only when a comma follows them ("you know, ...").
COMMA_LEAD_INS = _list(
    "you know, i mean, i guess, like, look, listen, can i ask, can i ask you, may i ask, "
    "let me ask you, if i may, if i can, i'm curious"
)

# Verbs that, after "can you" or "could you", invite the member to talk.
TELL_VERBS = _list(
    "tell, share, describe, say, explain, walk me, talk me, talk about, talk to me, "
    "elaborate, expand, go into, fill me in, give me, help me understand, think of, "
    "remember, imagine"
)

WH_WORDS = _list("what, how, which, where, when, who, whose, why, whom")

# Shortened forms that would hide a pattern ("gonna need to").
EXPANSIONS = {"gonna": "going to", "wanna": "want to", "gotta": "got to", "dunno": "don't know"}

# Abbreviations whose full stop does not end a sentence.
ABBREVIATIONS = frozenset(
    _list("e.g, i.e, eg, ie, mr, mrs, ms, dr, prof, sr, jr, st, vs, cf, approx, a.m, p.m, inc, ltd")
)

SUBJECTS = frozenset(_list("i, you, we, they, he, she, it, there"))
# Words that can follow a verb that opens a question in looser, unpunctuated text.
LOOSE_SUBJECTS = SUBJECTS | frozenset(
    _list(
        "that, this, anyone, anybody, someone, somebody, anything, something, my, your, our, "
        "their, his, her, the, any"
    )
)

# "When you get home, ..." opens a time clause, not a question about when.
SUBORDINATE = frozenset(_list("when, where, whenever, wherever"))
# Words that keep a wh-word asking ("Where else ...?", "When exactly ...?").
WH_MODIFIERS = frozenset(_list("else, exactly, about, abouts, now, then"))
# Personal pronouns: after a wh-word they mark a clause inside a statement ("what you said").
PRONOUNS = frozenset(_list("i, you, we, they, he, she, it"))

# Ways of asking without a question word: "I wonder ...", "Could you tell me ...".
WONDER = (
    r"^i(?:'m| am| was|'d| would)?(?: just| really| kind of| sort of| also| still| first)? ?"
    r"(?:wonder(?:ing|ed)?|curious(?: about)?|interested in (?:hearing|knowing|learning)"
    r"|(?:(?:like|love|be interested|interested|want(?:ed)?) to (?:know|hear|ask|learn"
    r"|understand)(?: you| from you)?)"
    # "I wanted to check in and see how it went": only when a question word follows.
    r"|(?:like|love|want(?:ed)?) to (?:find out|check in|check|see|explore)\b[^,.?]*?"
    r"(?=\b(?:how|what|whether|if|where|when|why|which|who)\b))\b[\s,]*(?P<rest>.*)$"
)
# "I wonder if you could tell me ..." invites an account, not a yes or no.
INDIRECT_INVITE = (
    r"^(?:if|whether) you (?:could|can|would|might)(?: just)? (?:tell|share|describe|say more"
    r"|talk|walk|explain|give me|fill me in|help me understand)\b"
)
ASKING_YOU = (
    r"(?:if |maybe )?you (?:could|can|might|would) (?:just )?(?:tell (?:me|us)|share|describe"
    r"|explain|walk me|talk me|say more|fill me in|help me understand)\b"
    r"|(?:can|could|would|will) you (?:please |just )?(?:{tell})\b"
    r"|(?:would|do) you mind (?:telling|sharing|filling|describing|talking|walking|saying)\b"
    r"|any(?:thing|one|body)? (?:else|other)\b"
)
# "What is clear is ..." states rather than asks.
PSEUDO_CLEFT = r"^what\b[^,]*\b(?:is|was|'s)\b[^,]*\b(?:is|was)\b"
# "And then what?", "You felt what?": a question word at the end still asks openly.
TRAILING_WH = (
    r"\b(?:what|how|which|who|where|when)\W*$"
    r"|\b(?:and|or|then|like|such as|so|of|about|with|to|for|by|in|on) (?:what|how|which|who)"
    r"(?: \w+)?\W*$"
)
# A question left open at its end ("..., or?", "or what?") leaves the answer to the member.
OPEN_ALTERNATIVE = r"\bor(?: what| anything else| something else| otherwise)?\W*$"

# An aside after the question proper ("What helped, do you think?") does not close it.
ASIDE = (
    r"^(?:(?:do|would|did) you |you )?(?:think|say|reckon|guess|suppose|imagine|feel)\b"
    r"(?: so)?\W*$|^if (?:any|anything|at all)\W*$|^(?:though|then|now|too|by the way)\W*$"
)

# Wh-questions that ask for a count or an amount, which MITI codes as closed.
FACT_QUESTIONS = r"^how (?:many|much|often|long|old)\b(?! (?:more|else)\b)"

# Yes/no forms that still ask for the member's own account ("Anything else?").
OPEN_ENDED = (
    r"\bany(?:thing|one)? (?:else|other)\b|\b(?:any|an|a|some) (?:idea|ideas|thoughts?|sense"
    r"|feeling|picture) (?:of |about |on |as to )?(?:what|how|why|where|which|who)\b"
    r"|\bthought (?:at all )?about (?:what|how|why|where|which|who)\b"
)
# Openers that invite an open answer without a question mark.
INVITATIONS = _list(
    "tell me, describe, walk me through, talk me through, say more, help me understand, "
    "in what way, to what extent"
)

AUXILIARIES = _list(
    "do, does, did, is, are, was, were, can, could, would, will, should, have, has, had, "
    "may, might, shall, am, must, isn't, aren't, wasn't, weren't, don't, doesn't, didn't, "
    "can't, couldn't, wouldn't, won't, shouldn't, haven't, hasn't, hadn't, mightn't"
)

# Tags that turn a statement into a yes/no check: "..., right?".
TAGS = _list(
    "right, yeah, yes, no, okay, ok, correct, true, huh, eh, isn't it, aren't you, "
    "don't you, doesn't it, didn't you, wasn't it, is it, do you, won't you, can't you, "
    "or not, is that right, is that correct, is that true, is that it, am i right, "
    "did i get that right, does that sound right"
)

# Verbs that open an instruction when they start a sentence.
IMPERATIVE_VERBS = _list(
    "try, consider, make sure, remember, don't forget, do not forget, avoid, stop, start, "
    "focus on, take, use, go, set, write, practice, practise, prepare, schedule, keep, be, "
    "ask, tell, call, contact, reach out, talk to, speak to, get, give, find, limit, cut, "
    "drink, eat, sleep, read, put, plan, block, turn off, check, look into, look for, aim, "
    "add, pick, choose, build, list, track, delegate, don't, do not, never, always, learn, "
    "spend, join, reduce, replace, switch, stick to, break it, split, book, send, update, "
    "apply, quit, rest, relax, breathe, exercise, follow, find out, sign up"
)

# Openers that look imperative but invite the member to think or speak.
EXEMPT_OPENERS = _list(
    "tell me, describe, walk me through, talk me through, say more, imagine, picture, "
    "help me understand, take your time, take a moment, take a breath, feel free, go ahead, "
    "go on, keep going, let's, let me, remember when, think back"
)

# Phrases that direct the member even inside a question ("You should ask, right?").
STRONG_ADVICE: tuple[str, ...] = (
    r"\byou (?:really |probably |definitely |just )?"
    r"(?:should|ought to|must|need to|have to|had better|'d better)\b",
    r"\bi(?: would|'d| might| do| strongly)? (?:suggest|recommend|advise|encourage you)",
    r"\bmy (?:advice|suggestion|recommendation|tip)\b",
    r"\bif i were you\b",
    r"\bi(?:'d| would)? (?:like|want|need) you to\b",
    r"\bwhat i(?:'d| would)? (?:like|want) you to\b",
    r"\bi (?:really )?hope (?:that )?you(?:'ll| will)? (?:consider|try|think about|start|stop)\b",
    r"\b(?:you|we)(?:'ve| have)? (?:just |really )?got to\b",
    r"\b(?:you|we)(?:'ll| will| would|'d| are going to|'re going to)? (?:really |also |still )?"
    r"(?:need|have) to\b",
    r"\byou (?:do|don't|do not) need (?:a|an|to|any)\b",
    r"\byou(?:'re| are) going to (?:have to|need to|take|want to)\b",
    r"\bi(?:'m| am) going to (?:recommend|suggest|ask you to)\b",
)

# Phrases that give advice, information or an opinion in a statement.
ADVICE_PHRASES: tuple[str, ...] = (
    r"\b(?:it's|it is|it'd be|it would be) (?:important|best|essential|crucial|vital|wise|smart"
    r"|better|helpful|useful|a good idea) (?:to|that|if)\b",
    r"\bthe (?:best|right|only|quickest|easiest) (?:way|thing|approach|move)\b",
    r"\bthe (?:key|trick|secret|answer|solution) is\b",
    r"\b(?:studies|research|evidence|data|science|experts|guidelines) (?:show|shows|suggest"
    r"|suggests|say|says|recommend|recommends|has shown|have shown|indicate)\b",
    r"\bone (?:option|idea|thing you could do|approach) (?:is|would be|might be)\b",
    r"\b(?:a|one) good (?:idea|option|approach|strategy|way|first step)\b",
    r"\byou (?:could|might|may) (?:want|wish|like) to\b",
    r"\byou could (?!see|tell|feel|sense|hear|notice|have\b)",
    r"\byou (?:can|might|may) (?:try|start|consider|use|ask|talk|set|schedule|plan|write)\b",
    r"\bwhy not\b",
    r"\btry (?:to|not to|and|doing|using|writing|setting|taking|asking|talking)\b",
    r"\b(?:that's|that is|it's|it is|this is|which is) (?:a |an )?(?:completely |totally |very "
    r"|quite |perfectly |really )?(?:normal|common|natural|typical|expected|usual)\b",
    r"\b(?:many|most|lots of|a lot of|plenty of) (?:people|managers|engineers|candidates"
    r"|new managers) (?:find|feel|struggle|have|go through|experience|do|say|tend)\b",
    # "Most people in your position look for a mentor": what others do, offered as a model.
    r"\b(?:most|many|lots of|a lot of|plenty of) (?:people|folks|managers|engineers|others)"
    r" (?:in|at|like) (?:your|you|a) \w+",
    r"\bhere(?:'s| is) (?:the|my|an|one|what) (?:answer|solution|fix|plan|trick|key|i'd do)\b",
    r"\b(?:according to|we know that|it's been shown|it has been shown|is linked to"
    r"|increases the risk|reduces the risk|is associated with)\b",
    r"\b(?:in my experience|my experience (?:is|was)|what i would do|what i'd do)\b",
    # The coach's own opinion is information too, unless it frames a reflection.
    r"\b(?:i (?:really |honestly )?(?:think|believe|reckon|suppose)|in my (?:opinion|view)"
    r"|my (?:sense|view|opinion|hunch|guess) is)\b"
    r"(?! (?:that )?(?:what )?you(?:'re| are)? (?:saying|feeling|telling|describing|mean)\b)"
    r"(?! so\b| i (?:hear|understand|get)\b)"
    # Praise ("I think that's a great plan") affirms the member rather than informs.
    r"(?! (?:that )?(?:that's|that is|it's|it is|you've|you have|you're|you are) (?:a |an |been )?"
    r"(?:really |very |so |doing )?(?:great|good|excellent|wonderful|brilliant|fantastic"
    r"|amazing|impressive|got off)\b)",
    r"\b(?:would|might|could|will) (?:not )?be (?:a (?:good|bad|great) idea|good|best|better"
    r"|wise|helpful|useful|worth)\b",
    r"\b(?:it|that|this) (?:can|could|may|might|would|will) (?:really )?help (?:to|if|you)\b",
    r"\bit helps to\b",
    r"\b(?:here's|here is|here are) (?:what (?:to|you (?:should|could|can|need))"
    r"|what i(?:'d| would)|(?:a|an|my|one|some|a few) (?:tips?|ideas?|suggestions?|options?"
    r"|ways?|steps?|things))\b",
    r"\b(?:one|another|the other) (?:thing|idea|option|way|step) (?:that )?(?:is|would be"
    r"|you could|i'd|i would|i might|we could)\b",
    # "A list is a good way to start": a means recommended, unless it gives back the
    # member's own view ("You said a list is a good way to start").
    r"^(?!.*\byou (?:said|mentioned|think|feel|find|found|told|believe|know)\b)"
    r".*\b(?:is|are|'s|would be|could be|can be) (?:a |an |one )?(?:really |very )?(?:good|great"
    r"|helpful|useful|effective|safe|simple|easy) (?:way|idea|option|strategy|tool|approach"
    r"|step|habit|rule|place|thing) (?:to|for)\b",
    r"\b(?:they|it|this|that|these|those)(?: \w+)? (?:really )?(?:needs?|has|have) to"
    r" (?:stop|change|end|be (?:cut|stopped|reduced|changed))\b",
    r"\b(?:a couple of|some|another|an) (?:ideas?|suggestions?|tips?|options)\b",
    r"\bi(?:'m| am) (?:a bit |really |very |quite )?(?:concerned|worried) (?:about|that)\b",
    r"\bi have (?:a couple of |some |a few )?concerns\b",
    r"\b(?:can|could|may|might|will) (?:also )?(?:cause|lead to|increase|damage|harm|raise|"
    r"trigger|worsen)\b",
    r"\b(?:risks?|dangers?) (?:of|is|are)\b",
    r"\b(?:recommended|guidelines?)\b",
    r"\b(?:so|and|but|then) (?:just |also )?(?:make sure|try to|remember to|don't forget)\b",
    r"\bwe (?:could|can|should|might) (?:also )?(?:try|start|work on|look at|take a look)\b",
    r"\b(?:more|less) likely to\b",
    r"\b(?:just so you know|i want(?:ed)? to let you know|let you know that)\b",
    r"\b(?:people|clients|patients|folks|others|colleagues) (?:i've|i have|i) (?:worked|work|seen"
    r"|coached|talked)\b",
    r"\bwhat (?:i've|i have) (?:found|seen|noticed)\b|\bi(?:'ve| have)? found (?:that|in)\b",
    r"(?<!you )(?<!you often )\btends? to\b",
    r"\b(?:can|will|does) (?:really |also |often )?help\b",
    r"\bthe (?:recommendation|research|evidence|data|science|downside|upside|good news"
    r"|bad news)\b",
    r"\b(?:we call|we define|is called|it's called)\b",
    r"\b(?:helps?|works?) (?:for )?(?:many|most|a lot of|lots of|some) (?:people|managers|folks)\b",
    r"\bone thing that (?:helps|works|can help)\b",
    r"\byou (?:might|may|could|will|would) find it (?:useful|helpful|easier|worth)\b",
    r"\b(?:i(?:'d| would)?(?: just)? (?:like|love|want) to|let me) (?:share|tell you|explain"
    r"|give you|offer|remind)\b",
    r"\b(?:it's|it is|that's|that is) (?:very |really |pretty |quite |not |actually )?(?:rare|safe"
    r"|unsafe|dangerous|risky|harmful|unhealthy|illegal|permanent|contagious)\b",
    r"\bif you\b[^,]*, (?:then )?you(?:'ll| will)\b",
    r"\bthere (?:is|are|'s) (?:also )?(?:a lot of|lots of|plenty of|some|many) (?:support|groups"
    r"|resources|programs|courses|books|tools|apps|options|ways)\b",
)

# Questions that carry a suggestion: advice in question form.
ADVICE_QUESTIONS: tuple[str, ...] = (
    r"^(?:have|has) you (?:ever )?(?:considered|tried|thought about|looked into|thought of)\b"
    r"(?! (?:what|how|where|when|who|which|whether|if)\b)",
    r"^(?:did|do) you (?:ever )?(?:consider|try)\b(?! (?:what|how|where|when|who|which)\b)",
    r"^what if you\b",
    r"^what if (?:we|i) (?:tried|try|started|start)\b",
    r"^how about (?:if|we|trying|you (?!\?)\w)(?!\w* (?:you )?(?:tell|share|describe|say)\b)",
    r"^(?:what|how) about (?:trying|asking|talking to|setting|using|making|taking|getting|starting"
    r"|writing|scheduling|blocking|speaking to|reaching out)\b",
    # "What about asking her?" puts forward an action; "What about driving?" names a topic.
    r"^(?:what|how) about (?:just |maybe |simply |perhaps )?(?!being|feeling|thinking|knowing"
    r"|wanting|looking back|seeing|sharing|telling|talking|describing|saying)\w+ing \w",
    r"^why (?:don't|not|wouldn't) you\b(?! (?:tell|share|fill|say|describe|talk me|walk me)\b)",
    r"^why not\b",
    # Asking leave to share ("Would it help if I shared ...?") is a question, not advice yet.
    r"^(?:would|could|might|wouldn't|will) it (?:help|be (?:helpful|useful|worth|easier|better|"
    r"a good idea|wise|possible)) (?:to|if)\b(?! (?:i|we) \w+| (?:give|share|tell|show|offer"
    r"|go over) (?:you|some)\b)",
    r"^(?:would|could|can) you (?:maybe |perhaps |possibly |please )?(?:try|start|stop|consider"
    r"|make|use|set|write|practice|practise|just|simply)\b",
    r"^(?:would|could) you be (?:willing|open|able) to (?:try|start|stop|consider|cut|make|use"
    r"|set|ask|talk|take|give|drop|switch)\b",
    r"^(?:isn't|is) it (?:about )?time (?:to|you|for you)\b(?! to (?:talk|share|tell|look back))",
    r"^(?:couldn't|can't) you\b(?! (?:tell|share|say|describe|see|feel)\b)",
    r"^(?:wouldn't|shouldn't) you (?:just|simply|rather|want to|try|prefer)\b",
    r"^(?:have you )?ever (?:thought of|thought about|considered|tried)\b"
    r"(?! (?:what|how|where|when|who|which|whether|if)\b)",
    r"^(?:wouldn't|isn't|won't) it be (?:better|best|easier|smarter|wiser)\b",
    r"^do you think you (?:should|could try|might try|ought to|need to)\b",
    r"^shouldn't you\b",
    r"^(?:do you think )?\w+ing\b[^?,]* (?:might|would|could|will|can) (?:help|work)\b",
    r"^(?:what|how) (?:would|do) you (?:think|feel) about (?:a plan|the idea"
    r"|(?!being|having|feeling|thinking|seeing|that|this|it\b|what|how|your|the)\w+ing)\b",
    r"^(?:could|should|can) you not\b",
)

# Pushes that make even an open question a suggestion ("What if you just asked her?").
NUDGES: tuple[str, ...] = (
    r"\bif you (?:just|simply|only) \w",
    r"\b(?:from|than) (?:just|simply) \w+ing\b",
    r"\b(?:you|we) (?:could|can|might) (?:just|simply)\b",
    r"\bwhy not\b",
)

# Suggestions that turn a yes/no question into advice ("Maybe you could ask her?").
QUESTION_SUGGESTIONS: tuple[str, ...] = (
    r"\byou (?:could|might|may) (?:want|wish|like) to\b",
    # "Is there someone you could call?" asks about the member's own options.
    r"(?<!that )(?<!which )(?<!who )(?<!thing )(?<!one )(?<!body )(?<!how )(?<!what )"
    r"\byou could "
    r"(?!see|tell|feel|sense|hear|notice|think|remember|recall|imagine|name|say|share|describe"
    r"|have\b|be\b|do\b)",
    r"\byou (?:can|might|may) (?:try|start|consider|use|ask|talk|set|schedule|plan|write)\b",
    r"\btry(?:ing)? (?:(?:to|not to|and) (?!think|remember|recall|imagine|picture)\w+"
    r"|\w+ing|(?:a|an|the|some|this|that|another) \w+)\b",
    r"\bworth (?:\w+ing|a try|a shot|it to)\b",
    r"\bmake sense to\b",
    r"\b(?:be|is) (?:a good idea|wise|smart|better|best) to\b",
    r"\b(?:it|that|this) (?:can|could|may|might|would|will) (?:really )?help"
    r" (?:to|if you|you to)\b",
    # A thing put forward as the fix ("Wouldn't a list help?", "A short walk might help?").
    r"\b(?:would|might|could|wouldn't|couldn't|won't) (?:a|an|some|more|less|fewer|another)\b"
    r"[^?,]* (?:help|work)\b",
    r"\b(?:a|an|some|more|less|fewer|another) \w+(?: \w+)? (?:might|would|could|will|can)"
    r" (?:really )?(?:help|work)\b",
)

# Language that blames, orders or argues (T4).
CONFRONTING: tuple[str, ...] = (
    r"\byou (?:really |just |simply )?(?:should|must|have to|need to|ought to)\b",
    r"\bwhy (?:didn't|haven't|did|can't|couldn't|wouldn't|won't|would|aren't|isn't|on earth)"
    r" (?:you|your)\b",
    # "Why don't you tell me more" invites; "why don't you just ask her" pushes.
    r"\bwhy don't you\b(?! (?:tell|share|fill|say|describe|talk me|walk me)\b)",
    r"\byou (?:failed|blew it|messed up|screwed up)\b",
    r"\b(?:that's|that is|you're|you are|you were|that was) (?:just |simply |plainly )?wrong\b",
    r"\bwhat's wrong with you\b",
    r"\bwhat is wrong with you\b",
    r"\bobviously\b",
    r"\bjust do\b",
    r"\byou always\b",
    r"\byou never (?!know\b)",
    r"\b(?:no|stop making|stop with the) excuses\b",
    r"\b(?:get over it|man up|toughen up|grow up|stop complaining|stop whining)\b",
    r"\byou're being (?:lazy|silly|ridiculous|dramatic|unreasonable|irrational|childish)\b",
    r"\bwhat were you thinking\b",
)

# Diagnosis, medication and diet talk (T7).
CLINICAL: tuple[str, ...] = (
    r"\bdiagnos",
    r"\bdisorders?\b",
    r"\bclinical(?:ly)?\b",
    r"\bsyndrome\b",
    r"\bsymptoms? of\b",
    r"\b(?:you|you've|you may|you might|you probably|you clearly) (?:have|got|suffer from"
    r"|are suffering from|have got) (?:a |an )?(?:depression|anxiety|adhd|add|ocd|ptsd|bipolar"
    r"|insomnia|burnout|autism|panic attacks|mental illness)\b",
    r"\b(?:sounds|looks|seems) like (?:depression|anxiety|adhd|ocd|ptsd|bipolar|insomnia|a panic"
    r" attack)\b",
    r"\bmedications?\b",
    r"\bmedicines?\b",
    r"\bmeds\b",
    r"\bpills?\b",
    r"\btablets?\b",
    r"\bantidepressants?\b",
    r"\bssris?\b",
    r"\bdos(?:e|es|age|ing)\b",
    r"\bprescri",
    r"\bmelatonin\b",
    r"\b(?:xanax|valium|adderall|ritalin|zoloft|prozac|sertraline|lexapro|ambien|benzo\w*)\b",
    r"\bibuprofen\b",
    r"\bpainkillers?\b",
    r"\bdiet(?:s|ary|ing)?\b",
    r"\bcalori(?:e|es|c)\b",
    r"\bfasting\b",
    r"\bsupplements?\b",
    r"\bvitamins?\b",
    r"\bcaffeine\b",
    r"\bketo\b",
    r"\bcarbs?\b",
    r"\b(?:sugar|protein|alcohol|salt) intake\b",
    r"\bweight loss\b",
    r"\blose weight\b",
    r"\bbmi\b",
)

# A general claim stated as fact ("Breaks improve focus") is information, not reflection.
GENERAL_CLAIMS: tuple[str, ...] = (
    r"\b(?:usually|typically|generally|commonly|often|in general|tends? to|is known to)\b",
    r"^\w+ing\b[^,]* (?:improves|helps|reduces|increases|boosts|lowers|raises|builds|prevents"
    r"|is (?:a |an )?(?:good|great|key|important|essential|proven|effective))\b",
)

# Starts of a statement about the member's own view.
REFLECTION_OPENERS = _list(
    "you, your, you're, you've, you'd, you'll, it sounds, sounds like, it seems, seems like, "
    "it looks like, so you, part of you, on one hand, on the one hand, you said, for you, "
    "what i'm hearing, i'm hearing, i hear, if i understand, if i'm hearing, "
    "what you're saying"
)

# Starts that give the member's view back even when the sentence ends with a rising "?".
SUMMARY_OPENERS = _list(
    "it sounds, sounds like, it seems, seems like, it looks like, what i'm hearing, i'm hearing, "
    "i hear, if i understand, if i'm hearing, what you're saying, in other words, "
    "on one hand, on the one hand, part of you, in your words, you said, you're saying"
)

# Words that report the member's own view: what follows them is theirs, not the coach's
# advice ("So you feel you have to say yes").
REPORT_FRAME = (
    r"\byou(?:'re| are| were|'ve| have)?(?: really| still| just| also| kind of| sort of)? "
    r"(?:feel(?:ing)?(?: like)?|felt(?: like)?|think(?:ing)?|thought|said|say(?:ing)?|mentioned"
    r"|believe|told (?:me|us)|telling (?:me|us)|being told|been told|wonder(?:ing)?|worried"
    r"|afraid|not sure|unsure|wish|hoping|hope|seem to think|noticed|reali[sz]ed?|decided"
    r"|concerned|annoyed|want(?:ed)?|wanna)\b"
    r"|\byou(?:'d| would) (?:really )?(?:like|love)\b"
)

# Weaker starts that make a reflection only when the sentence is about "you".
WEAK_REFLECTION_OPENERS = _list(
    "it's like, that, this, this is, that's, that is, it's, it is, there's, a part of, "
    "somewhere, the"
)
