"""A page parsed into a small tree (stdlib html.parser), for tests that assert on elements,
attributes and text rather than on the markup as a string."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The text inside, entities decoded, runs of white space as one space."""
        return re.sub(r"\s+", " ", "".join(self._texts())).strip()

    def _texts(self) -> Iterator[str]:
        for child in self.children:
            if isinstance(child, str):
                yield child
            else:
                yield from child._texts()

    def walk(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.walk()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """Elements below, in document order; class_ matches one of the classes."""
        wanted = {k.rstrip("_"): v for k, v in attrs.items()}

        def matches(node: Node) -> bool:
            if tag is not None and node.tag != tag:
                return False
            for key, value in wanted.items():
                if key == "class":
                    if value not in node.attrs.get("class", "").split():
                        return False
                elif node.attrs.get(key) != value:
                    return False
            return True

        return [n for n in self.walk() if matches(n)]

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        """The first such element; fails the test when there is none."""
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag or '*'}> with {attrs}"
        return found[0]


class Doc(Node):
    @property
    def title(self) -> str:
        found = self.find_all("title")
        return found[0].text if found else ""

    def by_id(self, element_id: str) -> Node:
        return self.find(id=element_id)

    def label_for(self, element_id: str) -> str:
        return self.find("label", **{"for": element_id}).text

    def form(self, action: str) -> dict[str, str]:
        """The fields a browser would send from the first form posting to `action`."""
        return self.fields(self.find("form", action=action))

    @staticmethod
    def fields(form: Node) -> dict[str, str]:
        sent: dict[str, str] = {}
        for node in form.walk():
            name = node.attrs.get("name")
            if not name:
                continue
            kind = node.attrs.get("type", "text")
            if node.tag == "input" and kind not in ("submit", "button", "checkbox", "radio"):
                sent[name] = node.attrs.get("value", "")
            elif node.tag == "input" and "checked" in node.attrs:
                sent[name] = node.attrs.get("value", "on")
            elif node.tag == "select":
                options = node.find_all("option")
                chosen = [o for o in options if "selected" in o.attrs] or options[:1]
                if chosen:
                    sent[name] = chosen[0].attrs.get("value", chosen[0].text)
        return sent

    def flashes(self) -> list[str]:
        """The messages shown after the last action (first line of each)."""
        return [n.find("p").text for n in self.find_all("div", class_="flash")]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Doc("#document", {})
        self.stack: list[Node] = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Doc:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
