// Issue 7 item 5: attention's intermediate memory does not grow as S². Attention with
// S = 16384, 8 heads, head dim 64, f32 is compiled for every package target, both as the DSL's
// attention() and as its decomposed spelling (fused by fuse-attention), and the manifest is
// checked: no value or arena slot holds S×S elements, and the arena is O(S·d) — doubling S at
// most doubles it.

import { describe, expect, it } from 'vitest';
import { compile, parse } from '../../../index.js';
import type { Manifest } from '../../../runtime/manifest.js';
import { evalDimJson } from '../../../runtime/dim-eval.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import { planMemory, type MemoryPlan } from '../../../compiler/schedule/memory-plan.js';
import { WASM_TARGET, type Program } from '../../../compiler/kernel/program.js';
import { lowerProgram } from '../../../compiler/lower/lower-program.js';

const S = 16384;
const HEADS = 8;
const HEAD_DIM = 64;

const fusedSource = `model Attention(S) {
  input  q: f32[${HEADS}, S, ${HEAD_DIM}]
  input  k: f32[${HEADS}, S, ${HEAD_DIM}]
  input  v: f32[${HEADS}, S, ${HEAD_DIM}]
  output y = attention(q, k, v, causal: true)
}`;

// Written out: the Q·Kᵀ scores and the softmax are S×S per head unless fuse-attention catches them.
const decomposedSource = `model Decomposed(S) {
  input  q: f32[${HEADS}, S, ${HEAD_DIM}]
  input  k: f32[${HEADS}, S, ${HEAD_DIM}]
  input  v: f32[${HEADS}, S, ${HEAD_DIM}]
  output y = softmax(q @ transpose(k) * 0.125) @ v
}`;

// The example model: projections, heads, attention, merge, output projection (D = 512).
const projectedSource = `model SelfAttention(S, D = ${HEADS * HEAD_DIM}, H = ${HEADS}) {
  input  x: f32[S, D]
  param  wq: f32[D, D]
  param  wk: f32[D, D]
  param  wv: f32[D, D]
  param  wo: f32[D, D]
  let q = heads(x @ wq, H)
  let k = heads(x @ wk, H)
  let v = heads(x @ wv, H)
  let a = attention(q, k, v, causal: true)
  output y = merge_heads(a) @ wo
}`;

const TARGETS = ['wasm', 'webgpu', 'cuda'] as const;
type Target = (typeof TARGETS)[number];

interface Compiled {
  readonly manifest: Manifest;
  readonly plan: MemoryPlan;
  readonly program: Program;
}

function compileFor(source: string, target: Target, dims: Record<string, number> = {}): Compiled {
  const { graph, diagnostics } = parse(source);
  if (!graph) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  const c = compile(graph, { target, dims, randomWeights: true, ...(target === 'wasm' ? { optimize: false } : {}) });
  const out = target === 'wasm' ? c.wasm : target === 'webgpu' ? c.webgpu : c.cuda;
  if (!out) throw new Error(`no ${target} compilation`);
  return out;
}

/** Elements of one S×S matrix: nothing in the plan may be this large per head, let alone per model. */
const SQUARE_BYTES = S * S * 4;

function expectLinearInS(c: Compiled, what: string): void {
  const at = (s: number) => ({ S: s });
  for (const v of c.manifest.values) {
    const big = evalDimJson(v.bytes, at(S));
    expect(big, `${what}: value ${v.name} (${v.role})`).toBeLessThan(SQUARE_BYTES);
    // Doubling S at most doubles every value: none grows as S².
    expect(big, `${what}: value ${v.name} grows faster than S`).toBeLessThanOrEqual(2 * evalDimJson(v.bytes, at(S / 2)));
  }
  for (const [i, slot] of c.plan.slots.entries()) {
    const env = new Map([['S', S]]);
    expect(evalDim(slot.bytes, env), `${what}: arena slot ${i}`).toBeLessThan(SQUARE_BYTES);
  }
  const arena = (s: number) => evalDimJson(c.manifest.arena.bytes, at(s));
  // Bare attention needs no temporaries at all (arena 0); otherwise doubling S at most doubles it.
  expect(arena(S), `${what}: arena(S=16384) vs 2 × arena(S=8192)`).toBeLessThanOrEqual(2 * arena(S / 2));
  // O(S·d): a handful of [heads, S, d]-sized buffers at most, far below one S×S matrix.
  const perHeadRow = HEADS * S * HEAD_DIM * 4;
  expect(arena(S), `${what}: arena`).toBeLessThanOrEqual(8 * perHeadRow);
}

describe('attention memory at S = 16384, 8 heads, head dim 64, f32', () => {
  for (const target of TARGETS) {
    for (const [name, source] of [['attention()', fusedSource], ['decomposed, after fuse-attention', decomposedSource], ['attention.sluice (with projections)', projectedSource]] as const) {
      it(`${target}: ${name} — no S×S buffer, arena O(S·d)`, () => {
        expectLinearInS(compileFor(source, target), `${target} ${name}`);
      });
    }
  }

  it('wasm with S fixed at 16384: the manifest reports a fixed arena far below one S×S matrix and ≈ twice that at S = 8192', () => {
    const big = compileFor(projectedSource, 'wasm', { S });
    const small = compileFor(projectedSource, 'wasm', { S: S / 2 });
    expect(big.manifest.dims).toEqual([]);
    const bytes = (c: Compiled) => evalDimJson(c.manifest.arena.bytes, {});
    expect(bytes(big)).toBe(big.manifest.stats.arenaBytes);
    // q, k, v and the heads' output: four [S, 512] f32 activations (128 MiB); one S×S is 1 GiB.
    expect(bytes(big)).toBeLessThanOrEqual(4 * HEADS * S * HEAD_DIM * 4);
    expect(bytes(big)).toBeLessThan(SQUARE_BYTES);
    const ratio = bytes(big) / bytes(small);
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThanOrEqual(2.01);
    for (const v of big.manifest.values) expect(evalDimJson(v.bytes, {}), v.name).toBeLessThan(SQUARE_BYTES);
    // The largest value is an activation [S, 512] = [8, S, 64]; weights are 512×512.
    const largest = Math.max(...big.manifest.values.map((v) => evalDimJson(v.bytes, {})));
    expect(largest).toBeLessThanOrEqual(HEADS * S * HEAD_DIM * 4);
  });

  it('the check has teeth: the decomposed spelling lowered without fuse-attention holds S×S scores', () => {
    const { graph } = parse(decomposedSource);
    const program = lowerProgram(graph!, WASM_TARGET);
    const plan = planMemory(program);
    const env = new Map([['S', S]]);
    const largest = Math.max(...program.values.map((v) => evalDim(plan.valueBytes.get(v.id)!, env)));
    expect(largest).toBeGreaterThanOrEqual(HEADS * SQUARE_BYTES);
  });
});
