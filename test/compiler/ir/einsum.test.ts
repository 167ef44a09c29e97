import { describe, expect, it } from 'vitest';
import { parseEinsum } from '../../../compiler/ir/einsum.js';

describe('parseEinsum', () => {
  it('labels axes and finds the explicit output', () => {
    expect(parseEinsum('ij,jk->ik', [2, 2])).toEqual({ operands: [['i', 'j'], ['j', 'k']], output: ['i', 'k'] });
    expect(parseEinsum(' i j , j k -> i k ', [2, 2])).toEqual({ operands: [['i', 'j'], ['j', 'k']], output: ['i', 'k'] });
    expect(parseEinsum('->', [0])).toEqual({ operands: [[]], output: [] });
  });

  it('orders an implicit output by ASCII, after the ellipsis, leaving out repeated letters', () => {
    expect(parseEinsum('ba', [2])).toEqual({ operands: [['b', 'a']], output: ['a', 'b'] });
    expect(parseEinsum('ij,jk', [2, 2])).toMatchObject({ output: ['i', 'k'] });
    expect(parseEinsum('ii', [2])).toMatchObject({ output: [] });
    expect(parseEinsum('bA', [2])).toMatchObject({ output: ['A', 'b'] });
    expect(parseEinsum('...ij,j', [3, 1])).toMatchObject({ operands: [['.0', 'i', 'j'], ['j']], output: ['.0', 'i'] });
  });

  it('aligns ellipses at the right', () => {
    expect(parseEinsum('...ij,...jk->...ik', [4, 3])).toEqual({
      operands: [['.0', '.1', 'i', 'j'], ['.1', 'j', 'k']],
      output: ['.0', '.1', 'i', 'k'],
    });
    expect(parseEinsum('i...->...i', [1])).toEqual({ operands: [['i']], output: ['i'] });
  });

  it('says what is wrong with a bad equation', () => {
    expect(parseEinsum('ij,jk->ik', [2])).toMatch(/2 input term\(s\) for 1 operand/);
    expect(parseEinsum('ij->i->j', [2])).toMatch(/more than one '->'/);
    expect(parseEinsum('i1', [2])).toMatch(/invalid character '1'/);
    expect(parseEinsum('......', [2])).toMatch(/more than one ellipsis/);
    expect(parseEinsum('ijk', [2])).toMatch(/names 3 axes of an operand of rank 2/);
    expect(parseEinsum('i...', [0])).toMatch(/names 1 axes of an operand of rank 0/);
    expect(parseEinsum('ij->ii', [2])).toMatch(/lists 'i' twice/);
    expect(parseEinsum('ij->k', [2])).toMatch(/uses 'k', which no input term has/);
    expect(parseEinsum('...i->i', [2])).toMatch(/has no '...'/);
  });
});
