// Chart colours come from the active VS Code theme's CSS variables and follow theme changes
// (VS Code swaps the body class: vscode-light / vscode-dark / vscode-high-contrast).

export interface ChartPalette {
  foreground: string;
  grid: string;
  series: string[];
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

export function readPalette(): ChartPalette {
  return {
    foreground: cssVar('--vscode-foreground', '#cccccc'),
    grid: cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)'),
    series: [
      cssVar('--vscode-charts-blue', '#3794ff'),
      cssVar('--vscode-charts-orange', '#d18616'),
      cssVar('--vscode-charts-green', '#89d185'),
      cssVar('--vscode-charts-purple', '#b180d7'),
      cssVar('--vscode-charts-red', '#f14c4c'),
      cssVar('--vscode-charts-yellow', '#cca700'),
    ],
  };
}

/** `colour` at this opacity (for interval bands under a line): any CSS colour, normalised by a canvas. */
export function translucent(colour: string, alpha: number): string {
  const ctx = document.createElement('canvas').getContext('2d');
  if (!ctx) return colour;
  ctx.fillStyle = colour;
  const c = String(ctx.fillStyle); // '#rrggbb', or 'rgba(r, g, b, a)' when the colour has its own alpha
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
  if (hex) return `rgba(${parseInt(hex[1]!, 16)}, ${parseInt(hex[2]!, 16)}, ${parseInt(hex[3]!, 16)}, ${alpha})`;
  const rgba = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(c);
  return rgba ? `rgba(${rgba[1]}, ${rgba[2]}, ${rgba[3]}, ${alpha})` : colour;
}

export function onThemeChange(cb: () => void): void {
  new MutationObserver(cb).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}
