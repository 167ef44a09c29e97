// com.microsoft MultiHeadAttention, GroupQueryAttention and RotaryEmbedding against references
// written here from ONNX Runtime's contrib op documentation and CPU kernel semantics: additive
// mask_filter_value masks (MHA), per-batch cache positions from seqlens_k (GQA), positions from
// ids or an offset (rotary).

import { describe, expect, it } from 'vitest';
import { tensor, toNumbers, type Tensor } from '../../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../../helpers/close.js';
import { randomTensor } from '../../../../helpers/random.js';
import { Arr, arr, fromHeads, MS, referenceAttention, refusal, rotateHeads, run, toHeads } from './attention-helpers.js';

const out = (outputs: Map<string, Tensor>, name = 'y'): Tensor => outputs.get(name)!;

/** x [B, S, W] plus bias[start .. start+W) on the last axis. */
function plusBias(x: Tensor, bias: Tensor, start: number): Arr {
  const a = arr(x), b = toNumbers(bias);
  const w = x.shape[2]!;
  return new Arr(a.shape, a.data.map((v, i) => Math.fround(v + b[start + (i % w)]!)));
}

describe('MultiHeadAttention', () => {
  it('adds the projection bias, masks padded keys with mask_filter_value and adds attention_bias (7 queries, 129 keys)', () => {
    const [batch, sq, sk, heads] = [2, 7, 129, 3];
    const query = randomTensor('f32', [batch, sq, 12], 1), key = randomTensor('f32', [batch, sk, 12], 2), value = randomTensor('f32', [batch, sk, 6], 3);
    const bias = randomTensor('f32', [30], 4);
    const padding = tensor('i32', [batch, sk], Array.from({ length: batch * sk }, (_, i) => (i % sk < (i < sk ? 100 : 129) ? 1 : 0)));
    const attnBias = randomTensor('f32', [1, heads, sq, sk], 5);
    const y = out(run({
      op: 'MultiHeadAttention', domain: MS, attrs: { num_heads: heads },
      inputs: [['q', query], ['k', key], ['v', value], ['bias', bias], ['mask', padding], ['attn_bias', attnBias]],
    }));
    const pm = arr(padding), ab = arr(attnBias);
    const ref = referenceAttention({
      q: toHeads(plusBias(query, bias, 0), heads), k: toHeads(plusBias(key, bias, 12), heads), v: toHeads(plusBias(value, bias, 24), heads),
      bias: (b, h, i, j) => (pm.at(b, j) === 0 ? -10000 : 0) + ab.at(0, h, i, j),
    });
    expect(y.shape).toEqual([batch, sq, 6]);
    expectClose(y, fromHeads(ref.y), 1e-6, 1e-4);
  });

  it('unidirectional with a past: keys up to past + i, present is past + new; [batch] lengths pad keys', () => {
    const [sq, past, heads] = [3, 2, 2];
    const query = randomTensor('f32', [1, sq, 8], 6), key = randomTensor('f32', [1, sq, 8], 7), value = randomTensor('f32', [1, sq, 8], 8);
    const pk = randomTensor('f32', [1, heads, past, 4], 9), pv = randomTensor('f32', [1, heads, past, 4], 10);
    const lengths = tensor('i32', [1], [4]);
    const outputs = run({
      op: 'MultiHeadAttention', domain: MS, attrs: { num_heads: heads, unidirectional: 1 }, floats: { mask_filter_value: -1000, scale: 0.25 },
      outputs: ['y', 'present_key', 'present_value'],
      inputs: [['q', query], ['k', key], ['v', value], '', ['lengths', lengths], '', ['pk', pk], ['pv', pv]],
    });
    const cat = (p: Tensor, x: Tensor): Arr => {
      const n = toHeads(arr(x), heads), a = arr(p), o = Arr.zeros([1, heads, past + sq, 4]);
      for (let h = 0; h < heads; h++) for (let j = 0; j < past + sq; j++) for (let d = 0; d < 4; d++) o.set(j < past ? a.at(0, h, j, d) : n.at(0, h, j - past, d), 0, h, j, d);
      return o;
    };
    const keys = cat(pk, key), values = cat(pv, value);
    expect(toNumbers(out(outputs, 'present_key'))).toEqual(keys.data);
    expect(toNumbers(out(outputs, 'present_value'))).toEqual(values.data);
    const ref = referenceAttention({
      q: toHeads(arr(query), heads), k: keys, v: values, scale: 0.25,
      bias: (_b, _h, i, j) => (j < 4 ? 0 : -1000) + (j <= past + i ? 0 : -1000),
    });
    expectClose(out(outputs), fromHeads(ref.y), 1e-6, 1e-4);
  });

  it('the mask is additive and finite: a fully padded row attends as if unmasked (not 0)', () => {
    const q = randomTensor('f32', [1, 2, 4], 12), k = randomTensor('f32', [1, 3, 4], 13), v = randomTensor('f32', [1, 3, 4], 14);
    const y = out(run({ op: 'MultiHeadAttention', domain: MS, attrs: { num_heads: 1 }, inputs: [['q', q], ['k', k], ['v', v], '', ['mask', tensor('i32', [1, 3], [0, 0, 0])]] }));
    const ref = referenceAttention({ q: toHeads(arr(q), 1), k: toHeads(arr(k), 1), v: toHeads(arr(v), 1) });
    expectClose(y, fromHeads(ref.y), 1e-4, 1e-3); // exp(score - 10000) loses a few bits in f32
  });

  it('packed QKV [B, S, N, 3, H] is the same as separate q, k, v', () => {
    const packed = randomTensor('f32', [2, 5, 2, 3, 4], 11);
    const p = arr(packed);
    const part = (which: number): Tensor => {
      const values: number[] = [];
      for (let b = 0; b < 2; b++) for (let s = 0; s < 5; s++) for (let n = 0; n < 2; n++) for (let d = 0; d < 4; d++) values.push(p.at(b, s, n, which, d));
      return tensor('f32', [2, 5, 8], values);
    };
    const y = out(run({ op: 'MultiHeadAttention', domain: MS, attrs: { num_heads: 2 }, inputs: [['qkv', packed]] }));
    const ref = referenceAttention({ q: toHeads(arr(part(0)), 2), k: toHeads(arr(part(1)), 2), v: toHeads(arr(part(2)), 2) });
    expectClose(y, fromHeads(ref.y), 1e-6, 1e-5);
  });

  it('refuses buffer sharing, beam search and the qk output', () => {
    const q = randomTensor('f32', [1, 2, 4], 1);
    const base = { op: 'MultiHeadAttention', domain: MS, attrs: { num_heads: 2 } };
    expect(refusal({ ...base, inputs: [['q', q], ['k', q], ['v', q], '', '', '', '', '', ['psl', tensor('i32', [1], [0])]] })).toMatchObject({ code: 3016, message: expect.stringContaining('past_sequence_length') });
    expect(refusal({ ...base, outputs: ['y', '', '', 'qk'], inputs: [['q', q], ['k', q], ['v', q]] }).code).toBe(3016);
  });
});

describe('GroupQueryAttention', () => {
  const [heads, kvHeads, size] = [4, 2, 4];
  const cos = randomTensor('f32', [16, 2], 20), sin = randomTensor('f32', [16, 2], 21);

  it('a right-padded prompt with rotary: causal, keys below each entry\'s length, positions 0..S-1', () => {
    const [batch, sq] = [2, 7];
    const query = randomTensor('f32', [batch, sq, heads * size], 22), key = randomTensor('f32', [batch, sq, kvHeads * size], 23), value = randomTensor('f32', [batch, sq, kvHeads * size], 24);
    const seqlens = tensor('i32', [batch], [6, 4]);
    const outputs = run({
      op: 'GroupQueryAttention', domain: MS, attrs: { num_heads: heads, kv_num_heads: kvHeads, do_rotary: 1 },
      outputs: ['y', 'present_key', 'present_value'],
      inputs: [['q', query], ['k', key], ['v', value], '', '', ['seqlens_k', seqlens], ['total', tensor('i32', [], [7])], ['cos', cos], ['sin', sin]],
    });
    const position = (_b: number, s: number): number => s;
    const q = rotateHeads(toHeads(arr(query), heads), arr(cos), arr(sin), position, 4, false);
    const k = rotateHeads(toHeads(arr(key), kvHeads), arr(cos), arr(sin), position, 4, false);
    const lengths = [7, 5];
    const ref = referenceAttention({ q, k, v: toHeads(arr(value), kvHeads), allowed: (b, _h, i, j) => j <= i && j < lengths[b]! });
    expectClose(out(outputs), fromHeads(ref.y), 1e-6, 1e-5);
    expectClose(out(outputs, 'present_key'), k.data, 1e-6, 1e-6);
  });

  it('decoding into a cache: each entry\'s new token sits at seqlens_k, with a local window', () => {
    const [batch, past, window] = [2, 5, 2];
    const query = randomTensor('f32', [batch, 1, heads * size], 25), key = randomTensor('f32', [batch, 1, kvHeads * size], 26), value = randomTensor('f32', [batch, 1, kvHeads * size], 27);
    const pk = randomTensor('f32', [batch, kvHeads, past, size], 28), pv = randomTensor('f32', [batch, kvHeads, past, size], 29);
    const seqlens = [5, 3]; // total lengths 6 and 4: entry 1 has 3 valid past keys
    const outputs = run({
      op: 'GroupQueryAttention', domain: MS, attrs: { num_heads: heads, kv_num_heads: kvHeads, do_rotary: 1, local_window_size: window, rotary_interleaved: 1 },
      outputs: ['y', 'present_key', 'present_value'],
      inputs: [['q', query], ['k', key], ['v', value], ['pk', pk], ['pv', pv], ['seqlens_k', tensor('i32', [batch], seqlens)], ['total', tensor('i32', [], [6])], ['cos', cos], ['sin', sin]],
    });
    // Per entry: the valid past keys at positions 0.., then the new key at position seqlens_k.
    const position = (b: number): number => seqlens[b]!;
    const q = rotateHeads(toHeads(arr(query), heads), arr(cos), arr(sin), position, 4, true);
    const k = rotateHeads(toHeads(arr(key), kvHeads), arr(cos), arr(sin), position, 4, true);
    const v = toHeads(arr(value), kvHeads);
    const pka = arr(pk), pva = arr(pv);
    const y: number[] = [];
    for (let b = 0; b < batch; b++) {
      const keys = Arr.zeros([1, kvHeads, seqlens[b]! + 1, size]), values = Arr.zeros([1, kvHeads, seqlens[b]! + 1, size]);
      for (let h = 0; h < kvHeads; h++) for (let j = 0; j <= seqlens[b]!; j++) for (let d = 0; d < size; d++) {
        keys.set(j < seqlens[b]! ? pka.at(b, h, j, d) : k.at(b, h, 0, d), 0, h, j, d);
        values.set(j < seqlens[b]! ? pva.at(b, h, j, d) : v.at(b, h, 0, d), 0, h, j, d);
      }
      const qb = new Arr([1, heads, 1, size], q.data.slice(b * heads * size, (b + 1) * heads * size));
      const ref = referenceAttention({ q: qb, k: keys, v: values, allowed: (_b, _h, _i, j) => j > seqlens[b]! - window });
      y.push(...fromHeads(ref.y));
    }
    expectClose(out(outputs), y, 1e-6, 1e-5);
    expect(out(outputs, 'present_key').shape).toEqual([batch, kvHeads, past + 1, size]);
  });

  it('a prompt with local_window_size W: each query sees its last W positions, itself included', () => {
    const [sq, window] = [6, 2];
    const query = randomTensor('f32', [1, sq, heads * size], 30), key = randomTensor('f32', [1, sq, kvHeads * size], 31), value = randomTensor('f32', [1, sq, kvHeads * size], 32);
    const y = out(run({
      op: 'GroupQueryAttention', domain: MS, attrs: { num_heads: heads, kv_num_heads: kvHeads, local_window_size: window },
      inputs: [['q', query], ['k', key], ['v', value], '', '', ['seqlens_k', tensor('i32', [1], [sq - 1])], ['total', tensor('i32', [], [sq])]],
    }));
    const ref = referenceAttention({ q: toHeads(arr(query), heads), k: toHeads(arr(key), kvHeads), v: toHeads(arr(value), kvHeads), allowed: (_b, _h, i, j) => j <= i && j > i - window });
    expectClose(y, fromHeads(ref.y), 1e-6, 1e-5);
  });

  it('refuses quantized caches, head sinks and shared-buffer windows', () => {
    const q = randomTensor('f32', [1, 1, 16], 1), kv = randomTensor('f32', [1, 1, 8], 2);
    const base = { op: 'GroupQueryAttention', domain: MS, attrs: { num_heads: heads, kv_num_heads: kvHeads } };
    const inputs = [['q', q], ['k', kv], ['v', kv], '', '', ['seqlens_k', tensor('i32', [1], [0])], ['total', tensor('i32', [], [1])]] as const;
    expect(refusal({ ...base, attrs: { ...base.attrs, k_quant_type: 'PER_TENSOR' }, inputs: [...inputs] }).code).toBe(3016);
    expect(refusal({ ...base, attrs: { ...base.attrs, sliding_window_cache: 1 }, inputs: [...inputs] }).code).toBe(3016);
    expect(refusal({ ...base, inputs: [...inputs, '', '', '', '', ['sink', randomTensor('f32', [heads], 3)]] }).message).toContain('head_sink');
  });
});

describe('RotaryEmbedding (com.microsoft)', () => {
  const cos = randomTensor('f32', [12, 3], 30), sin = randomTensor('f32', [12, 3], 31);

  it('3-D input with position ids [B, S], partial rotation with num_heads', () => {
    const x = randomTensor('f32', [2, 7, 16], 32);
    const ids = tensor('i64', [2, 7], [0, 1, 2, 3, 4, 5, 6, 11, 10, 9, 8, 7, 6, 5]);
    const y = out(run({ op: 'RotaryEmbedding', domain: MS, attrs: { num_heads: 2, rotary_embedding_dim: 6 }, inputs: [['x', x], ['ids', ids], ['cos', cos], ['sin', sin]] }));
    const id = arr(ids);
    expectClose(y, fromHeads(rotateHeads(toHeads(arr(x), 2), arr(cos), arr(sin), (b, s) => id.at(b, s), 6, false)), 1e-7, 1e-6);
  });

  it('4-D input with a start position [1], interleaved; the head size is the cache width when num_heads is 0', () => {
    const x = randomTensor('f32', [1, 2, 7, 6], 33);
    const y = out(run({ op: 'RotaryEmbedding', domain: MS, attrs: { interleaved: 1 }, inputs: [['x', x], ['ids', tensor('i64', [1], [4])], ['cos', cos], ['sin', sin]] }));
    expectClose(y, rotateHeads(arr(x), arr(cos), arr(sin), (_b, s) => 4 + s, 6, true).data, 1e-7, 1e-6);
    const x3 = randomTensor('f32', [1, 7, 12], 34);
    const y3 = out(run({ op: 'RotaryEmbedding', domain: MS, inputs: [['x', x3], ['ids', tensor('i64', [1], [0])], ['cos', cos], ['sin', sin]] }));
    expectClose(y3, fromHeads(rotateHeads(toHeads(arr(x3), 2), arr(cos), arr(sin), (_b, s) => s, 6, false)), 1e-7, 1e-6);
  });

  it('refuses packed batching and a custom scale', () => {
    const x = randomTensor('f32', [1, 1, 2, 6], 1), ids = tensor('i64', [1], [0]);
    expect(refusal({ op: 'RotaryEmbedding', domain: MS, attrs: { is_packed_batching: 1 }, inputs: [['x', x], ['ids', ids], ['cos', cos], ['sin', sin]] }).code).toBe(3016);
    expect(refusal({ op: 'RotaryEmbedding', domain: MS, floats: { scale: 0.5 }, inputs: [['x', x], ['ids', ids], ['cos', cos], ['sin', sin]] }).code).toBe(3016);
  });
});
