"""A tiny reader for the YAML subset the exp configs use (standard library only).

Supported:
  * nested block mappings by indentation (spaces only), ``key: value``;
  * scalars resolved like YAML 1.2's core schema (what the JavaScript
    ``yaml`` package does): integers (``12``, ``-3``, ``0x1f``, ``0o17``),
    floats (``0.05``, ``1e-3``, ``.5``, ``.inf``, ``.nan``), ``true``/``false``,
    ``null``/``~``/empty value, single- and double-quoted strings, plain strings;
  * inline (flow) lists on one line: ``[a, 1, "b c", [2, 3]]``;
  * ``#`` comments (whole-line or after a value) and blank lines.

Anything else (block sequences ``- item``, flow mappings ``{...}``, block
scalars ``|``/``>``, anchors, aliases, tags, multi-line values, multiple
documents, tabs in indentation, duplicate keys) raises :class:`YamlError`, a
``ValueError`` whose message starts with ``line N:``.

    >>> loads("a:\\n  b: 1e-3  # comment\\n  c: [1, two]\\n")
    {'a': {'b': 0.001, 'c': [1, 'two']}}
"""

import re

__all__ = ["YamlError", "loads", "load"]


class YamlError(ValueError):
    """Parse error; ``lineno`` is 1-based (0 if not tied to a line)."""

    def __init__(self, lineno, message, source=None):
        self.lineno = lineno
        self.message = message
        self.source = source
        where = "line %d" % lineno
        if source:
            where = "%s: %s" % (source, where)
        ValueError.__init__(self, "%s: %s" % (where, message))


_INT_RE = re.compile(r"[-+]?[0-9]+\Z")
_HEX_RE = re.compile(r"0x[0-9a-fA-F]+\Z")
_OCT_RE = re.compile(r"0o[0-7]+\Z")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF_RE = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN_RE = re.compile(r"\.(nan|NaN|NAN)\Z")

# characters that cannot start a plain scalar (or a key) in our subset
_INDICATORS = "[]{},#&*!|>'\"%@`"


def resolve_plain(text):
    """Resolve a plain (unquoted) scalar with the YAML 1.2 core schema."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT_RE.match(text):
        return int(text, 10)
    if _HEX_RE.match(text):
        return int(text[2:], 16)
    if _OCT_RE.match(text):
        return int(text[2:], 8)
    if _FLOAT_RE.match(text):
        return float(text)
    if _INF_RE.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN_RE.match(text):
        return float("nan")
    return text


_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v",
    "f": "\f", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
    "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029",
}


class _Scanner(object):
    """Parses one value (the text after ``key:``) of line ``lineno``."""

    def __init__(self, text, lineno, source):
        self.s = text
        self.i = 0
        self.lineno = lineno
        self.source = source

    def fail(self, message):
        raise YamlError(self.lineno, message, self.source)

    def skip_ws(self):
        while self.i < len(self.s) and self.s[self.i] == " ":
            self.i += 1

    def at_comment(self):
        # '#' starts a comment at the beginning or after whitespace
        return (self.i < len(self.s) and self.s[self.i] == "#"
                and (self.i == 0 or self.s[self.i - 1] in " \t"))

    def parse_top(self):
        self.skip_ws()
        value = self.parse_node(in_flow=False)
        self.skip_ws()
        if self.i < len(self.s) and not self.at_comment():
            self.fail("unexpected text after value: %r" % self.s[self.i:])
        return value

    def parse_node(self, in_flow):
        if self.i >= len(self.s) or self.at_comment():
            return None
        ch = self.s[self.i]
        if ch == "[":
            return self.parse_list()
        if ch == '"':
            return self.parse_double()
        if ch == "'":
            return self.parse_single()
        if ch == "{":
            self.fail("inline mappings {...} are not supported; use an indented block")
        if ch in "|>":
            self.fail("block scalars (| or >) are not supported; write the value on one line")
        if ch in "&*":
            self.fail("anchors and aliases (& and *) are not supported")
        if ch == "!":
            self.fail("tags (!) are not supported")
        if ch == "-" and (self.i + 1 == len(self.s) or self.s[self.i + 1] == " "):
            self.fail("block sequences ('- item') are not supported; use an inline list [a, b]")
        if ch in "%@`":
            self.fail("a plain value cannot start with %r; quote it" % ch)
        if ch in "],":
            self.fail("unexpected %r" % ch)
        return self.parse_plain(in_flow)

    def parse_plain(self, in_flow):
        start = self.i
        s = self.s
        while self.i < len(s):
            ch = s[self.i]
            if ch == "#" and s[self.i - 1] in " \t":
                break
            if in_flow and ch in ",[]{}":
                break
            if ch == ":" and (self.i + 1 == len(s) or s[self.i + 1] == " "):
                self.fail("unexpected ': ' inside a value (nested mappings must go on their own "
                          "indented lines; quote the value if it is a string)")
            self.i += 1
        text = s[start:self.i].rstrip(" \t")
        return resolve_plain(text)

    def parse_double(self):
        s = self.s
        self.i += 1
        out = []
        while True:
            if self.i >= len(s):
                self.fail("unterminated double-quoted string (quoted values must fit on one line)")
            ch = s[self.i]
            if ch == '"':
                self.i += 1
                return "".join(out)
            if ch == "\\":
                if self.i + 1 >= len(s):
                    self.fail("unterminated escape in double-quoted string")
                e = s[self.i + 1]
                if e in _ESCAPES:
                    out.append(_ESCAPES[e])
                    self.i += 2
                elif e in "xuU":
                    n = {"x": 2, "u": 4, "U": 8}[e]
                    digits = s[self.i + 2:self.i + 2 + n]
                    if len(digits) != n or not re.match(r"[0-9a-fA-F]+\Z", digits):
                        self.fail("bad \\%s escape in double-quoted string" % e)
                    out.append(chr(int(digits, 16)))
                    self.i += 2 + n
                else:
                    self.fail("unknown escape \\%s in double-quoted string" % e)
            else:
                out.append(ch)
                self.i += 1

    def parse_single(self):
        s = self.s
        self.i += 1
        out = []
        while True:
            if self.i >= len(s):
                self.fail("unterminated single-quoted string (quoted values must fit on one line)")
            ch = s[self.i]
            if ch == "'":
                if self.i + 1 < len(s) and s[self.i + 1] == "'":
                    out.append("'")
                    self.i += 2
                    continue
                self.i += 1
                return "".join(out)
            out.append(ch)
            self.i += 1

    def parse_list(self):
        self.i += 1  # '['
        items = []
        while True:
            self.skip_ws()
            if self.i >= len(self.s) or self.at_comment():
                self.fail("unterminated inline list (inline lists must close ']' on the same line)")
            if self.s[self.i] == "]":
                self.i += 1
                return items
            if self.s[self.i] == ",":
                self.fail("empty item in inline list")
            items.append(self.parse_node(in_flow=True))
            self.skip_ws()
            if self.i >= len(self.s) or self.at_comment():
                self.fail("unterminated inline list (inline lists must close ']' on the same line)")
            ch = self.s[self.i]
            if ch == ",":
                self.i += 1
            elif ch != "]":
                self.fail("expected ',' or ']' in inline list, found %r" % ch)


def _split_key(content, lineno, source):
    """Split 'key: rest' -> (key, rest). ``content`` has no leading spaces."""
    def fail(message):
        raise YamlError(lineno, message, source)

    if content.startswith("- ") or content == "-":
        fail("block sequences ('- item') are not supported; use an inline list [a, b]")
    if content.startswith("? "):
        fail("complex keys ('? ') are not supported")
    ch = content[0]
    if ch in "\"'":
        sc = _Scanner(content, lineno, source)
        key = sc.parse_double() if ch == '"' else sc.parse_single()
        rest = content[sc.i:]
        if not rest.startswith(":") or not (len(rest) == 1 or rest[1] == " "):
            fail("expected ':' after quoted key")
        return key, rest[1:]
    if ch in _INDICATORS:
        fail("expected 'key: value', found %r" % content)
    idx = 0
    while True:
        idx = content.find(":", idx)
        if idx < 0:
            fail("expected 'key: value' (missing ':'), found %r" % content)
        if idx + 1 == len(content) or content[idx + 1] == " ":
            break
        idx += 1
    key = content[:idx].rstrip(" ")
    if " #" in content[:idx] or "\t#" in content[:idx]:
        fail("expected 'key: value' (missing ':'), found %r" % content)
    if not key:
        fail("empty key")
    return key, content[idx + 1:]


def loads(text, source=None):
    """Parse ``text`` and return a dict (an empty document gives {})."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = []  # (lineno, indent, content)
    for lineno, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        stripped = line.lstrip(" ")
        body = stripped.strip(" \t")
        if not body or body.startswith("#"):
            continue
        if stripped.startswith("\t"):
            raise YamlError(lineno, "tab in indentation; indent with spaces", source)
        if body in ("---", "...") or body.startswith("--- ") or body.startswith("%"):
            raise YamlError(lineno, "document markers and directives (---, ..., %) are not supported",
                            source)
        lines.append((lineno, len(line) - len(stripped), body))
    if not lines:
        return {}
    if lines[0][1] != 0:
        raise YamlError(lines[0][0], "the top-level mapping must not be indented", source)

    def parse_mapping(i, indent):
        result = {}
        while i < len(lines):
            lineno, ind, content = lines[i]
            if ind < indent:
                break
            if ind > indent:
                raise YamlError(lineno, "unexpected indentation", source)
            key, rest = _split_key(content, lineno, source)
            if key in result:
                raise YamlError(lineno, "duplicate key %r" % key, source)
            value_text = rest.strip(" ")
            if value_text == "" or (value_text.startswith("#")):
                if i + 1 < len(lines) and lines[i + 1][1] > indent:
                    value, i = parse_mapping(i + 1, lines[i + 1][1])
                else:
                    value, i = None, i + 1
            else:
                value = _Scanner(rest, lineno, source).parse_top()
                i += 1
                if i < len(lines) and lines[i][1] > indent:
                    raise YamlError(lines[i][0], "unexpected indentation (the key above already "
                                    "has a value on its own line)", source)
            result[key] = value
        return result, i

    result, i = parse_mapping(0, 0)
    if i < len(lines):  # pragma: no cover - parse_mapping(0, 0) consumes everything
        raise YamlError(lines[i][0], "unexpected indentation", source)
    return result


def load(path):
    """Read and parse a file (UTF-8)."""
    with open(path, "r", encoding="utf-8") as f:
        return loads(f.read(), source=path)
