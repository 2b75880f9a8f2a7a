"""Raw samples to token spans (packages/safekey/src/data/encodeSample.ts, packages/hf/src/tokenizer/sampleEncoder.ts).

The tokenizer is the checkpoint's ``tokenizer.json`` run by Hugging Face ``tokenizers``. Each token's character
span is computed from its bytes, untrimmed and in code points (the unit of the data files' offsets): a token
covers every character one of whose UTF-8 bytes it holds (``tokenizers`` trims white space off ByteLevel offsets,
which would move a boundary)."""
import bisect
import json
import os
import re
from dataclasses import dataclass

from .data import RawSample, Sample
from .errors import SafekeyError
from .sentences import locate_spans

DEFAULT_PROMPT_TEMPLATE = "<|user|>{query}<|end_of_turn|><|assistant|>"
EOS = "<|eos|>"
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level alphabet, character to byte."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def char_to_token_boundary(ends: list[int], char_pos: int) -> int:
    """The number of leading tokens that end at or before ``char_pos`` (a straddling token counts as after it)."""
    return bisect.bisect_right(ends, char_pos)


@dataclass
class Encoder:
    """The prompt in the chat format, a response with offsets, and the end-of-sequence id."""
    tokenizer: object
    prompt_template: str | None
    jinja: object | None  # a transformers tokenizer whose chat_template formats the prompt, when there is no safekey template
    eos: int | None

    def encode(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids
        added = self._added
        byte_char: list[int] = []  # the character each UTF-8 byte of text belongs to
        for ci, ch in enumerate(text):
            byte_char.extend([ci] * len(ch.encode("utf-8")))
        offsets, pos = [], 0
        dec = self._decoder
        for i in ids:
            if i in added:
                n = len(added[i].encode("utf-8"))
            else:
                piece = self.tokenizer.id_to_token(i)
                if any(c not in dec for c in piece):
                    raise SafekeyError(f"token {i} ({piece!r}) is not byte-level: only byte-level BPE tokenizers are supported")
                n = len(piece)  # one character of the byte-level alphabet per byte
            if n == 0 or pos + n > len(byte_char):
                raise SafekeyError(f"token {i} does not cover the text's bytes: the tokenizer changes the text (normalizer?), which is not supported")
            offsets.append((byte_char[pos], byte_char[pos + n - 1] + 1))
            pos += n
        if pos != len(byte_char):
            raise SafekeyError("the tokens do not cover the whole text: the tokenizer changes the text (normalizer?), which is not supported")
        return ids, offsets

    def prompt(self, query: str) -> list[int]:
        if self.prompt_template is not None:
            # one pass, as fillTemplate: text inserted for {query} is never scanned again
            text = _PLACEHOLDER.sub(lambda m: query if m.group(1) == "query" else m.group(0), self.prompt_template)
            return self.encode(text)[0]
        text = self.jinja.apply_chat_template([{"role": "user", "content": query}], tokenize=False, add_generation_prompt=True)
        return self.encode(text)[0]

    def __post_init__(self):
        self._decoder = _byte_decoder()
        self._added = {i: t.content for i, t in self.tokenizer.get_added_tokens_decoder().items()}


def load_encoder(tokenizer_file: str) -> Encoder:
    """The encoder of a ``tokenizer.json``, with the chat format of the ``tokenizer_config.json`` beside it: the
    project's ``safekey_chat_template`` when present, else a Jinja ``chat_template``, else the project's default."""
    from tokenizers import Tokenizer
    try:
        tok = Tokenizer.from_file(tokenizer_file)
    except Exception as e:  # tokenizers raises its own exception types
        raise SafekeyError(f"{tokenizer_file}: {e}") from None
    config_file = os.path.join(os.path.dirname(tokenizer_file), "tokenizer_config.json")
    config = {}
    if os.path.exists(config_file):
        with open(config_file, encoding="utf-8") as f:
            config = json.load(f)
    template, jinja = DEFAULT_PROMPT_TEMPLATE, None
    if isinstance(config.get("safekey_chat_template"), dict):
        template = config["safekey_chat_template"]["prompt"]
    elif isinstance(config.get("chat_template"), str) or os.path.exists(os.path.join(os.path.dirname(tokenizer_file), "chat_template.jinja")):
        from transformers import AutoTokenizer
        template, jinja = None, AutoTokenizer.from_pretrained(os.path.dirname(tokenizer_file))
    eos = tok.token_to_id(EOS)
    if eos is None and isinstance(config.get("eos_token"), str):
        eos = tok.token_to_id(config["eos_token"])
    return Encoder(tok, template, jinja, eos)


def encode_sample(enc: Encoder, s: RawSample | Sample, max_length: int, u_sentences: int) -> Sample | str:
    """The sample's tokens and spans, or why it cannot be trained on (the TypeScript messages)."""
    if isinstance(s, Sample):
        if s.key_end > max_length:
            return f"K ends at token {s.key_end}, beyond the length limit {max_length}"
        return Sample(s.ids[:max_length], s.prompt_end, s.key_start, s.key_end, s.harmful)
    if s.u_end is not None and s.k_end is not None:
        u_end, k_end = s.u_end, s.k_end
    else:
        located = locate_spans(s.response, u_sentences)
        if located is None:
            return "no K: the reasoning has too few sentences to locate U and K"
        u_end, k_end = located
    prompt = enc.prompt(s.query)
    ids, offsets = enc.encode(s.response)
    ends = [e for _, e in offsets]
    p = len(prompt)
    k0 = p + char_to_token_boundary(ends, u_end)
    k1 = p + char_to_token_boundary(ends, k_end)
    all_ids = prompt + ids + ([enc.eos] if enc.eos is not None else [])
    if k0 <= p:
        return "empty U: no response token before the key sentence"
    if k1 <= k0:
        return "empty K: the key sentence has no tokens"
    if k1 > max_length:
        return f"K ends at token {k1}, beyond the length limit {max_length}"
    return Sample(tuple(all_ids[:max_length]), p, k0, k1, s.harmful)


def encode_samples(enc: Encoder | None, raw: list, max_length: int, u_sentences: int) -> tuple[list[Sample], list[tuple[int, str]]]:
    """Encodes a data set; samples that cannot be trained on come back with where they are (file:line) and why."""
    samples, skipped = [], []
    for index, s in enumerate(raw):
        if enc is None and not isinstance(s, Sample):
            raise SafekeyError("the data has raw samples (query, response) but the run has no tokenizer")
        r = encode_sample(enc, s, max_length, u_sentences)
        if isinstance(r, str):
            skipped.append((s.source or f"sample {index + 1}", r))
        else:
            samples.append(r)
    return samples, skipped
