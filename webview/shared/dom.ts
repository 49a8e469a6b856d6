import { visibleText } from '../../src/common/visibleText';
import { setVisibleText } from './visible';

/**
 * An element with attributes and text. Text is always set as text, never parsed as HTML, with every hidden
 * character (bidi control, zero-width, control) made visible: run names, logs and model output pass through
 * here. An <option> holds plain text only, so it gets the markers as characters.
 */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) {
    if (node instanceof HTMLOptionElement) node.textContent = visibleText(text);
    else setVisibleText(node, text);
  }
  return node;
}
