// Whole models lowered to Programs and run on the Kernel IR interpreter, against the Graph IR
// interpreter: the examples and the DSL fixtures.

import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { expectLoweringMatches, graphOf } from './harness.js';

const MODELS: readonly { file: string; dims: readonly Record<string, number>[] }[] = [
  { file: 'examples/mlp.sluice', dims: [{ B: 1 }, { B: 7 }] },
  { file: 'test/fixtures/dsl/classifier.sluice', dims: [{ B: 1, T: 3 }, { B: 7, T: 5 }] },
];

/** The examples' attention models with constant model dims (the attention schedule needs a constant head dim). */
const ATTENTION = `model SelfAttention(S) {
  input  x: f32[S, 32]
  param  wq: f32[32, 32]
  param  wk: f32[32, 32]
  param  wv: f32[32, 32]
  param  wo: f32[32, 32]
  let q = heads(x @ wq, 4)
  let k = heads(x @ wk, 4)
  let v = heads(x @ wv, 4)
  output y = merge_heads(attention(q, k, v, causal: true)) @ wo
}`;

const BLOCK = `model Block(S) {
  input  x: f32[S, 32]
  param  norm1: f32[32]
  param  wq: f32[32, 32]
  param  wk: f32[32, 8]
  param  wv: f32[32, 8]
  param  wo: f32[32, 32]
  param  norm2: f32[32]
  param  w_gate: f32[32, 48]
  param  w_up: f32[32, 48]
  param  w_down: f32[48, 32]
  fn silu(t) = t * sigmoid(t)
  let h  = rmsnorm(x, norm1)
  let a  = attention(heads(h @ wq, 8), heads(h @ wk, 2), heads(h @ wv, 2), causal: true)
  let x1 = x + merge_heads(a) @ wo
  let g  = rmsnorm(x1, norm2)
  output y = x1 + (silu(g @ w_gate) * (g @ w_up)) @ w_down
}`;

describe('lowering attention models matches the interpreter', () => {
  it('multi-head self-attention (examples/attention.sluice with constant D)', () => {
    const g = graphOf(ATTENTION);
    for (const S of [1, 7, 33]) expectLoweringMatches(g, { S }, S);
  });
  it('a GQA decoder block (examples/transformer-block.sluice with constant D)', () => {
    const g = graphOf(BLOCK);
    for (const S of [1, 9]) expectLoweringMatches(g, { S }, S);
  });
});

describe('lowering whole models matches the interpreter', () => {
  for (const m of MODELS) {
    it(m.file, () => {
      const g = graphOf(readFileSync(m.file, 'utf8'));
      m.dims.forEach((d, k) => expectLoweringMatches(g, d, k + 1));
    });
  }
});
