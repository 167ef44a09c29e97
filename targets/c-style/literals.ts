// Number spelling shared by C-family dialects: the shortest text that reads back to the
// same value, always with a decimal point or exponent so it parses as a float.

/** A finite float as text (`1.0`, `0.5`, `1e-7`); NaN and infinities are the dialect's business. */
export function formatFloat(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`formatFloat: ${v} is not finite`);
  if (Object.is(v, -0)) return '-0.0';
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}
