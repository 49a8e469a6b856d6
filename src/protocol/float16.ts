// IEEE 754 half precision → number (Node 20 has no Float16Array). A 65,536-entry table makes
// decoding a column one lookup per value.

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

let table: Float32Array | undefined;

export function decodeFloat16(bytes: Uint8Array, count: number): Float32Array {
  table ??= Float32Array.from({ length: 65536 }, (_, h) => halfToFloat(h));
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = table[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
  return out;
}

/** Largest relative error of a stored value (normal range); below 2^-14 the error is at most 2^-25. */
export const FLOAT16_RELATIVE_ERROR = 2 ** -11;
