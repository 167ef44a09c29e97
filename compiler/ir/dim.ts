// Symbolic dimensions.
//
// A dim is an integer, a symbol bound at run time (`S`), or arithmetic on them (`D/H`, `3*D`,
// `S+1`). Dims are kept in one canonical form so equal dims compare equal structurally:
// a sum of terms `coef * a1^e1 * a2^e2 ...` with rational coefficients, where an atom is a
// symbol or an opaque operation (`floordiv`, `mod`, `max`, `min`) that does not distribute.
// `/` is exact division: `H * (D/H)` is `D`. Whether `D/H` is really an integer is checked
// when the symbols are bound (`evalDim` refuses fractional results).

export type Atom =
  | { readonly kind: 'sym'; readonly name: string }
  | { readonly kind: 'floordiv' | 'mod' | 'max' | 'min'; readonly a: Dim; readonly b: Dim };

/** One product term: atom keys with exponents (negative for division). */
interface Term {
  readonly num: number;
  readonly den: number; // > 0, gcd(num, den) = 1
  readonly factors: ReadonlyMap<string, number>; // atom key -> exponent (≠ 0)
}

export interface Dim {
  readonly terms: readonly Term[]; // sorted by monomial key, no zero coefficients
  readonly atoms: ReadonlyMap<string, Atom>;
  /** Canonical text, also the identity key. */
  readonly key: string;
}

export type DimLike = Dim | number | string;

// ---- rationals ----

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a || 1;
}

function rat(num: number, den: number): { num: number; den: number } {
  if (den < 0) [num, den] = [-num, -den];
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

// ---- construction ----

function monomialKey(factors: ReadonlyMap<string, number>): string {
  return [...factors.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, e]) => (e === 1 ? k : `${k}^${e}`))
    .join('*');
}

function makeDim(terms: Term[], atoms: Map<string, Atom>): Dim {
  const byKey = new Map<string, Term>();
  for (const t of terms) {
    if (t.num === 0) continue;
    const k = monomialKey(t.factors);
    const prev = byKey.get(k);
    if (prev) {
      const r = rat(prev.num * t.den + t.num * prev.den, prev.den * t.den);
      if (r.num === 0) byKey.delete(k);
      else byKey.set(k, { ...r, factors: t.factors });
    } else byKey.set(k, t);
  }
  const sorted = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
  const used = new Map<string, Atom>();
  for (const t of sorted) for (const k of t.factors.keys()) used.set(k, atoms.get(k)!);
  const dim: Dim = { terms: sorted, atoms: used, key: '' };
  return { ...dim, key: printDim(dim) };
}

export function constDim(n: number): Dim {
  if (!Number.isInteger(n)) throw new Error(`dim constant must be an integer, got ${n}`);
  return makeDim([{ num: n, den: 1, factors: new Map() }], new Map());
}

function atomDim(key: string, atom: Atom): Dim {
  return makeDim([{ num: 1, den: 1, factors: new Map([[key, 1]]) }], new Map([[key, atom]]));
}

export function symDim(name: string): Dim {
  return atomDim(name, { kind: 'sym', name });
}

export function toDim(d: DimLike): Dim {
  if (typeof d === 'number') return constDim(d);
  if (typeof d === 'string') return symDim(d);
  return d;
}

function mergeAtoms(a: Dim, b: Dim): Map<string, Atom> {
  return new Map([...a.atoms, ...b.atoms]);
}

export function addDim(a: DimLike, b: DimLike): Dim {
  const x = toDim(a), y = toDim(b);
  return makeDim([...x.terms, ...y.terms], mergeAtoms(x, y));
}

export function negDim(a: DimLike): Dim {
  const x = toDim(a);
  return makeDim(x.terms.map((t) => ({ ...t, num: -t.num })), new Map(x.atoms));
}

export function subDim(a: DimLike, b: DimLike): Dim {
  return addDim(a, negDim(b));
}

function mulTerms(s: Term, t: Term): Term {
  const factors = new Map(s.factors);
  for (const [k, e] of t.factors) {
    const n = (factors.get(k) ?? 0) + e;
    if (n === 0) factors.delete(k);
    else factors.set(k, n);
  }
  return { ...rat(s.num * t.num, s.den * t.den), factors };
}

export function mulDim(a: DimLike, b: DimLike): Dim {
  const x = toDim(a), y = toDim(b);
  const terms: Term[] = [];
  for (const s of x.terms) for (const t of y.terms) terms.push(mulTerms(s, t));
  return makeDim(terms, mergeAtoms(x, y));
}

/** Exact division. Division by a single term distributes; by a sum it becomes an atom. */
export function divDim(a: DimLike, b: DimLike): Dim {
  const x = toDim(a), y = toDim(b);
  if (y.terms.length === 0) throw new Error('dim division by zero');
  if (y.terms.length === 1) {
    const t = y.terms[0]!;
    const inv: Term = { ...rat(t.den, t.num), factors: new Map([...t.factors].map(([k, e]) => [k, -e])) };
    return makeDim(x.terms.map((s) => mulTerms(s, inv)), mergeAtoms(x, y));
  }
  // x / (sum): exact, so equal to floordiv when the division is exact.
  return opaque('floordiv', x, y);
}

function opaque(kind: 'floordiv' | 'mod' | 'max' | 'min', a: Dim, b: Dim): Dim {
  return atomDim(`${kind}(${a.key},${b.key})`, { kind, a, b });
}

export function floorDivDim(a: DimLike, b: DimLike): Dim {
  const x = toDim(a), y = toDim(b);
  const cx = constValue(x), cy = constValue(y);
  if (cx !== undefined && cy !== undefined && cy !== 0) return constDim(Math.floor(cx / cy));
  if (cy === 1) return x;
  // Exact when every coefficient of x is an integer multiple after dividing by a constant y.
  if (cy !== undefined && cy !== 0 && x.terms.every((t) => t.den === 1 && t.num % cy === 0)) return divDim(x, y);
  return opaque('floordiv', x, y);
}

export function ceilDivDim(a: DimLike, b: DimLike): Dim {
  // ceil(a/b) = floor((a + b - 1) / b)
  return floorDivDim(subDim(addDim(a, b), 1), b);
}

export function modDim(a: DimLike, b: DimLike): Dim {
  const x = toDim(a), y = toDim(b);
  const cx = constValue(x), cy = constValue(y);
  if (cx !== undefined && cy !== undefined && cy !== 0) return constDim(((cx % cy) + cy) % cy);
  return opaque('mod', x, y);
}

/**
 * Whether `a >= b` for every binding. Dims are never negative, so a difference that is a sum
 * of non-negative multiples of symbol products (and a non-negative constant) proves it.
 */
export function provablyAtLeast(a: DimLike, b: DimLike): boolean {
  const diff = subDim(a, b);
  return diff.terms.every((t) => t.num >= 0) && [...diff.atoms.values()].every((atom) => atom.kind === 'sym');
}

export function maxDim(a: DimLike, b: DimLike): Dim {
  const x = toDim(a), y = toDim(b);
  const cx = constValue(x), cy = constValue(y);
  if (cx !== undefined && cy !== undefined) return constDim(Math.max(cx, cy));
  if (provablyAtLeast(x, y)) return x;
  if (provablyAtLeast(y, x)) return y;
  return x.key < y.key ? opaque('max', x, y) : opaque('max', y, x);
}

export function minDim(a: DimLike, b: DimLike): Dim {
  const x = toDim(a), y = toDim(b);
  const cx = constValue(x), cy = constValue(y);
  if (cx !== undefined && cy !== undefined) return constDim(Math.min(cx, cy));
  if (provablyAtLeast(x, y)) return y;
  if (provablyAtLeast(y, x)) return x;
  return x.key < y.key ? opaque('min', x, y) : opaque('min', y, x);
}

// ---- queries ----

/** The integer value of a constant dim, or undefined when it has symbols. */
export function constValue(d: DimLike): number | undefined {
  const x = toDim(d);
  if (x.terms.length === 0) return 0;
  if (x.terms.length === 1 && x.terms[0]!.factors.size === 0) {
    const t = x.terms[0]!;
    return t.den === 1 ? t.num : undefined;
  }
  return undefined;
}

export function isConst(d: DimLike, n?: number): boolean {
  const v = constValue(d);
  return v !== undefined && (n === undefined || v === n);
}

export function dimEquals(a: DimLike, b: DimLike): boolean {
  return toDim(a).key === toDim(b).key;
}

/** Names of the symbols a dim mentions. */
export function dimSymbols(d: DimLike, into = new Set<string>()): Set<string> {
  for (const atom of toDim(d).atoms.values()) {
    if (atom.kind === 'sym') into.add(atom.name);
    else {
      dimSymbols(atom.a, into);
      dimSymbols(atom.b, into);
    }
  }
  return into;
}

export type DimBindings = ReadonlyMap<string, number>;

/** Evaluates with bound symbols; the result may be fractional (callers check integrality). */
export function evalDimExact(d: DimLike, env: DimBindings): number {
  const x = toDim(d);
  let total = 0;
  for (const t of x.terms) {
    let v = t.num / t.den;
    for (const [k, e] of t.factors) v *= evalAtom(x.atoms.get(k)!, env) ** e;
    total += v;
  }
  // Products of rationals can pick up rounding noise (1/3 * 3); snap when very close.
  const r = Math.round(total);
  return Math.abs(total - r) < 1e-9 ? r : total;
}

function evalAtom(a: Atom, env: DimBindings): number {
  switch (a.kind) {
    case 'sym': {
      const v = env.get(a.name);
      if (v === undefined) throw new UnboundDimError(a.name);
      return v;
    }
    case 'floordiv': return Math.floor(evalDimExact(a.a, env) / evalDimExact(a.b, env));
    case 'mod': {
      const b = evalDimExact(a.b, env);
      return ((evalDimExact(a.a, env) % b) + b) % b;
    }
    case 'max': return Math.max(evalDimExact(a.a, env), evalDimExact(a.b, env));
    case 'min': return Math.min(evalDimExact(a.a, env), evalDimExact(a.b, env));
  }
}

export class UnboundDimError extends Error {
  constructor(readonly symbol: string) {
    super(`dimension '${symbol}' is not bound`);
  }
}

/** Evaluates to a non-negative integer or throws `BadDimValueError`. */
export function evalDim(d: DimLike, env: DimBindings): number {
  const v = evalDimExact(d, env);
  if (!Number.isInteger(v) || v < 0) throw new BadDimValueError(toDim(d), v);
  return v;
}

export class BadDimValueError extends Error {
  constructor(readonly dim: Dim, readonly value: number) {
    super(`dimension ${dim.key} evaluates to ${value}`);
  }
}

// ---- printing ----

function printAtom(key: string, a: Atom): string {
  if (a.kind === 'sym') return a.name;
  return key;
}

function printFactor(key: string, atom: Atom, e: number): string {
  const base = printAtom(key, atom);
  return Math.abs(e) === 1 ? base : `${base}**${Math.abs(e)}`;
}

/** Readable canonical text: `S`, `D/H`, `3*D`, `S+1`, `D*H/2`. */
export function printDim(d: Dim): string {
  if (d.terms.length === 0) return '0';
  const parts: string[] = [];
  for (const t of d.terms) {
    const numFactors: string[] = [];
    const denFactors: string[] = [];
    const factors = [...t.factors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [k, e] of factors) (e > 0 ? numFactors : denFactors).push(printFactor(k, d.atoms.get(k)!, e));
    let sign = t.num < 0 ? '-' : '+';
    const absNum = Math.abs(t.num);
    const num = [...(absNum !== 1 || numFactors.length === 0 ? [String(absNum)] : []), ...numFactors].join('*');
    const dens = [...(t.den !== 1 ? [String(t.den)] : []), ...denFactors];
    const den = dens.length === 0 ? '' : dens.length === 1 ? `/${dens[0]}` : `/(${dens.join('*')})`;
    parts.push(`${sign}${num}${den}`);
  }
  // Constant term last reads better: `S+1` rather than `1+S`.
  parts.sort((a, b) => Number(/^[+-]\d+$/.test(a)) - Number(/^[+-]\d+$/.test(b)));
  const text = parts.join('');
  return text.startsWith('+') ? text.slice(1) : text;
}

export function printShape(shape: readonly Dim[]): string {
  return `[${shape.map((d) => d.key).join(', ')}]`;
}
