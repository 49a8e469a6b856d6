import { visiblePieces } from '../../src/common/visibleText';

/**
 * Put text into a node as text, with every hidden character (bidi control, zero-width, control) shown
 * as a styled marker (class "ctl", its code point in the title) instead of acting on the text around it.
 */
export function setVisibleText(node: HTMLElement, text: string): void {
  const pieces = visiblePieces(text);
  if (pieces.length === 1 && pieces[0]!.codePoint === undefined) {
    node.textContent = text;
    return;
  }
  node.replaceChildren(...pieces.map((p) => {
    if (p.codePoint === undefined) return document.createTextNode(p.text);
    const m = document.createElement('span');
    m.className = 'ctl';
    m.title = `hidden character U+${p.codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
    m.textContent = p.text;
    return m;
  }));
}
