// ONNX Attention and RotaryEmbedding: one-node models against the reference written in
// attention-helpers.ts (the ONNX backend node tests cover the spec's examples; these add
// awkward sizes, the IR op choice, symbolic dims and refusals).

import { describe, expect, it } from 'vitest';
import { tensor, toNumbers, type Tensor } from '../../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../../helpers/close.js';
import { randomTensor } from '../../../../helpers/random.js';
import { Arr, arr, fromHeads, importOne, opsOf, referenceAttention, refusal, rotateHeads, run, toHeads } from './attention-helpers.js';

const y = (outputs: Map<string, Tensor>, name = 'y'): Tensor => outputs.get(name)!;

describe('Attention', () => {
  it('4-D GQA with a float mask, 7 queries over 129 keys, uses the IR attention op', () => {
    const q = randomTensor('f32', [1, 4, 7, 5], 1), k = randomTensor('f32', [1, 2, 129, 5], 2), v = randomTensor('f32', [1, 2, 129, 3], 3);
    const mask = randomTensor('f32', [7, 129], 4);
    const c = { op: 'Attention', inputs: [['Q', q], ['K', k], ['V', v], ['attn_mask', mask]] as const };
    expect(opsOf(importOne(c).graph!).has('attention')).toBe(true);
    const m = arr(mask);
    const { y: expected } = referenceAttention({ q: arr(q), k: arr(k), v: arr(v), bias: (_b, _h, i, j) => m.at(i, j) });
    expectClose(y(run(c)), expected.data, 1e-6, 1e-5);
  });

  it('is_causal without a past is aligned to the top-left corner (query i sees keys 0..i)', () => {
    const q = randomTensor('f32', [2, 1, 3, 4], 5), k = randomTensor('f32', [2, 1, 5, 4], 6), v = randomTensor('f32', [2, 1, 5, 4], 7);
    const out = y(run({ op: 'Attention', inputs: [['Q', q], ['K', k], ['V', v]], attrs: { is_causal: 1 } }));
    const { y: expected } = referenceAttention({ q: arr(q), k: arr(k), v: arr(v), allowed: (_b, _h, i, j) => j <= i });
    expectClose(out, expected.data, 1e-6, 1e-5);
  });

  it('with a past, is_causal is aligned to the end of the past, and present is past + new', () => {
    const q = randomTensor('f32', [1, 2, 2, 4], 8), k = randomTensor('f32', [1, 2, 3, 4], 9), v = randomTensor('f32', [1, 2, 3, 4], 10);
    const pk = randomTensor('f32', [1, 2, 1, 4], 11), pv = randomTensor('f32', [1, 2, 1, 4], 12);
    const outputs = run({
      op: 'Attention', attrs: { is_causal: 1 }, outputs: ['y', 'present_key', 'present_value'],
      inputs: [['Q', q], ['K', k], ['V', v], '', ['past_key', pk], ['past_value', pv]],
    });
    const cat = (a: Tensor, b: Tensor): Arr => {
      const out = Arr.zeros([1, 2, 4, 4]);
      for (let h = 0; h < 2; h++) for (let j = 0; j < 4; j++) for (let d = 0; d < 4; d++) out.set(j < 1 ? arr(a).at(0, h, j, d) : arr(b).at(0, h, j - 1, d), 0, h, j, d);
      return out;
    };
    const keys = cat(pk, k), values = cat(pv, v);
    expect(toNumbers(y(outputs, 'present_key'))).toEqual(keys.data);
    expect(toNumbers(y(outputs, 'present_value'))).toEqual(values.data);
    const { y: expected } = referenceAttention({ q: arr(q), k: keys, v: values, allowed: (_b, _h, i, j) => j <= i + 1 });
    expectClose(y(outputs), expected.data, 1e-6, 1e-5);
  });

  it('3-D inputs split into heads; softcap and the qk output take the decomposition', () => {
    const q = randomTensor('f32', [2, 7, 6], 13), k = randomTensor('f32', [2, 5, 2], 14), v = randomTensor('f32', [2, 5, 4], 15);
    const c = {
      op: 'Attention', outputs: ['y', '', '', 'qk'], attrs: { q_num_heads: 3, kv_num_heads: 1, qk_matmul_output_mode: 3 }, floats: { softcap: 0.75, scale: 0.5 },
      inputs: [['Q', q], ['K', k], ['V', v]] as const,
    };
    const ops = opsOf(importOne(c).graph!);
    expect(ops.has('attention')).toBe(false);
    expect(ops.has('tanh')).toBe(true);
    const outputs = run(c);
    const ref = referenceAttention({ q: toHeads(arr(q), 3), k: toHeads(arr(k), 1), v: toHeads(arr(v), 1), scale: 0.5, softcap: 0.75 });
    expectClose(y(outputs), fromHeads(ref.y), 1e-6, 1e-5);
    expectClose(y(outputs, 'qk'), ref.probs.data, 1e-6, 1e-5);
  });

  it('a bool mask shorter than the keys is padded with false; a fully masked row gives 0', () => {
    const q = randomTensor('f32', [1, 1, 2, 3], 16), k = randomTensor('f32', [1, 1, 4, 3], 17), v = randomTensor('f32', [1, 1, 4, 3], 18);
    const mask = tensor('bool', [2, 2], [1, 0, 0, 0]);
    const out = y(run({ op: 'Attention', inputs: [['Q', q], ['K', k], ['V', v], ['attn_mask', mask]] }));
    const vv = toNumbers(v);
    expectClose(out, [vv[0]!, vv[1]!, vv[2]!, 0, 0, 0], 1e-7);
  });

  it('nonpad_kv_seqlen (opset 24) hides keys past each batch entry and moves the causal diagonal', () => {
    const q = randomTensor('f32', [2, 1, 2, 4], 19), k = randomTensor('f32', [2, 1, 5, 4], 20), v = randomTensor('f32', [2, 1, 5, 4], 21);
    const lengths = tensor('i64', [2], [5, 3]);
    const out = y(run({ op: 'Attention', opset: 24, attrs: { is_causal: 1 }, inputs: [['Q', q], ['K', k], ['V', v], '', '', '', ['nonpad', lengths]] }));
    const len = [5, 3];
    const { y: expected } = referenceAttention({ q: arr(q), k: arr(k), v: arr(v), allowed: (b, _h, i, j) => j < len[b]! && j <= i + len[b]! - 2 });
    expectClose(out, expected.data, 1e-6, 1e-5);
  });

  it('imports with a symbolic sequence length', () => {
    const q = randomTensor('f32', [1, 2, 3, 4], 22), k = randomTensor('f32', [1, 2, 3, 4], 23), v = randomTensor('f32', [1, 2, 3, 4], 24);
    const out = y(run({ op: 'Attention', attrs: { is_causal: 1 }, inputs: [['Q', q], ['K', k], ['V', v]], symbolic: { Q: [1, 2, 'S', 4], K: [1, 2, 'S', 4], V: [1, 2, 'S', 4] } }));
    const { y: expected } = referenceAttention({ q: arr(q), k: arr(k), v: arr(v), allowed: (_b, _h, i, j) => j <= i });
    expectClose(out, expected.data, 1e-6, 1e-5);
  });

  it('refuses malformed nodes with a diagnostic at the node', () => {
    const q = randomTensor('f32', [1, 2, 6], 1), k = randomTensor('f32', [1, 2, 6], 2);
    expect(refusal({ op: 'Attention', inputs: [['Q', q], ['K', k], ['V', k]] })).toMatchObject({ code: 3004, message: expect.stringContaining('q_num_heads') });
    const q4 = randomTensor('f32', [1, 1, 2, 3], 1);
    expect(refusal({ op: 'Attention', attrs: { qk_matmul_output_mode: 5 }, outputs: ['y', '', '', 'qk'], inputs: [['Q', q4], ['K', q4], ['V', q4]] }).code).toBe(3004);
    expect(refusal({ op: 'Attention', inputs: [['Q', q4], ['K', q4], ['V', q4], '', ['past_key', q4]] }).message).toContain('past_value');
    expect(refusal({ op: 'Attention', opset: 22, inputs: [['Q', q4], ['K', q4], ['V', q4]] }).code).toBe(3002);
    // a cache that does not fit the new keys: a shape error at the node, not a crash
    const past = randomTensor('f32', [1, 1, 4, 5], 3);
    const bad = refusal({ op: 'Attention', outputs: ['y', 'pk', 'pv', 'qk'], attrs: { qk_matmul_output_mode: 1 }, inputs: [['Q', q4], ['K', q4], ['V', q4], '', ['past_key', past], ['past_value', past]] });
    expect(bad.code).toBeGreaterThanOrEqual(2000);
    expect(bad.code).toBeLessThan(3000);
    expect(refusal({ op: 'Attention', opset: 24, inputs: [['Q', q4], ['K', q4], ['V', q4], '', '', '', ['nonpad', tensor('i64', [1, 1], [1])]] }).message).toContain('rank 1');
  });
});

describe('RotaryEmbedding', () => {
  const cache = (seed: number): Tensor => randomTensor('f32', [9, 3], seed);

  it('4-D input, half layout, partial rotation, with position ids', () => {
    const x = randomTensor('f32', [2, 3, 7, 10], 1);
    const ids = tensor('i64', [2, 7], [0, 1, 2, 3, 4, 5, 6, 8, 7, 6, 5, 4, 3, 2]);
    const cos = cache(2), sin = cache(3);
    const out = y(run({ op: 'RotaryEmbedding', attrs: { rotary_embedding_dim: 6 }, inputs: [['x', x], ['cos', cos], ['sin', sin], ['ids', ids]] }));
    const id = arr(ids);
    expectClose(out, rotateHeads(arr(x), arr(cos), arr(sin), (b, s) => id.at(b, s), 6, false).data, 1e-7, 1e-6);
  });

  it('3-D input with num_heads, interleaved, caches per position without ids', () => {
    const x = randomTensor('f32', [1, 7, 12], 4);
    const cos = randomTensor('f32', [1, 7, 3], 5), sin = randomTensor('f32', [1, 7, 3], 6);
    const out = y(run({ op: 'RotaryEmbedding', attrs: { num_heads: 2, interleaved: 1 }, inputs: [['x', x], ['cos', cos], ['sin', sin]] }));
    const flat = (t: Tensor): Arr => new Arr([7, 3], toNumbers(t));
    const rotated = rotateHeads(toHeads(arr(x), 2), flat(cos), flat(sin), (_b, s) => s, 6, true);
    expectClose(out, fromHeads(rotated), 1e-7, 1e-6);
  });

  it('refuses an odd rotary dim and a 3-D input without num_heads', () => {
    const x = randomTensor('f32', [1, 2, 3, 6], 1);
    expect(refusal({ op: 'RotaryEmbedding', attrs: { rotary_embedding_dim: 5 }, inputs: [['x', x], ['cos', cache(1)], ['sin', cache(2)]] }).code).toBe(3004);
    expect(refusal({ op: 'RotaryEmbedding', inputs: [['x', randomTensor('f32', [1, 2, 6], 1)], ['cos', cache(1)], ['sin', cache(2)]] }).message).toContain('num_heads');
  });
});
