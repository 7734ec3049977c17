"""The character classes every stage refuses or drops, defined once.

Each class is a compiled pattern built from the same few ranges, so "a control character" means
the same thing in a config value, a front-matter field, an imported page and a mail header.
"""

from __future__ import annotations

import re

# The ranges the classes are made of.
_C0 = "\x00-\x08\x0b\x0c\x0e-\x1f"  # C0 controls except tab, LF and CR
_DEL_C1 = "\x7f-\x9f"  # DEL and the C1 controls
_NOT_TEXT = "\ud800-\udfff\ufffe\uffff"  # lone surrogates and noncharacters
_BIDI = "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides and isolates
_ZERO_WIDTH = "\u200b\u2060\ufeff"  # zero-width space, word joiner, BOM/zero-width no-break space

#: Never part of any text: controls (tab, LF and CR aside), lone surrogates, noncharacters.
UNSAFE = re.compile(f"[{_C0}{_DEL_C1}{_NOT_TEXT}]")
#: Not allowed in XML 1.0 (DEL and C1 are, oddly, allowed there).
NOT_XML = re.compile(f"[{_C0}{_NOT_TEXT}]")
#: Characters that reverse how text reads (a name can look like another).
BIDI_CONTROLS = re.compile(f"[{_BIDI}]")
#: Characters that take no room (words can look joined or split).
ZERO_WIDTH = re.compile(f"[{_ZERO_WIDTH}]")
#: What no output may carry: UNSAFE, bidi controls and zero-width characters.
INVISIBLE = re.compile(f"[{_C0}{_DEL_C1}{_NOT_TEXT}{_BIDI}{_ZERO_WIDTH}]")
#: Not in a one-line text (a title, a header value): UNSAFE and line breaks; a tab is whitespace.
NOT_ONE_LINE = re.compile(f"[\x00-\x08\x0a-\x1f{_DEL_C1}{_NOT_TEXT}]")
#: Every control character, tab and line breaks included: not in an address or a form field.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: The same, and the separators str.splitlines() breaks at: never inside a display name.
CONTROL_OR_SEPARATOR = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: Formatting characters a reader does not see, ignored when texts are compared.
IGNORABLE = re.compile(f"[{_ZERO_WIDTH}\u200c\u200d\u034f\u00ad]")
#: What browsers strip around an href: C0 controls and the space.
C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
#: Word's manual line break (VT), a page break (FF) and the Unicode separators: they end a line.
LINE_SEPARATORS = re.compile("[\x0b\x0c\u2028\u2029]")
#: What the front matter's own reader (sources/simple_yaml.py) leaves to PyYAML: every control
#: but the line feed (a tab indents nothing in YAML; NEL is a C1 control and a YAML 1.1 line
#: break), the Unicode separators (line breaks there too), the byte-order mark, lone surrogates
#: and noncharacters.
NOT_PLAIN_YAML = re.compile(f"[\x00-\x09\x0b-\x1f{_DEL_C1}\u2028\u2029\ufeff{_NOT_TEXT}]")
#: INVISIBLE or LINE_SEPARATORS: most text has none of them, and one search tells.
UNUSUAL = re.compile(f"[{_C0}{_DEL_C1}{_NOT_TEXT}{_BIDI}{_ZERO_WIDTH}\u2028\u2029]")
