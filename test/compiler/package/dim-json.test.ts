import { describe, expect, it } from 'vitest';
import {
  addDim, ceilDivDim, constDim, divDim, evalDim, floorDivDim, maxDim, minDim, modDim, mulDim, subDim, symDim,
  type Dim,
} from '../../../compiler/ir/dim.js';
import { dimFromJson, dimToJson } from '../../../compiler/package/dim-json.js';
import { evalDimJson } from '../../../runtime/dim-eval.js';
import { seededRandom } from '../../helpers/random.js';

const SYMBOLS = ['S', 'D', 'H', 'B'];

/** A random dim built from the dim constructors (so it is in canonical form). */
function randomDim(next: () => number, depth: number): Dim {
  const pick = (n: number) => Math.floor(((next() + 1) / 2) * n);
  if (depth === 0 || next() < -0.4) return pick(3) === 0 ? constDim(pick(9) + 1) : symDim(SYMBOLS[pick(SYMBOLS.length)]!);
  const a = randomDim(next, depth - 1), b = randomDim(next, depth - 1);
  switch (pick(10)) {
    case 0: case 1: return addDim(a, b);
    case 2: return subDim(a, b);
    case 3: case 4: return mulDim(a, b);
    case 5: return divDim(a, b);
    case 6: return floorDivDim(a, b);
    case 7: return modDim(a, b);
    case 8: return maxDim(a, b);
    default: return pick(2) ? minDim(a, b) : ceilDivDim(a, b);
  }
}

function outcome(f: () => number): number | 'error' {
  try {
    return f();
  } catch {
    return 'error';
  }
}

describe('dimToJson', () => {
  it('writes small dims readably', () => {
    expect(dimToJson(constDim(7))).toBe(7);
    expect(dimToJson(symDim('S'))).toBe('S');
    expect(dimToJson(addDim('S', 1))).toEqual({ op: '+', a: 'S', b: 1 });
    expect(dimToJson(subDim('S', 1))).toEqual({ op: '-', a: 'S', b: 1 });
    expect(dimToJson(divDim(addDim('S', 1), 2))).toEqual({ op: '/', a: { op: '+', a: 'S', b: 1 }, b: 2 });
    expect(dimToJson(divDim('D', 'H'))).toEqual({ op: '/', a: 'D', b: 'H' });
    expect(dimToJson(mulDim(4, mulDim('S', 'D')))).toEqual({ op: '*', a: { op: '*', a: 4, b: 'D' }, b: 'S' });
    expect(dimToJson(constDim(0))).toBe(0);
  });

  it('agrees with evalDim and round-trips on random dims and bindings', () => {
    const next = seededRandom(11);
    let compared = 0;
    for (let trial = 0; trial < 400; trial++) {
      let d: Dim;
      try {
        d = randomDim(next, 3);
      } catch {
        continue; // a division by a dim that is zero
      }
      const json = dimToJson(d);
      expect(JSON.parse(JSON.stringify(json))).toEqual(json);
      expect(dimFromJson(json).key).toBe(d.key);
      for (let b = 0; b < 4; b++) {
        const env = new Map(SYMBOLS.map((s) => [s, 1 + Math.floor(((next() + 1) / 2) * 40)] as const));
        const want = outcome(() => evalDim(d, env));
        const got = outcome(() => evalDimJson(json, Object.fromEntries(env)));
        expect(got, `${d.key} at ${JSON.stringify([...env])}`).toBe(want);
        if (want !== 'error') compared++;
      }
    }
    expect(compared).toBeGreaterThan(500);
  });
});
