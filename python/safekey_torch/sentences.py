"""The sentence locator (packages/safekey/src/data/sentences.ts) for data without offsets."""

# JavaScript's \s
_JS_SPACE = set("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | {chr(c) for c in range(0x2000, 0x200B)}


def sentence_ends(text: str) -> list[int]:
    """The index just after each '.', '?' or '!' followed by white space or the end, except the dots of '...'."""
    ends = []
    for i, c in enumerate(text):
        if c not in ".?!":
            continue
        if c == "." and ((i > 0 and text[i - 1] == ".") or (i + 1 < len(text) and text[i + 1] == ".")):
            continue
        if i + 1 == len(text) or text[i + 1] in _JS_SPACE:
            ends.append(i + 1)
    return ends


def locate_spans(response: str, u_sentences: int = 1) -> tuple[int, int] | None:
    """(uEnd, kEnd) as indices into ``response``: U the first ``u_sentences`` sentences of the reasoning, K the next."""
    open_ = response.find("<think>")
    close = response.find("</think>")
    start = open_ + len("<think>") if open_ >= 0 else 0
    stop = close if close > start else len(response)
    ends = [e + start for e in sentence_ends(response[start:stop])]
    if len(ends) < u_sentences + 1:
        return None
    return ends[u_sentences - 1], ends[u_sentences]
