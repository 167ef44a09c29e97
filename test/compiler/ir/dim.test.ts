import { describe, expect, it } from 'vitest';
import {
  addDim, ceilDivDim, constDim, constValue, dimEquals, dimSymbols, divDim, evalDim, evalDimExact, floorDivDim,
  maxDim, minDim, modDim, mulDim, printShape, subDim, symDim, BadDimValueError, UnboundDimError,
} from '../../../compiler/ir/dim.js';

const S = symDim('S'), D = symDim('D'), H = symDim('H');

describe('dims', () => {
  it('print in a readable canonical form', () => {
    expect(printShape([S, divDim(D, H), mulDim(3, D), addDim(S, 1), subDim(S, 1), constDim(7)])).toBe('[S, D/H, 3*D, S+1, S-1, 7]');
    expect(mulDim(divDim(D, 2), H).key).toBe('D*H/2');
  });

  it('are equal when their arithmetic is', () => {
    expect(dimEquals(mulDim(H, divDim(D, H)), D)).toBe(true);
    expect(dimEquals(addDim(S, S), mulDim(2, S))).toBe(true);
    expect(dimEquals(mulDim(addDim(S, 1), 2), addDim(mulDim(2, S), 2))).toBe(true);
    expect(dimEquals(subDim(addDim(S, 3), 3), S)).toBe(true);
    expect(dimEquals(mulDim(S, D), mulDim(D, S))).toBe(true);
    expect(dimEquals(S, D)).toBe(false);
    expect(dimEquals(divDim(D, H), divDim(H, D))).toBe(false);
  });

  it('fold constants', () => {
    expect(constValue(mulDim(constDim(6), divDim(10, 2)))).toBe(30);
    expect(constValue(floorDivDim(7, 2))).toBe(3);
    expect(constValue(ceilDivDim(7, 2))).toBe(4);
    expect(constValue(modDim(-7, 3))).toBe(2);
    expect(constValue(maxDim(3, 9))).toBe(9);
    expect(constValue(S)).toBeUndefined();
    expect(constValue(subDim(S, S))).toBe(0);
  });

  it('evaluate under bindings', () => {
    const env = new Map([['S', 129], ['D', 256], ['H', 8]]);
    expect(evalDim(divDim(D, H), env)).toBe(32);
    expect(evalDim(floorDivDim(S, 2), env)).toBe(64);
    expect(evalDim(ceilDivDim(S, 2), env)).toBe(65);
    expect(evalDim(modDim(S, 7), env)).toBe(3);
    expect(evalDimExact(divDim(S, 2), env)).toBe(64.5);
  });

  it('refuse fractional and negative values, and unbound symbols', () => {
    expect(() => evalDim(divDim(S, 2), new Map([['S', 7]]))).toThrow(BadDimValueError);
    expect(() => evalDim(subDim(S, 10), new Map([['S', 7]]))).toThrow(BadDimValueError);
    expect(() => evalDim(S, new Map())).toThrow(UnboundDimError);
  });

  it('know that dims are never negative in max and min', () => {
    const P = symDim('P');
    expect(maxDim(0, S).key).toBe('S');
    expect(maxDim(addDim(S, P), S).key).toBe('P+S');
    expect(minDim(mulDim(2, S), S).key).toBe('S');
    expect(maxDim(subDim(S, 1), 0).key).toBe('max(0,S-1)'); // S - 1 may be negative
    expect(maxDim(S, D).key).toBe('max(D,S)');
  });

  it('list their symbols, through opaque atoms too', () => {
    expect([...dimSymbols(addDim(floorDivDim(S, H), D))].sort()).toEqual(['D', 'H', 'S']);
  });
});
