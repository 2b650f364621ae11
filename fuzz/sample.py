"""Strings that match the model's patterns: a small sampler for the regex subset they use.

Literals, escapes (\\r, \\n, \\s, \\.), character classes with ranges, `.`, groups with `|`,
the quantifiers ?, *, + and {m,n}, and the anchors ^ and $ (which match nothing here). That is
every construct of the pinned model; `sample` raises ValueError on anything else.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Any

Node = tuple[Any, ...]  # ("lit"|"class", chars), ("seq"|"alt", [nodes]), ("rep", node, low, high)

ANY = string.ascii_letters + string.digits + " -_.:/+="
ESCAPES = {"r": "\r", "n": "\n", "t": "\t", "s": " ", "d": string.digits}


@dataclass
class _Parser:
    text: str
    at: int = 0

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        self.at += 1
        return char

    def alternation(self) -> Node:
        options = [self.sequence()]
        while self.peek() == "|":
            self.take()
            options.append(self.sequence())
        return ("alt", options) if len(options) > 1 else options[0]

    def sequence(self) -> Node:
        items: list[Node] = []
        while self.peek() not in ("", "|", ")"):
            items.append(self.quantified(self.atom()))
        return ("seq", items)

    def atom(self) -> Node:
        char = self.take()
        if char == "(":
            inner = self.alternation()
            if self.take() != ")":
                raise ValueError(f"unbalanced group in {self.text!r}")
            return inner
        if char == "[":
            return ("class", self.char_class())
        if char == ".":
            return ("class", ANY)
        if char in "^$":
            return ("lit", "")
        if char == "\\":
            escaped = self.take()
            return ("class", ESCAPES.get(escaped, escaped))
        if char in "*+?{":
            raise ValueError(f"nothing to repeat in {self.text!r}")
        return ("lit", char)

    def char_class(self) -> str:
        chars: list[str] = []
        if self.peek() == "^":
            raise ValueError(f"negated classes are not sampled: {self.text!r}")
        after_range = False
        while self.peek() not in ("", "]"):
            char = self.take()
            if char == "\\":
                chars.extend(ESCAPES.get(self.take(), ""))
                after_range = False
                continue
            if (
                not (after_range and char == "-")
                and self.peek() == "-"
                and self.at + 1 < len(self.text)
                and self.text[self.at + 1] != "]"
            ):
                self.take()
                end = self.take()
                chars.extend(chr(c) for c in range(ord(char), ord(end) + 1))
                after_range = True
                continue
            chars.append(char)
            after_range = False
        if self.take() != "]":
            raise ValueError(f"unclosed class in {self.text!r}")
        return "".join(dict.fromkeys(chars))

    def quantified(self, node: Node) -> Node:
        char = self.peek()
        if char == "?":
            self.take()
            return ("rep", node, 0, 1)
        if char == "*":
            self.take()
            return ("rep", node, 0, None)
        if char == "+":
            self.take()
            return ("rep", node, 1, None)
        if char == "{":
            self.take()
            body = ""
            while self.peek() not in ("", "}"):
                body += self.take()
            self.take()
            low, _, high = body.partition(",")
            return ("rep", node, int(low or 0), int(high) if high else (None if _ else int(low)))
        return node


def parse(pattern: str) -> Node:
    parser = _Parser(pattern)
    node = parser.alternation()
    if parser.at != len(pattern):
        raise ValueError(f"cannot sample {pattern!r}")
    return node


def _emit(node: Node, rng: random.Random, longest: int, out: list[str]) -> None:
    kind = node[0]
    if kind == "lit":
        out.append(node[1])
    elif kind == "class":
        out.append(rng.choice(node[1]))
    elif kind == "seq":
        for item in node[1]:
            _emit(item, rng, longest, out)
    elif kind == "alt":
        _emit(rng.choice(node[1]), rng, longest, out)
    else:
        _, inner, low, high = node
        top = low + longest if high is None else high
        for _ in range(rng.randint(low, max(low, top))):
            _emit(inner, rng, longest, out)


def sample(pattern: str, rng: random.Random, longest: int = 12) -> str:
    """A string the pattern fully matches; open repetitions draw at most `longest` more."""
    out: list[str] = []
    _emit(parse(pattern), rng, longest, out)
    return "".join(out)
