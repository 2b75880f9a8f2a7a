"""Data files (packages/hf/src/data): JSONL lines in the project's format (query, response, harmful, optional
uEnd/kEnd), the public SafeKey / STAR-1 format (question, response, summary_end_idx, next_sentence_end_idx,
source), or already tokenised samples as ``safekey export`` writes them (ids, promptEnd, keyStart, keyEnd,
harmful). Character offsets count code points, as Python's ``str`` does (and the TypeScript reader converts).
A record that mixes formats, or gives one of a pair of span fields, is refused."""
import json
from dataclasses import dataclass

from .errors import SafekeyError


@dataclass(frozen=True)
class RawSample:
    query: str
    response: str
    harmful: int
    u_end: int | None = None
    k_end: int | None = None
    source: str | None = None  # file:line it was read from


@dataclass(frozen=True)
class Sample:
    """Token ids and spans: prompt [0, prompt_end), U [prompt_end, key_start), K [key_start, key_end)."""
    ids: tuple[int, ...]
    prompt_end: int
    key_start: int
    key_end: int
    harmful: int


def check_spans(s: Sample) -> str | None:
    """Why the spans are unusable (0 < promptEnd < keyStart < keyEnd <= length), or None."""
    n = len(s.ids)
    if 0 < s.prompt_end < s.key_start < s.key_end <= n:
        return None
    return (f"spans must satisfy 0 < promptEnd < keyStart < keyEnd <= length, got promptEnd {s.prompt_end}, "
            f"keyStart {s.key_start}, keyEnd {s.key_end}, length {n}")


def _is_offset(u) -> bool:
    return isinstance(u, int) and not isinstance(u, bool) and u >= 0


def _field(obj: dict, name: str, check, what: str, optional: bool = False):
    if name not in obj:
        if optional:
            return None
        raise ValueError(f"field '{name}': missing")
    v = obj[name]
    if not check(v):
        raise ValueError(f"field '{name}': expected {what}, got {json.dumps(v)}")
    return v


def decode_line(u) -> RawSample | Sample:
    """One JSON value as a sample; a ValueError names the field."""
    if not isinstance(u, dict):
        raise ValueError(f"expected a JSON object, got {json.dumps(u)[:40]}")
    string = lambda v: isinstance(v, str)
    problem = _mix_problem(u)
    if problem:
        raise ValueError(problem)
    if "ids" in u:
        ids = _field(u, "ids", lambda v: isinstance(v, list) and all(_is_offset(x) for x in v), "a list of non-negative integers")
        s = Sample(tuple(ids), *(int(_field(u, k, _is_offset, "a non-negative integer")) for k in ("promptEnd", "keyStart", "keyEnd")),
                   harmful=_field(u, "harmful", lambda v: v in (0, 1) and not isinstance(v, bool), "0 | 1"))
        problem = check_spans(s)
        if problem:
            raise ValueError(problem)
        return s
    if "question" in u:
        q = _field(u, "question", string, "string")
        r = _field(u, "response", string, "string")
        ue = _field(u, "summary_end_idx", _is_offset, "non-negative integer", optional=True)
        ke = _field(u, "next_sentence_end_idx", _is_offset, "non-negative integer", optional=True)
        src = _field(u, "source", string, "string", optional=True)
        _check_pair(u, "summary_end_idx", "next_sentence_end_idx")
        return RawSample(q, r, 0 if src == "4o_rewrite" else 1, ue, ke)
    q = _field(u, "query", string, "string")
    r = _field(u, "response", string, "string")
    h = _field(u, "harmful", lambda v: v in (0, 1) and not isinstance(v, bool), "0 | 1")
    _check_pair(u, "uEnd", "kEnd")
    return RawSample(q, r, h, _field(u, "uEnd", _is_offset, "non-negative integer", optional=True),
                     _field(u, "kEnd", _is_offset, "non-negative integer", optional=True))


def _check_pair(u: dict, a: str, b: str) -> None:
    if (a in u) != (b in u):
        given, missing = (a, b) if a in u else (b, a)
        raise ValueError(f"field '{missing}': missing while '{given}' is given (give both, or neither to locate K by sentences)")


def _mix_problem(u: dict) -> str | None:
    """Fields of two formats on one record (packages/hf/src/data/sampleCodec.ts, the same messages)."""
    if "question" in u and "query" in u:
        return "fields 'question' and 'query' are both given (the public format's and the project's); give one"
    if "question" in u and "harmful" in u:
        return ("field 'harmful' with 'question': the public format (question, response) takes the label from 'source' "
                "('4o_rewrite' is benign); use query/response/harmful for an explicit label")
    if ("summary_end_idx" in u or "next_sentence_end_idx" in u) and "question" not in u:
        return "fields 'summary_end_idx' / 'next_sentence_end_idx' belong to the public format (with 'question'); the project's format names them uEnd / kEnd"
    if ("uEnd" in u or "kEnd" in u) and "question" in u:
        return "fields 'uEnd' / 'kEnd' with 'question': the public format names them summary_end_idx / next_sentence_end_idx"
    return None


def read_samples(file: str) -> list[RawSample | Sample]:
    """Reads a JSONL data file (UTF-8, a BOM skipped); the first bad line is a SafekeyError ``file:line: message``.
    Blank lines are skipped; a file without samples is an error."""
    try:
        with open(file, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise SafekeyError(f"{file}: cannot read: {e.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        at = e.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        line = raw[:at].count(b"\n") + 1
        raise SafekeyError(f"{file}:{line}: not valid UTF-8 (byte {at} of the file, 0x{raw[at]:02x})") from None
    lines = text.split("\n")
    out: list[RawSample | Sample] = []
    for i, line in enumerate(lines):
        if line.strip() == "":
            continue
        try:
            u = json.loads(line)
        except ValueError as e:
            raise SafekeyError(f"{file}:{i + 1}: not JSON ({e})") from None
        try:
            s = decode_line(u)
        except ValueError as e:
            raise SafekeyError(f"{file}:{i + 1}: {e}") from None
        if isinstance(s, RawSample):
            if s.u_end is not None and s.k_end is not None and not (s.u_end < s.k_end <= len(s.response)):
                raise SafekeyError(f"{file}:{i + 1}: offsets must satisfy uEnd < kEnd <= response length ({len(s.response)} code points), "
                                   f"got uEnd {s.u_end}, kEnd {s.k_end}")
            s = RawSample(s.query, s.response, s.harmful, s.u_end, s.k_end, f"{file}:{i + 1}")
        out.append(s)
    if not out:
        raise SafekeyError(f"{file}: the file is empty: no samples")
    return out
