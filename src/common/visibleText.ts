// Token, observation and log text is shown exactly as produced, and what cannot be seen is made
// visible: bidirectional controls (which would reorder every following token: "Trojan Source"),
// zero-width and other invisible characters, and control characters become a visible marker such as
// ⟨RLO⟩ or ⟨U+0007⟩, as VS Code's editor highlights them. Pure: used by the webviews (as marked
// pieces, styled) and by the extension's tree labels, hovers and decorations (as plain strings).

/** Short names of the characters people meet most; the rest are shown by code point. */
const NAMES: Record<number, string> = {
  0x061c: 'ALM', 0x200b: 'ZWSP', 0x200c: 'ZWNJ', 0x200d: 'ZWJ', 0x200e: 'LRM', 0x200f: 'RLM',
  0x202a: 'LRE', 0x202b: 'RLE', 0x202c: 'PDF', 0x202d: 'LRO', 0x202e: 'RLO',
  0x2066: 'LRI', 0x2067: 'RLI', 0x2068: 'FSI', 0x2069: 'PDI', 0x2060: 'WJ', 0xfeff: 'BOM', 0x00ad: 'SHY',
  0x0009: 'TAB', 0x000d: 'CR', 0x001b: 'ESC', 0x0000: 'NUL',
};

/** Characters that change the order of, or hide among, the text around them. Newlines are layout, not hidden. */
export function isInvisible(cp: number): boolean {
  if (cp === 0x0a) return false;
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) // C0 and C1 controls, DEL
    || cp === 0x00ad || cp === 0x034f || cp === 0x061c || cp === 0x115f || cp === 0x1160 || cp === 0x17b4 || cp === 0x17b5
    || cp === 0x180e || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f)
    || cp === 0x3164 || (cp >= 0xfe00 && cp <= 0xfe0f) || cp === 0xfeff || cp === 0xffa0 || (cp >= 0xfff0 && cp <= 0xfffb)
    || (cp >= 0xe0000 && cp <= 0xe007f) // tag characters
    || (cp >= 0xd800 && cp <= 0xdfff); // a lone surrogate
}

export function markerFor(cp: number): string {
  return `⟨${NAMES[cp] ?? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`}⟩`;
}

export interface TextPiece {
  text: string;
  /** Set for a hidden character shown as its marker (text is then the marker). */
  codePoint?: number;
}

/** The text as runs of ordinary text and markers for hidden characters (each its own piece). */
export function visiblePieces(s: string): TextPiece[] {
  const out: TextPiece[] = [];
  let plain = '';
  for (const ch of s) { // by code point; a lone surrogate comes through as one unit
    const cp = ch.codePointAt(0)!;
    if (!isInvisible(cp)) {
      plain += ch;
      continue;
    }
    if (plain) out.push({ text: plain });
    plain = '';
    out.push({ text: markerFor(cp), codePoint: cp });
  }
  if (plain) out.push({ text: plain });
  return out;
}

/** The text with every hidden character replaced by its marker, for places that take a plain string. */
export function visibleText(s: string): string {
  return visiblePieces(s).map((p) => p.text).join('');
}

/** Whether the text holds anything visibleText would mark. */
export function hasInvisible(s: string): boolean {
  for (const ch of s) if (isInvisible(ch.codePointAt(0)!)) return true;
  return false;
}

/**
 * JSON text (from JSON.stringify) with every hidden character inside its strings written as a \u
 * escape: the same data when parsed, and a file nobody can be misled by in an editor. Hidden
 * characters can only occur inside JSON strings (the syntax itself is ASCII), so a scan of the
 * whole text is safe.
 */
export function escapeInvisibleInJson(json: string): string {
  if (!hasInvisible(json)) return json;
  let out = '';
  for (const ch of json) {
    const cp = ch.codePointAt(0)!;
    if (!isInvisible(cp) || cp < 0x20) { out += ch; continue; } // JSON.stringify already escaped C0 controls
    for (let k = 0; k < ch.length; k++) out += `\\u${ch.charCodeAt(k).toString(16).padStart(4, '0')}`;
  }
  return out;
}
