// Evaluating the manifest's symbolic dims (DimJson) once the symbols are bound. Ships inside
// generated packages, so it imports nothing from compiler/.

import type { DimJson } from './manifest.js';

export type DimEnv = ReadonlyMap<string, number> | Readonly<Record<string, number>>;

/** A dim that cannot be evaluated: an unbound symbol, or a value that is not a non-negative integer. */
export class DimEvalError extends Error {
  constructor(message: string, readonly symbol?: string) {
    super(message);
    this.name = 'DimEvalError';
  }
}

function lookup(env: DimEnv, name: string): number | undefined {
  if (env instanceof Map) return env.get(name);
  // Own properties only: a symbol named `constructor` must not find Object's.
  return Object.prototype.hasOwnProperty.call(env, name) ? (env as Readonly<Record<string, number>>)[name] : undefined;
}

/** The value of `d`, exact rational arithmetic in doubles (`/` may leave fractions mid-way). */
function evalRaw(d: DimJson, env: DimEnv): number {
  if (typeof d === 'number') return d;
  if (typeof d === 'string') {
    const v = lookup(env, d);
    if (v === undefined) throw new DimEvalError(`dimension '${d}' is not bound`, d);
    return v;
  }
  const a = evalRaw(d.a, env);
  const b = evalRaw(d.b, env);
  switch (d.op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    case 'floordiv': return Math.floor(snap(a) / snap(b));
    case 'mod': {
      const x = snap(a), y = snap(b);
      return ((x % y) + y) % y;
    }
    case 'max': return Math.max(a, b);
    case 'min': return Math.min(a, b);
  }
}

/** Rounding noise from exact rationals in doubles (1/3 * 3) is snapped away. */
function snap(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - r) < 1e-9 ? r : v;
}

function printDimJson(d: DimJson): string {
  if (typeof d !== 'object') return String(d);
  const fn = /^[a-z]/.test(d.op);
  return fn ? `${d.op}(${printDimJson(d.a)}, ${printDimJson(d.b)})` : `(${printDimJson(d.a)} ${d.op} ${printDimJson(d.b)})`;
}

/** The value of a dim under bound symbols: a non-negative integer, or a `DimEvalError`. */
export function evalDimJson(d: DimJson, env: DimEnv): number {
  const v = snap(evalRaw(d, env)) + 0; // no -0
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new DimEvalError(`dimension ${printDimJson(d)} evaluates to ${v}, not a non-negative integer`);
  }
  return v;
}

/** The value of a dim expression that may be negative or fractional (constraints compare it with 0). */
export function evalDimJsonSigned(d: DimJson, env: DimEnv): number {
  return snap(evalRaw(d, env)) + 0;
}

/** The values of a shape's dims. */
export function evalShapeJson(shape: readonly DimJson[], env: DimEnv): number[] {
  return shape.map((d) => evalDimJson(d, env));
}

/** The symbols a dim mentions. */
export function dimJsonSymbols(d: DimJson, into = new Set<string>()): Set<string> {
  if (typeof d === 'string') into.add(d);
  else if (typeof d === 'object') {
    dimJsonSymbols(d.a, into);
    dimJsonSymbols(d.b, into);
  }
  return into;
}
