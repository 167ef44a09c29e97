// Dims (compiler/ir/dim.ts, canonical rational polynomials) to and from the manifest's
// DimJson trees. A polynomial becomes a sum of integer-coefficient monomials over one common
// denominator per symbolic denominator, so `(S+1)/2` stays `{'/', S+1, 2}` and every
// intermediate the runtime computes is an integer whenever the dim itself is.

import {
  addDim, constDim, divDim, floorDivDim, maxDim, minDim, modDim, mulDim, subDim, symDim,
  type Atom, type Dim,
} from '../ir/dim.js';
import type { DimJson } from '../../runtime/manifest.js';

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a || 1;
}

function atomToJson(atom: Atom): DimJson {
  if (atom.kind === 'sym') return atom.name;
  return { op: atom.kind, a: dimToJson(atom.a), b: dimToJson(atom.b) };
}

function product(factors: readonly DimJson[]): DimJson {
  return factors.reduce((acc, f) => (acc === 1 ? f : { op: '*', a: acc, b: f }), 1 as DimJson);
}

/** factors with exponent e (> 0) repeated e times, in the dim's key order. */
function powers(d: Dim, factors: ReadonlyMap<string, number>, sign: 1 | -1): DimJson[] {
  const out: DimJson[] = [];
  const keys = [...factors.keys()].sort();
  for (const k of keys) {
    const e = factors.get(k)! * sign;
    for (let i = 0; i < e; i++) out.push(atomToJson(d.atoms.get(k)!));
  }
  return out;
}

/** Σ coef·monomial with integer coefficients, subtraction for negative ones. */
function sum(terms: readonly { coef: number; factors: DimJson[] }[]): DimJson {
  let acc: DimJson | undefined;
  // Positive terms first, constants last within each sign: `S - 1`, `S + 1`.
  const order = (t: { coef: number; factors: DimJson[] }) => 2 * Number(t.coef < 0) + Number(t.factors.length === 0);
  for (const t of [...terms].sort((x, y) => order(x) - order(y))) {
    const magnitude = Math.abs(t.coef);
    const mono = product(magnitude === 1 ? t.factors : [magnitude, ...t.factors]);
    if (acc === undefined) acc = t.coef < 0 ? { op: '-', a: 0, b: mono } : mono;
    else acc = { op: t.coef < 0 ? '-' : '+', a: acc, b: mono };
  }
  return acc ?? 0;
}

/** A dim as JSON: an integer, a symbol, or an op tree the runtime evaluates. */
export function dimToJson(d: Dim): DimJson {
  // Group terms by their symbolic denominator (atoms with negative exponents).
  const groups = new Map<string, { den: DimJson[]; terms: { num: number; den: number; factors: DimJson[] }[] }>();
  for (const t of d.terms) {
    const negative = new Map([...t.factors].filter(([, e]) => e < 0));
    const positive = new Map([...t.factors].filter(([, e]) => e > 0));
    const key = [...negative].map(([k, e]) => `${k}^${e}`).sort().join('*');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { den: powers(d, negative, -1), terms: [] }));
    g.terms.push({ num: t.num, den: t.den, factors: powers(d, positive, 1) });
  }
  // Positive groups first so a sum rarely starts with `0 - x`.
  const parts: { negative: boolean; json: DimJson }[] = [];
  for (const g of groups.values()) {
    const lcm = g.terms.reduce((l, t) => (l * t.den) / gcd(l, t.den), 1);
    const numerator = g.terms.map((t) => ({ coef: (t.num * lcm) / t.den, factors: t.factors }));
    const negative = numerator.every((t) => t.coef < 0);
    const body = sum(negative ? numerator.map((t) => ({ ...t, coef: -t.coef })) : numerator);
    const denominator = product(lcm === 1 ? g.den : [lcm, ...g.den]);
    parts.push({ negative, json: denominator === 1 ? body : { op: '/', a: body, b: denominator } });
  }
  parts.sort((a, b) => Number(a.negative) - Number(b.negative));
  let acc: DimJson | undefined;
  for (const p of parts) {
    if (acc === undefined) acc = p.negative ? { op: '-', a: 0, b: p.json } : p.json;
    else acc = { op: p.negative ? '-' : '+', a: acc, b: p.json };
  }
  return acc ?? 0;
}

/** The Dim a DimJson stands for (canonical again, so `dimFromJson(dimToJson(d))` has d's key). */
export function dimFromJson(j: DimJson): Dim {
  if (typeof j === 'number') return constDim(j);
  if (typeof j === 'string') return symDim(j);
  const a = dimFromJson(j.a), b = dimFromJson(j.b);
  switch (j.op) {
    case '+': return addDim(a, b);
    case '-': return subDim(a, b);
    case '*': return mulDim(a, b);
    case '/': return divDim(a, b);
    case 'floordiv': return floorDivDim(a, b);
    case 'mod': return modDim(a, b);
    case 'max': return maxDim(a, b);
    case 'min': return minDim(a, b);
  }
}
