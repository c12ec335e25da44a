"""Bilingual (French | Dutch) A4 PDFs, written directly (fpdf2 gives the font metrics).

Two documents leave the hub on paper:

- the **paper voucher**: a contribution voucher (A908) that no mutuality could take electronically;
  the sender hands it to the person, who brings it to the mutuality of their choice;
- the **provisional proof of insurability** the INAMI administrative cell issues to a mutuality,
  valid until a definitive voucher supersedes it.

The text is drawn with the PDF core font Helvetica, declared with WinAnsiEncoding (cp1252): no font
file to ship, and every French and Dutch letter (é, è, ë, ï, ç, œ...) is in it. Characters outside
cp1252 are replaced (``ő`` becomes ``o``, ``ł`` ``l``, an emoji ``?``) rather than crashing.
The creation date is the issue date, so the same input always gives the same bytes.
"""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

__all__ = ["printable", "render_paper_voucher", "render_provisional_proof"]

# --- text -----------------------------------------------------------------------------------

# Helvetica is declared with WinAnsiEncoding, which is cp1252: a superset of latin-1 that also has
# the euro sign, the dashes, typographic quotes and œ.
_ENCODING = "cp1252"
_NO_BREAK_SPACE = "\u00a0"
_SUBSTITUTES = {
    "\t": " ",
    "\r": "",
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2212": "-",  # minus sign
    "\u2028": "\n",  # line separator
    "\u2029": "\n",  # paragraph separator
    "\u0131": "i",  # dotless i
    "\u0141": "L",  # L with stroke
    "\u0142": "l",  # l with stroke
    "\u0110": "D",  # D with stroke
    "\u0111": "d",  # d with stroke
}


@lru_cache(maxsize=4096)
def _substitute(char: str) -> str:
    """What to draw for one character the fast path refused."""
    if char in ("\n", " "):
        return char
    if char in _SUBSTITUTES:
        return _SUBSTITUTES[char]
    category = unicodedata.category(char)
    if category == "Zs":
        return _NO_BREAK_SPACE  # every other space is some kind of fixed or narrow space
    if category.startswith("C"):
        return " " if category == "Cc" else ""  # controls split words; format marks are invisible
    try:
        char.encode(_ENCODING)
    except UnicodeEncodeError:
        pass
    else:
        return char
    # Drop the accents cp1252 lacks (ő -> o, ș -> s) and unfold compatibility forms (ﬁ -> fi).
    stripped = "".join(
        part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part)
    )
    try:
        stripped.encode(_ENCODING)
    except UnicodeEncodeError:
        return "?"
    return stripped or "?"


def printable(text: str) -> str:
    """``text`` made drawable with the core fonts: unknown characters replaced, never an error."""
    if text.isprintable():
        try:
            text.encode(_ENCODING)
        except UnicodeEncodeError:
            pass
        else:
            return text
    return "".join(map(_substitute, text))


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _moment(value: datetime) -> str:
    offset = value.utcoffset()
    if offset is None:
        return value.strftime("%d/%m/%Y %H:%M")
    if not offset:
        return value.strftime("%d/%m/%Y %H:%M UTC")
    sign = "+" if offset.total_seconds() > 0 else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    return value.strftime("%d/%m/%Y %H:%M UTC") + f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _both(french: str, dutch: str) -> str:
    """One value in both languages, once when they are the same."""
    return french if french == dutch else f"{french} / {dutch}"


# --- layout ---------------------------------------------------------------------------------

_MARGIN = 18.0
_TOP = 15.0
_BOTTOM = 22.0
_WIDTH = 210.0 - 2 * _MARGIN  # content width on A4
_GUTTER = 8.0
_HALF = (_WIDTH - _GUTTER) / 2
_PAD = 3.0

_Colour = tuple[int, int, int]
_INK: _Colour = (25, 25, 25)
_BRAND: _Colour = (20, 55, 95)
_MUTED: _Colour = (95, 100, 110)
_WHITE: _Colour = (255, 255, 255)
_RULE: _Colour = (190, 196, 205)
_TINT: _Colour = (234, 240, 247)
_ZEBRA: _Colour = (245, 247, 250)
_NOTICE: _Colour = (253, 244, 228)
_NOTICE_EDGE: _Colour = (214, 150, 40)


class _Style(NamedTuple):
    size: float  # points
    colour: _Colour = _INK
    bold: bool = False


_BRAND_NAME = _Style(15, _BRAND, bold=True)
_SMALL = _Style(8, _MUTED)
_DOCUMENT_NUMBER = _Style(10, _INK, bold=True)
_TITLE_FR = _Style(17, _BRAND, bold=True)
_TITLE_NL = _Style(17, _MUTED, bold=True)
_SUBTITLE = _Style(10.5)
_TABLE_HEADING = _Style(9, _WHITE, bold=True)
_TABLE_CELLS = (_Style(9), _Style(9, _MUTED), _Style(9, bold=True))  # FR label, NL label, value

_TABLE_HEADINGS = ("Rubrique", "Rubriek", "Valeur / Waarde")
_TABLE_COLUMNS = (52.0, 52.0, _WIDTH - 104.0)
_TABLE_PAD_X = 2.0
_TABLE_PAD_Y = 1.6
_TABLE_LINE = 4.3

# A page-count alias no text can contain: printable() turns control characters into spaces.
_PAGE_COUNT = "\x1f\x1f"  # room for two digits


@lru_cache(maxsize=2)
def _glyph_widths(bold: bool) -> dict[str, int]:
    """Glyph widths of Helvetica (bold or not) in thousandths of the font size, keyed by
    latin-1 character: fpdf2's metrics, read at the first document (not when a command that
    never prints one starts)."""
    from fpdf.fonts import CORE_FONTS_CHARWIDTHS

    widths: dict[str, int] = CORE_FONTS_CHARWIDTHS["helveticaB" if bold else "helvetica"]
    return widths


_MM_PER_POINT = 25.4 / 72


def _latin(text: str) -> str:
    """``text`` as the core fonts see it: one latin-1 character per cp1252 byte."""
    return text.encode(_ENCODING).decode("latin-1")


def _measure(latin: str, style: _Style) -> float:
    """Width in mm of ``latin`` (see ``_latin``) drawn in ``style``."""
    return (
        sum(map(_glyph_widths(style.bold).__getitem__, latin)) * style.size * _MM_PER_POINT / 1000
    )


@lru_cache(maxsize=4096)
def _wrap(text: str, width: float, style: _Style) -> tuple[str, ...]:
    """``text`` cut into lines no wider than ``width`` mm: at spaces, inside a word if need be.

    Cached: labels and instructions come back with every document.
    """
    space = _measure(" ", style)
    lines: list[str] = []
    for paragraph in _latin(text).split("\n"):
        words: list[str] = []
        used = 0.0
        for word in paragraph.split(" "):
            if not word:
                continue
            extent = _measure(word, style)
            if words and used + space + extent <= width:
                words.append(word)
                used += space + extent
                continue
            if words:
                lines.append(" ".join(words))
            while extent > width and len(word) > 1:
                cut = _fitting(word, width, style)
                lines.append(word[:cut])
                word = word[cut:]
                extent = _measure(word, style)
            words, used = [word], extent
        lines.append(" ".join(words))
    return tuple(line.encode("latin-1").decode(_ENCODING) for line in lines)


def _fitting(latin: str, width: float, style: _Style) -> int:
    """How many leading characters of ``latin`` fit in ``width`` mm (at least one)."""
    widths = _glyph_widths(style.bold)
    scale = style.size * _MM_PER_POINT / 1000
    used = 0.0
    for index, char in enumerate(latin):
        used += widths[char] * scale
        if used > width:
            return max(index, 1)
    return len(latin)


# --- the page description ---------------------------------------------------------------------

_POINTS_PER_MM = 72 / 25.4
_PAGE_W = 210.0
_PAGE_H = 297.0
_ESCAPES = str.maketrans({"\\": "\\\\", "(": "\\(", ")": "\\)", "\r": "\\r"})


@lru_cache(maxsize=4096)
def _pdf_text(text: str) -> bytes:
    """A PDF string literal of ``text`` in the fonts' WinAnsiEncoding (cp1252)."""
    return b"(" + text.translate(_ESCAPES).encode(_ENCODING, "replace") + b")"


def _info_text(text: str) -> bytes:
    """A PDF text string for the document information (UTF-16 when it is not ASCII)."""
    if text.isascii():
        return _pdf_text(text)
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _pdf_date(moment: datetime) -> bytes:
    offset = moment.utcoffset()
    stamp = moment.strftime("D:%Y%m%d%H%M%S")
    if offset is None or not offset:
        return f"({stamp}Z00'00')".encode()
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes > 0 else "-"
    minutes = abs(minutes)
    return f"({stamp}{sign}{minutes // 60:02d}'{minutes % 60:02d}')".encode()


@lru_cache(maxsize=64)
def _colour(rgb: _Colour, operator: str) -> str:
    return " ".join(f"{part / 255:.3f}" for part in rgb) + f" {operator}"


class _Canvas:
    """The little of a PDF writer the two documents need, written directly: A4 pages in mm
    (origin top left), Helvetica and Helvetica-Bold (core fonts, WinAnsiEncoding), text at a
    point, filled rectangles, lines, a page-count alias, and the document information.

    fpdf2 drew the same operators through several layers per call (about 1.6 ms of a voucher's
    2 ms); here each is one formatted string. fpdf2's font width table is still the measure.
    """

    def __init__(self) -> None:
        self.w, self.h = _PAGE_W, _PAGE_H
        self.l_margin = self.r_margin = self.t_margin = 10.0
        self.b_margin = 20.0
        self.x = self.y = 0.0
        self._pages: list[list[str]] = []
        self._ops: list[str] = []
        self._font: tuple[bool, float] | None = None
        self._fill: _Colour | None = None
        self._stroke: _Colour | None = None
        self._line_width: float | None = None
        self._in_footer = False
        self._page_alias = ""
        self._info: dict[str, bytes] = {}
        self._lang = ""

    # --- document settings ------------------------------------------------------------------

    def set_margins(self, left: float, top: float, right: float) -> None:
        self.l_margin, self.t_margin, self.r_margin = left, top, right

    def set_auto_page_break(self, *, auto: bool, margin: float) -> None:
        self.b_margin = margin

    def alias_nb_pages(self, alias: str) -> None:
        self._page_alias = alias

    def set_creation_date(self, moment: datetime) -> None:
        self._info["CreationDate"] = _pdf_date(moment)

    def set_title(self, title: str) -> None:
        self._info["Title"] = _info_text(title)

    def set_author(self, author: str) -> None:
        self._info["Author"] = _info_text(author)

    def set_creator(self, creator: str) -> None:
        self._info["Creator"] = _info_text(creator)

    def set_lang(self, lang: str) -> None:
        self._lang = lang

    # --- pages ------------------------------------------------------------------------------

    def header(self) -> None:
        """Drawn at the top of every page."""

    def footer(self) -> None:
        """Drawn at the bottom of every page."""

    def page_no(self) -> int:
        return len(self._pages)

    def add_page(self) -> None:
        if self._pages:
            self._end_page()
        self._ops = []
        self._pages.append(self._ops)
        self._font = self._fill = self._stroke = self._line_width = None
        self.x, self.y = self.l_margin, self.t_margin
        self.header()

    def _end_page(self) -> None:
        self._in_footer = True
        self.footer()
        self._in_footer = False

    def will_page_break(self, height: float) -> bool:
        return self.y + height > self.h - self.b_margin

    def set_y(self, y: float) -> None:
        self.x, self.y = self.l_margin, (y if y >= 0 else self.h + y)

    def set_xy(self, x: float, y: float) -> None:
        self.x, self.y = x, y

    def ln(self, height: float) -> None:
        self.x, self.y = self.l_margin, self.y + height

    # --- drawing ----------------------------------------------------------------------------

    def set_font(self, bold: bool, size: float) -> None:
        if self._font != (bold, size):
            self._font = (bold, size)
            self._ops.append(f"BT /F{2 if bold else 1} {size:.2f} Tf ET")

    def _fill_with(self, rgb: _Colour) -> None:
        if self._fill != rgb:
            self._fill = rgb
            self._ops.append(_colour(rgb, "rg"))

    def text(self, x: float, y: float, text: str, colour: _Colour) -> None:
        """``text`` with its baseline starting at ``(x, y)``, in the current font."""
        self._fill_with(colour)
        k = _POINTS_PER_MM
        literal = _pdf_text(text).decode("latin-1")
        self._ops.append(f"BT {x * k:.2f} {(self.h - y) * k:.2f} Td {literal} Tj ET")

    def rect(self, x: float, y: float, width: float, height: float, colour: _Colour) -> None:
        self._fill_with(colour)
        k = _POINTS_PER_MM
        self._ops.append(
            f"{x * k:.2f} {(self.h - y) * k:.2f} {width * k:.2f} {-height * k:.2f} re f"
        )

    def line(
        self, x1: float, y1: float, x2: float, y2: float, colour: _Colour, width: float
    ) -> None:
        k = _POINTS_PER_MM
        if self._stroke != colour:
            self._stroke = colour
            self._ops.append(_colour(colour, "RG"))
        if self._line_width != width:
            self._line_width = width
            self._ops.append(f"{width * k:.2f} w")
        self._ops.append(
            f"{x1 * k:.2f} {(self.h - y1) * k:.2f} m {x2 * k:.2f} {(self.h - y2) * k:.2f} l S"
        )

    # --- the file ---------------------------------------------------------------------------

    def output(self) -> bytes:
        if self._pages:
            self._end_page()
        count = len(self._pages)
        alias = _pdf_text(self._page_alias)[1:-1].decode("latin-1") if self._page_alias else ""
        objects: list[bytes] = []  # object n is objects[n - 1]
        first_page = 6
        kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(count))
        lang = b" /Lang " + _info_text(self._lang) if self._lang else b""
        objects.append(b"<< /Type /Catalog /Pages 2 0 R" + lang + b" >>")
        width, height = self.w * _POINTS_PER_MM, self.h * _POINTS_PER_MM
        objects.append(
            f"<< /Type /Pages /Kids [{kids}] /Count {count} "
            f"/MediaBox [0 0 {width:.2f} {height:.2f}] >>".encode()
        )
        for base in ("Helvetica", "Helvetica-Bold"):
            objects.append(
                f"<< /Type /Font /Subtype /Type1 /BaseFont /{base} "
                "/Encoding /WinAnsiEncoding >>".encode()
            )
        objects.append(b"<< /Font << /F1 3 0 R /F2 4 0 R >> >>")
        for number, ops in enumerate(self._pages):
            content = "\n".join(ops)
            if alias:
                content = content.replace(alias, str(count))
            stream = zlib.compress(content.encode("latin-1"))
            objects.append(
                f"<< /Type /Page /Parent 2 0 R /Resources 5 0 R "
                f"/Contents {first_page + 2 * number + 1} 0 R >>".encode()
            )
            objects.append(
                f"<< /Filter /FlateDecode /Length {len(stream)} >>\nstream\n".encode()
                + stream
                + b"\nendstream"
            )
        info = b" ".join(b"/" + key.encode() + b" " + value for key, value in self._info.items())
        objects.append(b"<< " + info + b" >>")
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
        out += (
            f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n".encode()
        )
        return bytes(out)


class _Sheet(_Canvas):
    """An A4 sheet: Carrefour letterhead, running title on later pages, footer with page numbers.

    The blocks wrap text with the core font's width table, cache the wrapping of the fixed
    texts and place each line with ``text``.
    """

    def __init__(self, *, document_id: str, running_title: str, issued_at: datetime) -> None:
        super().__init__()
        self.alias_nb_pages(_PAGE_COUNT)
        self._document_id = printable(document_id)
        self._running_title = running_title
        self._style: _Style | None = None
        self.set_margins(_MARGIN, _TOP, _MARGIN)
        self.set_auto_page_break(auto=True, margin=_BOTTOM)
        self.set_creation_date(issued_at)
        self.set_title(f"{running_title} - {self._document_id}")
        self.set_author("Carrefour")
        self.set_creator("Carrefour")
        self.set_lang("fr-BE")
        self.add_page()

    # --- primitives -------------------------------------------------------------------------

    def _use(self, style: _Style) -> None:
        """Select the font (and the colour its text is drawn in), once per change."""
        if style != self._style:
            self.set_font(style.bold, style.size)
            self._style = style

    def _lines(
        self, x: float, y: float, lines: Sequence[str], style: _Style, spacing: float
    ) -> float:
        """Lines drawn from the top-left corner ``(x, y)``, ``spacing`` mm apart; their height."""
        self._use(style)
        baseline = y + spacing / 2 + 0.3 * style.size * _MM_PER_POINT
        for line in lines:
            if line:
                self.text(x, baseline, line, style.colour)
            baseline += spacing
        return spacing * len(lines)

    def _right(self, y: float, text: str, style: _Style) -> None:
        """One line ending at the right margin, ``y`` at its top."""
        self._use(style)
        x = self.w - self.r_margin - _measure(_latin(text), style)
        self.text(x, y + 0.8 * style.size * _MM_PER_POINT, text, style.colour)

    def _rule(self, colour: _Colour = _RULE, width: float = 0.2) -> None:
        self.line(self.l_margin, self.y, self.w - self.r_margin, self.y, colour, width)

    def _box(self, x: float, y: float, width: float, height: float, colour: _Colour) -> None:
        self.rect(x, y, width, height, colour)

    # --- drawn on every page --------------------------------------------------------

    def header(self) -> None:
        if self.page_no() > 1:
            running = f"{self._running_title} — {self._document_id}"
            self._lines(self.l_margin, self.y, [running], _SMALL, 5)
            self.ln(6)
            self._rule()
            self.ln(4)
        self._style = None

    def footer(self) -> None:
        self.set_y(-15)
        self._rule()
        self.ln(1.5)
        # two cells 5 mm high, text centred on their height, 1 mm in from their edges
        baseline = self.y + 2.5 + 0.3 * _SMALL.size * _MM_PER_POINT
        self._use(_SMALL)
        self.text(self.l_margin + 1, baseline, f"Carrefour — {self._document_id}", _SMALL.colour)
        number = f"{self.page_no()} / {_PAGE_COUNT}"
        right = self.w - self.r_margin - 1 - _measure(_latin(number), _SMALL)
        self.text(right, baseline, number, _SMALL.colour)
        self._style = None

    # --- blocks -----------------------------------------------------------------------------

    def letterhead(self, *, issuer: Sequence[str], issued_at: datetime) -> None:
        """Carrefour and the issuer on the left; document number and issue date on the right."""
        top = self.y
        self._lines(self.l_margin, top, ["Carrefour"], _BRAND_NAME, 7)
        issuer_lines = [
            line for part in issuer for line in _wrap(printable(part), _WIDTH * 0.55, _SMALL)
        ]
        left = 7.5 + self._lines(self.l_margin, top + 7.5, issuer_lines, _SMALL, 3.8)
        self._right(top + 0.5, "Document n° / Documentnr.", _SMALL)
        self._right(top + 4.5, self._document_id, _DOCUMENT_NUMBER)
        self._right(top + 10, f"Émis le / Uitgereikt op  {_moment(issued_at)}", _SMALL)
        self.set_xy(self.l_margin, top + max(left, 14) + 2)
        self._rule(_BRAND, 0.6)
        self.ln(5)

    def titles(self, french: str, dutch: str, subtitle: str = "") -> None:
        for text, style in ((french, _TITLE_FR), (dutch, _TITLE_NL)):
            self.y += self._lines(self.l_margin, self.y, _wrap(text, _WIDTH, style), style, 7.5)
        if subtitle:
            self.y += 1.5
            lines = _wrap(printable(subtitle), _WIDTH, _SUBTITLE)
            self.y += self._lines(self.l_margin, self.y, lines, _SUBTITLE, 5)
        self.ln(4)

    def side_by_side(
        self,
        french: Sequence[str],
        dutch: Sequence[str],
        *,
        heading: tuple[str, str] | None = None,
        fill: _Colour,
        edge: _Colour | None = None,
        size: float = 9.0,
    ) -> None:
        """Two shaded columns of paragraphs, French left and Dutch right, kept on one page."""
        body, bold = _Style(size), _Style(size, _BRAND, bold=True)
        spacing = size * 0.46
        gap = spacing * 0.4  # between paragraphs
        inner = _HALF - 2 * _PAD
        columns = [
            [_wrap(printable(paragraph), inner, body) for paragraph in paragraphs]
            for paragraphs in (french, dutch)
        ]
        heading_height = spacing + 1.5 if heading else 0.0
        box = 2 * _PAD + heading_height
        box += max(
            sum(len(lines) for lines in column) * spacing + (len(column) - 1) * gap
            for column in columns
        )
        if self.will_page_break(box):
            self.add_page()
        top = self.y
        self._box(self.l_margin, top, _WIDTH, box, fill)
        if edge:
            self._box(self.l_margin, top, 1.2, box, edge)
        for index, column in enumerate(columns):
            x = self.l_margin + index * (_HALF + _GUTTER) + _PAD
            y = top + _PAD
            if heading:
                self._lines(x, y, [heading[index]], bold, spacing)
                y += heading_height
            for lines in column:
                y += self._lines(x, y, lines, body, spacing) + gap
        self.set_xy(self.l_margin, top + box)
        self.ln(5)

    def details(self, rows: Sequence[tuple[str, str, str]]) -> None:
        """The FR label | NL label | value table; the headings repeat on a new page."""
        self._table_headings()
        for number, row in enumerate(rows):
            cells = [
                _wrap(printable(text) or "-", width - 2 * _TABLE_PAD_X, style)
                for text, width, style in zip(row, _TABLE_COLUMNS, _TABLE_CELLS, strict=True)
            ]
            height = max(map(len, cells)) * _TABLE_LINE + 2 * _TABLE_PAD_Y
            if self.will_page_break(height):
                self._rule()
                self.add_page()
                self._table_headings()
            top = self.y
            if number % 2:
                self._box(self.l_margin, top, _WIDTH, height, _ZEBRA)
            if number:
                self._rule()  # drawn over the shading, not under the next row's
            x = self.l_margin + _TABLE_PAD_X
            for lines, width, style in zip(cells, _TABLE_COLUMNS, _TABLE_CELLS, strict=True):
                self._lines(x, top + _TABLE_PAD_Y, lines, style, _TABLE_LINE)
                x += width
            self.y = top + height
        self._rule()
        self.ln(6)

    def _table_headings(self) -> None:
        top = self.y
        height = _TABLE_LINE + 2 * _TABLE_PAD_Y
        self._box(self.l_margin, top, _WIDTH, height, _BRAND)
        x = self.l_margin + _TABLE_PAD_X
        for text, width in zip(_TABLE_HEADINGS, _TABLE_COLUMNS, strict=True):
            self._lines(x, top + _TABLE_PAD_Y, [text], _TABLE_HEADING, _TABLE_LINE)
            x += width
        self.y = top + height

    def render(self) -> bytes:
        return self.output()


# --- documents ------------------------------------------------------------------------------

_VOUCHER_FR = "Bon de cotisation"
_VOUCHER_NL = "Bijdragebon"
_PROOF_FR = "Preuve provisoire d'assurabilité"
_PROOF_NL = "Voorlopig bewijs van verzekerbaarheid"
_NISS_LABEL = ("Numéro NISS", "INSZ-nummer")


def render_paper_voucher(
    *,
    document_id: str,
    sender_name_fr: str,
    sender_name_nl: str,
    sender_enterprise_number: str,
    niss_formatted: str,
    kind_fr: str,
    kind_nl: str,
    period_label: str,
    fields: Sequence[tuple[str, str, str]],
    reason_fr: str,
    reason_nl: str,
    message_id: str,
    issued_at: datetime,
) -> bytes:
    """The paper voucher the sender hands to the person, who brings it to a mutuality."""
    sheet = _Sheet(
        document_id=document_id,
        running_title=f"{_VOUCHER_FR} / {_VOUCHER_NL}",
        issued_at=issued_at,
    )
    sender = (
        [sender_name_fr] if sender_name_fr == sender_name_nl else [sender_name_fr, sender_name_nl]
    )
    sheet.letterhead(issuer=["Expéditeur / Afzender", *sender], issued_at=issued_at)
    sheet.titles(_VOUCHER_FR, _VOUCHER_NL, subtitle=f"{kind_fr}  |  {kind_nl}")
    sheet.side_by_side(
        [reason_fr],
        [reason_nl],
        heading=("Bon papier", "Papieren bon"),
        fill=_NOTICE,
        edge=_NOTICE_EDGE,
    )
    sheet.details(
        [
            (*_NISS_LABEL, niss_formatted),
            ("Expéditeur", "Afzender", _both(sender_name_fr, sender_name_nl)),
            ("Numéro d'entreprise", "Ondernemingsnummer", sender_enterprise_number),
            ("Type de bon", "Soort bon", _both(kind_fr, kind_nl)),
            ("Période", "Periode", period_label),
            *fields,
            ("Identifiant du message", "Berichtidentificatie", message_id),
        ]
    )
    sheet.side_by_side(
        [
            "Ce bon de cotisation n'a pas pu être transmis électroniquement à une mutualité.",
            "Expéditeur : faites parvenir ce bon à la personne concernée dans les deux semaines, "
            "le cas échéant par l'intermédiaire de l'employeur, de la caisse d'assurances sociales "
            "ou du débiteur de pension.",
            "Personne concernée : remettez ce bon à la mutualité de votre choix. Il ouvre vos "
            "droits aux soins de santé et aux indemnités. Conservez-en une copie.",
            "Les données de ce bon sont communiquées à l'INAMI (formulaire A911).",
        ],
        [
            "Deze bijdragebon kon niet elektronisch aan een ziekenfonds worden bezorgd.",
            "Afzender: bezorg deze bon binnen twee weken aan de betrokkene, in voorkomend geval "
            "via de werkgever, het sociaal verzekeringsfonds of de pensioenuitbetaler.",
            "Betrokkene: bezorg deze bon aan het ziekenfonds van uw keuze. Hij opent uw rechten "
            "op geneeskundige verzorging en uitkeringen. Bewaar er een kopie van.",
            "De gegevens van deze bon worden aan het RIZIV meegedeeld (formulier A911).",
        ],
        heading=("Que faire de ce bon ?", "Wat moet u met deze bon doen?"),
        fill=_TINT,
    )
    return sheet.render()


def render_provisional_proof(
    *,
    document_id: str,
    niss_formatted: str,
    mutuality_name_fr: str,
    mutuality_name_nl: str,
    case_id: str,
    valid_from: date,
    valid_until: date,
    reason: str,
    issued_at: datetime,
) -> bytes:
    """The provisional proof of insurability the INAMI administrative cell gives a mutuality."""
    if valid_until < valid_from:
        raise ValueError(f"valid_until {valid_until} is before valid_from {valid_from}")
    start, end = _day(valid_from), _day(valid_until)
    sheet = _Sheet(
        document_id=document_id,
        running_title=f"{_PROOF_FR} / {_PROOF_NL}",
        issued_at=issued_at,
    )
    sheet.letterhead(
        issuer=["Cellule administrative de l'INAMI", "Administratieve cel van het RIZIV"],
        issued_at=issued_at,
    )
    sheet.titles(_PROOF_FR, _PROOF_NL)
    sheet.side_by_side(
        [f"Du {start} au {end} inclus."],
        [f"Van {start} tot en met {end}."],
        heading=("Période de validité", "Geldigheidsperiode"),
        fill=_NOTICE,
        edge=_NOTICE_EDGE,
        size=10.0,
    )
    sheet.details(
        [
            (*_NISS_LABEL, niss_formatted),
            ("Mutualité", "Ziekenfonds", _both(mutuality_name_fr, mutuality_name_nl)),
            ("Dossier de la cellule", "Dossier van de cel", case_id),
            ("Valable à partir du", "Geldig vanaf", start),
            ("Valable jusqu'au (inclus)", "Geldig tot en met", end),
            ("Motif", "Reden", reason),
        ]
    )
    sheet.side_by_side(
        [
            "Cette preuve atteste provisoirement que la personne est en ordre d'assurabilité "
            f"auprès de la mutualité mentionnée, du {start} au {end} inclus.",
            "Elle est délivrée par la cellule administrative de l'INAMI dans l'attente du bon de "
            "cotisation définitif, qui la remplace dès que la mutualité le reçoit.",
            f"Après le {end}, cette preuve n'a plus d'effet.",
        ],
        [
            "Dit bewijs bevestigt voorlopig dat de persoon in orde is met de verzekerbaarheid bij "
            f"het vermelde ziekenfonds, van {start} tot en met {end}.",
            "Het wordt uitgereikt door de administratieve cel van het RIZIV in afwachting van de "
            "definitieve bijdragebon, die het vervangt zodra het ziekenfonds hem ontvangt.",
            f"Na {end} heeft dit bewijs geen uitwerking meer.",
        ],
        heading=("Portée de cette preuve", "Draagwijdte van dit bewijs"),
        fill=_TINT,
    )
    return sheet.render()
