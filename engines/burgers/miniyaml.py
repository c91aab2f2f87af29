"""A small reader for the YAML that exp writes and people write for it (standard library only).

It reads every shape exp's own writer (the JavaScript ``yaml`` package, through
``exp new --set``) produces, tested against that writer:
  * block mappings and block sequences by indentation (spaces only), including
    sequences of mappings (``- key: value``) and nested sequences (``- - 1``),
    and sequences written at their key's indentation;
  * scalars resolved like YAML 1.2's core schema (what the JavaScript
    ``yaml`` package does): integers (``12``, ``-3``, ``0x1f``, ``0o17``),
    floats (``0.05``, ``1e-3``, ``.5``, ``.inf``, ``.nan``), ``true``/``false``,
    ``null``/``~``/empty value, single- and double-quoted strings, plain strings,
    each of them folded over several lines;
  * flow collections ``[a, 1, "b c", [2, 3]]`` and ``{a: 1, b: [2]}`` (also over
    several lines);
  * block scalars ``|`` and ``>`` with chomping (``-``/``+``) and an
    indentation indicator;
  * ``#`` comments (whole-line or after a value) and blank lines.

Anything else (anchors, aliases, tags, complex keys, multiple documents, tabs
in indentation, duplicate keys) raises :class:`YamlError`, a ``ValueError``
whose message starts with ``line N:``.

    >>> loads("a:\\n  b: 1e-3  # comment\\n  c: [1, two]\\n  d:\\n    - x\\n")
    {'a': {'b': 0.001, 'c': [1, 'two'], 'd': ['x']}}
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
            return self.parse_flow_map()
        if ch in "|>":
            self.fail("block scalars (| or >) are not supported; write the value on one line")
        if ch in "&*":
            self.fail("anchors and aliases (& and *) are not supported")
        if ch == "!":
            self.fail("tags (!) are not supported")
        if ch == "-" and (self.i + 1 == len(self.s) or self.s[self.i + 1] == " "):
            self.fail("a block sequence ('- item') must start on its own line")
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
            if in_flow and ch == ":" and (self.i + 1 == len(s) or s[self.i + 1] in " ,[]{}"):
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

    def _parse_flow(self, close, what, unterminated, parse_item):
        """The loop of both flow collections: parse_item() until ``close``, the items separated by ','."""
        self.i += 1  # '[' or '{'
        while True:
            self.skip_ws()
            if self.i >= len(self.s) or self.at_comment():
                self.fail(unterminated)
            if self.s[self.i] == close:
                self.i += 1
                return
            parse_item()
            self.skip_ws()
            if self.i >= len(self.s) or self.at_comment():
                self.fail(unterminated)
            ch = self.s[self.i]
            if ch == ",":
                self.i += 1
            elif ch != close:
                self.fail("expected ',' or '%s' in %s, found %r" % (close, what, ch))

    def parse_list(self):
        items = []

        def item():
            if self.s[self.i] == ",":
                self.fail("empty item in inline list")
            items.append(self.parse_node(in_flow=True))

        self._parse_flow("]", "inline list", "unterminated inline list (inline lists must close ']' on the same line)", item)
        return items

    def parse_flow_map(self):
        result = {}

        def entry():
            key = self.parse_node(in_flow=True)
            self.skip_ws()
            value = None
            if self.i < len(self.s) and self.s[self.i] == ":":
                self.i += 1
                self.skip_ws()
                if self.i < len(self.s) and self.s[self.i] not in ",}":
                    value = self.parse_node(in_flow=True)
            if isinstance(key, (list, dict)):
                self.fail("complex keys are not supported")
            if key in result:
                self.fail("duplicate key %r" % (key,))
            result[key] = value

        self._parse_flow("}", "flow mapping", "unterminated flow mapping (missing '}')", entry)
        return result


def _split_key(content, lineno, source):
    """Split 'key: rest' -> (key, rest). ``content`` has no leading spaces."""
    def fail(message):
        raise YamlError(lineno, message, source)

    if content.startswith("- ") or content == "-":
        fail("a sequence item ('- item') where a 'key: value' was expected")
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


def _is_item(body):
    return body == "-" or body.startswith("- ")


def _is_key(body):
    """Whether a line's content is ``key: ...`` (else a scalar or flow value)."""
    if not body or body[0] in "[{#":
        return False
    if body[0] in "\"'":
        quote, i = body[0], 1
        while i < len(body):
            if body[i] == "\\" and quote == '"':
                i += 2
                continue
            if body[i] == quote:
                if quote == "'" and body[i + 1:i + 2] == "'":
                    i += 2
                    continue
                rest = body[i + 1:]
                return rest.startswith(":") and (len(rest) == 1 or rest[1] == " ")
            i += 1
        return False
    for i, ch in enumerate(body):
        if ch == "#" and i > 0 and body[i - 1] in " \t":
            return False
        if ch == ":" and (i + 1 == len(body) or body[i + 1] == " "):
            return True
    return False


def _fold(parts):
    """Join the lines of a folded scalar or flow value: a line break is one space, each blank line a newline, and a
    line ending in an escaping backslash (double quotes) joins the next line directly."""
    out = parts[0].rstrip(" ")
    blanks = 0
    for part in parts[1:]:
        text = part.strip(" ")
        if text == "":
            blanks += 1
            continue
        trailing = len(out) - len(out.rstrip("\\"))
        if blanks:
            out += "\n" * blanks + text
        elif trailing % 2 == 1:
            out = out[:-1] + text
        else:
            out += " " + text
        blanks = 0
    return out


def _fold_block(content):
    """A folded (``>``) block scalar's lines: normal lines join with a space, blank lines are line breaks, lines
    indented more than the block keep their line breaks."""
    k = 0
    while k < len(content) and content[k] == "":
        k += 1
    if k == len(content):
        return ""
    out = "\n" * k + content[k]
    k += 1
    while k < len(content):
        blanks = 0
        while content[k] == "":
            blanks += 1
            k += 1
        prev, line = content[k - 1 - blanks], content[k]
        more = prev.startswith(" ") or line.startswith(" ")
        out += ("\n" * (blanks + (1 if more else 0)) if blanks else ("\n" if more else " ")) + line
        k += 1
    return out


class _Block(object):
    """The block structure: mappings and sequences by indentation, block scalars, multi-line values."""

    def __init__(self, text, source):
        self.source = source
        self.lines = []  # [lineno, indent, body, raw]
        for lineno, raw in enumerate(text.split("\n"), 1):
            line = raw.rstrip("\r")
            stripped = line.lstrip(" ")
            body = stripped.rstrip(" \t")
            self.lines.append([lineno, len(line) - len(stripped), body, line])

    def fail(self, lineno, message):
        raise YamlError(lineno, message, self.source)

    def content(self, i):
        """Index of the next line with content (not blank, not a comment) from i."""
        while i < len(self.lines):
            body = self.lines[i][2]
            if body.startswith("\t"):
                self.fail(self.lines[i][0], "tab in indentation; indent with spaces")
            if body and not body.startswith("#"):
                if body in ("---", "...") or body.startswith("--- ") or body.startswith("%"):
                    self.fail(self.lines[i][0], "document markers and directives (---, ..., %) are not supported")
                return i
            i += 1
        return i

    def document(self):
        i = self.content(0)
        if i >= len(self.lines):
            return {}
        if self.lines[i][1] != 0:
            self.fail(self.lines[i][0], "the top-level mapping must not be indented")
        value, i = self.node(i, 0)
        i = self.content(i)
        if i < len(self.lines):
            self.fail(self.lines[i][0], "unexpected indentation")
        if not isinstance(value, dict):
            self.fail(self.lines[0][0], "the document must be a mapping")
        return value

    def node(self, i, indent):
        """The collection (or lone value) whose first line i is at ``indent``."""
        body = self.lines[i][2]
        if _is_item(body):
            return self.sequence(i, indent)
        if _is_key(body):
            return self.mapping(i, indent)
        return self.value(i, indent - 1, body)

    def at_level(self, i, indent):
        """The next content line from i on at ``indent``: (i, the line), or (i, None) where the collection ends."""
        i = self.content(i)
        if i >= len(self.lines) or self.lines[i][1] < indent:
            return i, None
        if self.lines[i][1] > indent:
            self.fail(self.lines[i][0], "unexpected indentation")
        return i, self.lines[i]

    def mapping(self, i, indent):
        result = {}
        while True:
            i, line = self.at_level(i, indent)
            if line is None or _is_item(line[2]):
                return result, i
            lineno, _, body, _ = line
            key, rest = _split_key(body, lineno, self.source)
            if key in result:
                self.fail(lineno, "duplicate key %r" % key)
            result[key], i = self.after(i, indent, rest.strip(" "), same_level_items=True)

    def sequence(self, i, indent):
        result = []
        while True:
            i, line = self.at_level(i, indent)
            if line is None or not _is_item(line[2]):
                return result, i
            lineno, _, body, _ = line
            rest = body[1:]
            inner = rest.lstrip(" ")
            if inner and not inner.startswith("#") and (_is_item(inner) or _is_key(inner)):
                # "- key: v" or "- - v": the rest of the line is the first line of a nested collection
                self.lines[i] = [lineno, indent + 1 + len(rest) - len(inner), inner, self.lines[i][3]]
                value, i = self.node(i, self.lines[i][1])
            else:
                value, i = self.after(i, indent, inner, same_level_items=False)
            result.append(value)

    def after(self, i, indent, rest, same_level_items):
        """The value after ``key:`` or ``-`` on line i (whose key or dash is at ``indent``)."""
        lineno = self.lines[i][0]
        if rest == "" or rest.startswith("#"):
            j = self.content(i + 1)
            if j < len(self.lines):
                ind, body = self.lines[j][1], self.lines[j][2]
                if ind > indent:
                    return self.node(j, ind)
                if same_level_items and ind == indent and _is_item(body):
                    return self.sequence(j, indent)
            return None, i + 1
        if rest[0] in "|>":
            return self.block_scalar(i, indent, rest)
        return self.value(i, indent, rest)

    def value(self, i, indent, first):
        """A scalar or flow value starting with ``first`` on line i, continued on lines indented more than ``indent``."""
        lineno = self.lines[i][0]
        parts = [first]
        j = i + 1
        while j < len(self.lines):
            ind, body = self.lines[j][1], self.lines[j][2]
            if body and (ind <= indent or body.startswith("#")):
                break
            parts.append(body)
            j += 1
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
            j -= 1
        if len(parts) > 1 and _is_key(parts[1].strip()) and first[0] not in "[{\"'":
            self.fail(self.lines[i + 1][0], "unexpected indentation (the key above already has a value on its own line)")
        text = _fold(parts) if len(parts) > 1 else first
        return _Scanner(text, lineno, self.source).parse_top(), i + len(parts)

    def block_scalar(self, i, indent, header):
        lineno = self.lines[i][0]
        m = re.match(r"([|>])([-+]?)([1-9]?)([-+]?)\s*(#.*)?\Z", header)
        if not m or (m.group(2) and m.group(4)):
            self.fail(lineno, "bad block scalar header %r" % header)
        style, chomp, width = m.group(1), m.group(2) or m.group(4), m.group(3)
        j = i + 1
        body_lines = []
        block_indent = indent + int(width) if width else None
        while j < len(self.lines):
            raw = self.lines[j][3]
            stripped = raw.strip(" ")
            lead = len(raw) - len(raw.lstrip(" "))
            if stripped == "":
                body_lines.append("")
                j += 1
                continue
            if block_indent is None:
                if lead <= indent:
                    break
                block_indent = lead
            if lead < block_indent:
                break
            body_lines.append(raw[block_indent:])
            j += 1
        content = body_lines[:]
        while content and content[-1] == "":
            content.pop()
        trailing = len(body_lines) - len(content)
        if style == "|":
            text = "\n".join(content)
        else:
            text = _fold_block(content)
        if content:
            text += "\n" if chomp != "+" else "\n" * (trailing + 1)
        if chomp == "-":
            text = text.rstrip("\n")
        return text, j


def loads(text, source=None):
    """Parse ``text`` and return a dict (an empty document gives {})."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return _Block(text, source).document()

def load(path):
    """Read and parse a file (UTF-8)."""
    with open(path, "r", encoding="utf-8") as f:
        return loads(f.read(), source=path)
