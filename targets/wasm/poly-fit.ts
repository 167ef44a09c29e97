// Polynomial coefficients for the f32 SIMD math (f32x4-math.ts), computed when the module
// loads: interpolation at Chebyshev nodes, which is within a small factor of the minimax
// polynomial of that degree. Fitting here instead of pasting tables keeps every constant
// traceable to the function it approximates.

/**
 * Coefficients c (lowest first) of the degree-`degree` polynomial in u = x − center that
 * interpolates f at the Chebyshev nodes of [lo, hi].
 */
export function chebyshevFit(f: (x: number) => number, lo: number, hi: number, degree: number, center = 0): number[] {
  const n = degree + 1;
  const nodes = Array.from({ length: n }, (_, k) => (lo + hi) / 2 + ((hi - lo) / 2) * Math.cos((Math.PI * (k + 0.5)) / n));
  // Vandermonde system in u, solved by Gauss–Jordan with partial pivoting (n ≤ 12: well conditioned enough in f64).
  const rows = nodes.map((x) => [...Array.from({ length: n }, (_, j) => (x - center) ** j), f(x)]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(rows[r]![col]!) > Math.abs(rows[pivot]![col]!)) pivot = r;
    [rows[col], rows[pivot]] = [rows[pivot]!, rows[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const row = rows[r]!, pivotRow = rows[col]!;
      const factor = row[col]! / pivotRow[col]!;
      for (let k = col; k <= n; k++) row[k] = row[k]! - factor * pivotRow[k]!;
    }
  }
  return rows.map((row, i) => row[n]! / row[i]!);
}
