// One-node ONNX models for the attention-family converter tests, and plain reference
// implementations of attention and rotary embeddings on number arrays, written from the op
// definitions (ONNX reference and ONNX Runtime's contrib op docs) independently of the IR.

import { expect } from 'vitest';
import type { Diagnostic } from '../../../../../compiler/diagnostics/diagnostic.js';
import { importOnnx } from '../../../../../compiler/import/onnx/index.js';
import { onnx, type AttributeProto } from '../../../../../compiler/import/onnx/proto.js';
import { DTYPES } from '../../../../../compiler/ir/dtype.js';
import type { Graph } from '../../../../../compiler/ir/graph.js';
import { interpret } from '../../../../../compiler/interpret/interpreter.js';
import type { Tensor } from '../../../../../compiler/interpret/tensor.js';
import { modelProto, type NodeSpec } from '../../../../helpers/onnx-model.js';

export interface OneNode {
  readonly op: string;
  readonly domain?: string;
  /** Graph inputs in node order; '' leaves an optional input out. */
  readonly inputs: readonly (readonly [string, Tensor] | '')[];
  /** Node outputs in order ('' leaves one out); all named ones become graph outputs. */
  readonly outputs?: readonly string[];
  readonly attrs?: NodeSpec['attrs'];
  /** Attributes that must be FLOAT even when their value is a whole number. */
  readonly floats?: Readonly<Record<string, number>>;
  readonly opset?: number;
  /** Graph inputs with symbolic dims: name → dims. */
  readonly symbolic?: Readonly<Record<string, readonly (string | number)[]>>;
}

export const MS = 'com.microsoft';

function encode(c: OneNode): Uint8Array {
  const given = c.inputs.filter((i): i is readonly [string, Tensor] => i !== '');
  const outputs = c.outputs ?? ['y'];
  const proto = modelProto({
    opsets: [{ domain: '', version: c.opset ?? 23 }, ...(c.domain ? [{ domain: c.domain, version: 1 }] : [])],
    nodes: [{ op: c.op, domain: c.domain, name: 'n', inputs: c.inputs.map((i) => (i === '' ? '' : i[0])), outputs: [...outputs], attrs: c.attrs }],
    inputs: given.map(([name, t]) => ({ name, elemType: DTYPES[t.dtype].onnx, shape: c.symbolic?.[name] ?? t.shape })),
    outputs: outputs.filter((o) => o !== '').map((name) => ({ name, elemType: 0 })),
  });
  const T = onnx.AttributeProto.AttributeType;
  for (const node of proto.graph!.node!) {
    for (const [name, f] of Object.entries(c.floats ?? {})) {
      node.attribute = [...(node.attribute ?? []).filter((a: AttributeProto) => a.name !== name), { name, type: T.FLOAT, f }];
    }
  }
  return onnx.ModelProto.encode(proto).finish();
}

export function importOne(c: OneNode): { graph: Graph | undefined; diagnostics: Diagnostic[] } {
  return importOnnx(encode(c), 'm.onnx');
}

/** Imports and runs the node; returns its named outputs. */
export function run(c: OneNode): Map<string, Tensor> {
  const { graph, diagnostics } = importOne(c);
  expect(diagnostics.map((d) => d.message)).toEqual([]);
  const feeds = new Map(c.inputs.filter((i): i is readonly [string, Tensor] => i !== '').map(([n, t]) => [n, t]));
  return interpret(graph!, feeds).outputs;
}

/** The first error of an import that must fail. */
export function refusal(c: OneNode): { code: number; message: string } {
  const { graph, diagnostics } = importOne(c);
  expect(graph).toBeUndefined();
  const d = diagnostics.find((x) => x.severity === 'error')!;
  return { code: d.code, message: d.message };
}

/** The IR ops of a graph's outputs, transitively. */
export function opsOf(graph: Graph): Set<string> {
  const seen = new Set<string>();
  const stack = graph.outputs.map((o) => o.node);
  const visited = new Set<unknown>();
  while (stack.length) {
    const n = stack.pop()!;
    if (visited.has(n)) continue;
    visited.add(n);
    seen.add(n.op);
    stack.push(...n.src);
  }
  return seen;
}

// ---- reference implementations ----

/** A dense array view: index [a, b, c, d] of a row-major shape. */
export class Arr {
  constructor(readonly shape: readonly number[], readonly data: number[]) {}
  static zeros(shape: readonly number[]): Arr {
    return new Arr(shape, new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(0));
  }
  offset(idx: readonly number[]): number {
    let o = 0;
    for (let i = 0; i < this.shape.length; i++) o = o * this.shape[i]! + idx[i]!;
    return o;
  }
  at(...idx: number[]): number {
    return this.data[this.offset(idx)]!;
  }
  set(value: number, ...idx: number[]): void {
    this.data[this.offset(idx)] = value;
  }
}

export interface RefAttention {
  /** [B, Hq, Sq, Dk], [B, Hkv, Skv, Dk], [B, Hkv, Skv, Dv] */
  readonly q: Arr;
  readonly k: Arr;
  readonly v: Arr;
  readonly scale?: number;
  readonly softcap?: number;
  /** Added to the score of (b, h, i, j). */
  readonly bias?: (b: number, h: number, i: number, j: number) => number;
  readonly allowed?: (b: number, h: number, i: number, j: number) => boolean;
}

/** softmax(q·kᵀ·scale → softcap → + bias, masked) · v per query row; a row with no allowed key is 0. */
export function referenceAttention(r: RefAttention): { y: Arr; probs: Arr } {
  const [batch, hq, sq, dk] = r.q.shape as [number, number, number, number];
  const [, hkv, skv] = r.k.shape as [number, number, number];
  const dv = r.v.shape[3]!;
  const group = hq / hkv;
  const scale = r.scale ?? 1 / Math.sqrt(dk);
  const y = Arr.zeros([batch, hq, sq, dv]);
  const probs = Arr.zeros([batch, hq, sq, skv]);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < hq; h++) {
      const kh = Math.floor(h / group);
      for (let i = 0; i < sq; i++) {
        const s: number[] = [];
        for (let j = 0; j < skv; j++) {
          let dot = 0;
          for (let d = 0; d < dk; d++) dot += r.q.at(b, h, i, d) * r.k.at(b, kh, j, d);
          let x = dot * scale;
          if (r.softcap) x = r.softcap * Math.tanh(x / r.softcap);
          if (r.bias) x += r.bias(b, h, i, j);
          if (r.allowed && !r.allowed(b, h, i, j)) x = -Infinity;
          s.push(x);
        }
        const max = Math.max(...s);
        if (max === -Infinity) continue;
        const e = s.map((x) => Math.exp(x - max));
        const z = e.reduce((a, x) => a + x, 0);
        for (let j = 0; j < skv; j++) probs.set(e[j]! / z, b, h, i, j);
        for (let d = 0; d < dv; d++) {
          let acc = 0;
          for (let j = 0; j < skv; j++) acc += (e[j]! / z) * r.v.at(b, kh, j, d);
          y.set(acc, b, h, i, d);
        }
      }
    }
  }
  return { y, probs };
}

/** [B, S, H·D] → [B, H, S, D]. */
export function toHeads(x: Arr, heads: number): Arr {
  const [b, s, hidden] = x.shape as [number, number, number];
  const d = hidden / heads;
  const out = Arr.zeros([b, heads, s, d]);
  for (let bi = 0; bi < b; bi++) for (let si = 0; si < s; si++) for (let h = 0; h < heads; h++) for (let di = 0; di < d; di++) {
    out.set(x.at(bi, si, h * d + di), bi, h, si, di);
  }
  return out;
}

/** [B, H, S, D] → [B, S, H·D] values. */
export function fromHeads(x: Arr): number[] {
  const [b, h, s, d] = x.shape as [number, number, number, number];
  const out: number[] = [];
  for (let bi = 0; bi < b; bi++) for (let si = 0; si < s; si++) for (let hi = 0; hi < h; hi++) for (let di = 0; di < d; di++) out.push(x.at(bi, hi, si, di));
  return out;
}

/**
 * Rotates one head vector by the angle table of its position: cos/sin hold rotaryDim/2 values.
 * Half layout pairs (i, i + half); interleaved pairs (2i, 2i+1).
 */
export function rotateVector(x: readonly number[], cos: readonly number[], sin: readonly number[], rotaryDim: number, interleaved: boolean): number[] {
  const out = [...x];
  const half = rotaryDim / 2;
  for (let i = 0; i < half; i++) {
    const a = interleaved ? 2 * i : i;
    const b = interleaved ? 2 * i + 1 : i + half;
    out[a] = cos[i]! * x[a]! - sin[i]! * x[b]!;
    out[b] = sin[i]! * x[a]! + cos[i]! * x[b]!;
  }
  return out;
}

/** Applies rotateVector to every head vector of a [B, H, S, D] array; position(b, s) picks the cache row. */
export function rotateHeads(x: Arr, cos: Arr, sin: Arr, position: (b: number, s: number) => number, rotaryDim: number, interleaved: boolean): Arr {
  const [b, h, s, d] = x.shape as [number, number, number, number];
  const half = rotaryDim / 2;
  const out = Arr.zeros(x.shape);
  for (let bi = 0; bi < b; bi++) for (let hi = 0; hi < h; hi++) for (let si = 0; si < s; si++) {
    const p = position(bi, si);
    const vec = Array.from({ length: d }, (_, di) => x.at(bi, hi, si, di));
    const c = Array.from({ length: half }, (_, i) => cos.at(p, i));
    const sn = Array.from({ length: half }, (_, i) => sin.at(p, i));
    rotateVector(vec, c, sn, rotaryDim, interleaved).forEach((val, di) => out.set(val, bi, hi, si, di));
  }
  return out;
}

export function arr(t: Tensor): Arr {
  return new Arr(t.shape, Array.from(t.data as ArrayLike<number>, Number));
}
