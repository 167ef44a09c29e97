// Manifest dims (DimJson) as C for the CUDA host code: every distinct dim the host needs gets
// a slot `d[k]`, computed in dependency order from the symbols `s[i]` by one generated
// function. `/` is exact division (a remainder is a shape error, reported, never rounded);
// floordiv and mod follow Python (toward −∞; mod has the divisor's sign).

import type { DimJson } from '../../runtime/manifest.js';

export class CudaDimTable {
  private readonly slots = new Map<string, number>();
  private readonly lines: string[] = [];

  constructor(private readonly symbols: readonly string[]) {}

  /** The slot index holding `d`, adding it (and its parts) when new. */
  slot(d: DimJson): number {
    const key = JSON.stringify(d);
    const known = this.slots.get(key);
    if (known !== undefined) return known;
    const expr = this.expr(d);
    const k = this.lines.length;
    this.lines.push(`d[${k}] = ${expr};`);
    this.slots.set(key, k);
    return k;
  }

  get size(): number {
    return this.lines.length;
  }

  private operand(d: DimJson): string {
    if (typeof d === 'number') return `${d}LL`;
    if (typeof d === 'string') {
      const i = this.symbols.indexOf(d);
      if (i < 0) throw new Error(`cuda host: symbol ${d} is not a model dim`);
      return `s[${i}]`;
    }
    return `d[${this.slot(d)}]`;
  }

  private expr(d: DimJson): string {
    if (typeof d !== 'object') return this.operand(d);
    const a = this.operand(d.a), b = this.operand(d.b);
    switch (d.op) {
      case '+': return `${a} + ${b}`;
      case '-': return `${a} - ${b}`;
      case '*': return `${a} * ${b}`;
      case '/': return `sl_exact_div(${a}, ${b}, bad)`;
      case 'floordiv': return `sl_floor_div(${a}, ${b}, bad)`;
      case 'mod': return `sl_floor_mod(${a}, ${b}, bad)`;
      case 'max': return `(${a} > ${b} ? ${a} : ${b})`;
      case 'min': return `(${a} < ${b} ? ${a} : ${b})`;
    }
  }

  /** `static void sl_eval_dims(const long long* s, long long* d, int* bad)`, with its helpers. */
  print(): string {
    return [
      'static long long sl_exact_div(long long a, long long b, int* bad) { if (b == 0 || a % b != 0) { *bad = 1; return 0; } return a / b; }',
      'static long long sl_floor_div(long long a, long long b, int* bad) { if (b == 0) { *bad = 1; return 0; } long long q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q; }',
      'static long long sl_floor_mod(long long a, long long b, int* bad) { if (b == 0) { *bad = 1; return 0; } long long r = a % b; return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r; }',
      `#define SL_DIM_SLOTS ${Math.max(1, this.lines.length)}`,
      '/** Every dim the host needs, from the symbols; *bad is set when one is not a whole size. */',
      'static void sl_eval_dims(const long long* s, long long* d, int* bad) {',
      '  (void)s; (void)d; (void)bad;',
      ...this.lines.map((l) => `  ${l}`),
      '}',
    ].join('\n');
  }
}
