"""README.md as data for readme_test.py: its fenced code blocks (with the `<!-- test: NAME -->`
tag on the line before each), the shell commands inside shell blocks, the comment lines shown
as a command's output, the `<!-- pending: FEATURE -->` markers and the inline code spans.

Commands: one per logical line (backslash continuations joined; a here-document's body belongs
to its command); full-line comments are not commands (the README shows output that way). A
command's `key` is its text without the here-document body and trailing comment, whitespace
collapsed: what readme_test.py lists and matches.

Pending markers: a marker covers the prose after it and the code blocks that follow that prose;
the next prose paragraph after such a block, or a heading, ends it."""

from __future__ import annotations

import dataclasses
import re

SHELL_LANGS = ("sh", "bash", "shell")
TAG = re.compile(r"^\s*<!--\s*test:\s*([a-z0-9-]+)\s*-->\s*$")
PENDING = re.compile(r"<!--\s*pending:\s*([a-z0-9-]+)\s*-->")
FENCE = re.compile(r"^(\s*)```\s*([A-Za-z0-9_-]*)\s*$")
HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


@dataclasses.dataclass
class Command:
    text: str          # as written, continuations and here-document body included
    key: str           # one line: no body, no trailing comment, whitespace collapsed
    shown: list        # comment lines right after it: the output the README shows


@dataclasses.dataclass
class Block:
    tag: str | None
    lang: str
    text: str
    line: int                  # 1-based line of the opening fence
    pending: str | None        # the feature a pending marker says is not verified yet
    commands: list = dataclasses.field(default_factory=list)

    @property
    def is_shell(self) -> bool:
        return self.lang in SHELL_LANGS


def strip_trailing_comment(line: str) -> str:
    """The line without a `# ...` comment outside quotes (a # after whitespace starts one)."""
    quote = None
    escaped = False
    for i, ch in enumerate(line):
        if escaped:
            escaped = False
        elif ch == "\\" and quote != "'":
            escaped = True
        elif quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def shell_commands(text: str) -> list:
    lines = text.splitlines()
    commands: list = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        if stripped.startswith("#"):
            if commands and stripped != "#" and not stripped.startswith("#!"):
                commands[-1].shown.append(stripped[1:].strip())
            i += 1
            continue
        physical = [line]
        while physical[-1].rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            physical.append(lines[i])
        logical = " ".join(strip_trailing_comment(p.rstrip()).rstrip("\\").strip() for p in physical)
        body = []
        m = HEREDOC.search(logical)
        if m:
            delimiter = m.group(2)
            while i + 1 < len(lines):
                i += 1
                body.append(lines[i])
                if lines[i].strip() == delimiter:
                    break
            else:
                raise ValueError(f"here-document {delimiter} is not closed")
        text_out = "\n".join(physical + body)
        commands.append(Command(text_out, re.sub(r"\s+", " ", logical).strip(), []))
        i += 1
    return commands


def parse(text: str) -> tuple:
    """(blocks, inline code spans outside blocks as (span, pending feature or None) pairs,
    pending features named anywhere)."""
    blocks: list = []
    inline: list = []
    paragraph: list = []
    paragraph_pending = None

    def flush() -> None:
        nonlocal paragraph
        joined = "\n".join(paragraph)
        inline.extend((re.sub(r"\s+", " ", span).strip(), paragraph_pending)
                      for span in re.findall(r"`([^`]+)`", joined))
        paragraph = []

    features: set = set()
    lines = text.splitlines()
    tag = None
    pending = None
    marker_paragraph = False  # still in the paragraph that holds the pending marker
    prev_blank = True
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            indent, lang = fence.group(1), fence.group(2).lower()
            body = []
            start = i + 1
            i += 1
            while i < len(lines) and not re.match(rf"^{re.escape(indent)}```\s*$", lines[i]):
                body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
                i += 1
            if i >= len(lines):
                raise ValueError(f"README line {start}: code block not closed")
            block = Block(tag, lang, "\n".join(body) + "\n", start, pending)
            if block.is_shell:
                block.commands = shell_commands(block.text)
            blocks.append(block)
            tag = None
            marker_paragraph = False
            flush()
            prev_blank = False
            i += 1
            continue
        if TAG.match(line):
            tag = TAG.match(line).group(1)
            i += 1
            continue
        stripped = line.strip()
        if stripped.startswith("#"):
            pending = None  # a heading
        marker = PENDING.search(line)
        if marker:
            pending = marker.group(1)
            features.add(pending)
            marker_paragraph = True
        elif stripped and prev_blank and not marker_paragraph:
            pending = None  # a new paragraph after the marker's own
        if not stripped or stripped.startswith("#"):
            flush()
        if not stripped:
            marker_paragraph = False
        elif not paragraph:
            paragraph_pending = pending
        if stripped and not stripped.startswith("#"):
            paragraph.append(PENDING.sub("", line))
        prev_blank = not stripped
        i += 1
    flush()
    return blocks, inline, features
