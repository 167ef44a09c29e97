// Human-readable summaries of tensors and checks for the CLI.

import { getNumber, type Tensor } from '../compiler/interpret/tensor.js';
import type { OutputCheck } from '../compiler/driver/compare.js';
import type { ImportSummary } from '../compiler/import/onnx/index.js';
import type { Graph } from '../compiler/ir/graph.js';
import { printShape } from '../compiler/ir/dim.js';

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);
}

export function describeTensor(t: Tensor, preview = 6): string {
  const n = t.data.length;
  const head: string[] = [];
  let sum = 0, min = Infinity, max = -Infinity, nan = 0;
  for (let i = 0; i < n; i++) {
    const v = getNumber(t, i);
    if (i < preview) head.push(fmt(v));
    if (Number.isNaN(v)) nan++;
    else {
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  const values = `[${head.join(', ')}${n > preview ? `, … ${n - preview} more` : ''}]`;
  if (n === 0) return '[] (empty)';
  const stats = `mean ${fmt(sum / Math.max(1, n - nan))}  min ${fmt(min)}  max ${fmt(max)}${nan ? `  NaN ×${nan}` : ''}`;
  return `${values}  ${stats}`;
}

export function describeCheck(c: OutputCheck): string {
  const verdict = c.ok ? 'ok' : 'FAILED';
  if (c.mismatch) return `check ${c.name}: ${c.mismatch} — ${verdict}`;
  return `check ${c.name}: max abs error ${c.maxAbsError.toExponential(2)}, relative L2 error ${c.relL2Error.toExponential(2)} (tolerance ${c.tolerance}) — ${verdict}`;
}

/** `sluice inspect model.onnx`: opsets, the op histogram with support, symbolic inputs and outputs. */
export function describeOnnxModel(path: string, summary: ImportSummary, graph: Graph | undefined): string {
  const lines: string[] = [];
  lines.push(`model ${path}: IR version ${summary.irVersion}${summary.producer ? `, made by ${summary.producer}` : ''}`);
  lines.push(`opsets: ${summary.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}`);
  const nodes = summary.ops.reduce((n, o) => n + o.count, 0);
  const unsupported = summary.ops.filter((o) => !o.supported);
  lines.push(`ops: ${nodes} nodes of ${summary.ops.length} kinds, ${unsupported.length ? `${unsupported.length} kinds unsupported` : 'all supported'}`);
  const width = Math.max(...summary.ops.map((o) => (o.domain === 'ai.onnx' ? o.op : `${o.domain}:${o.op}`).length), 2);
  for (const o of summary.ops) {
    const name = o.domain === 'ai.onnx' ? o.op : `${o.domain}:${o.op}`;
    const where = o.supported ? '' : `  (${o.nodes.slice(0, 4).map((n) => `'${n}'`).join(', ')}${o.nodes.length > 4 ? `, ${o.nodes.length - 4} more` : ''})`;
    lines.push(`  ${String(o.count).padStart(5)}  ${name.padEnd(width)}  ${o.supported ? 'supported' : 'UNSUPPORTED'}${where}`);
  }
  if (graph) {
    const dims = graph.dims.map((d) => d.name);
    lines.push(`symbolic dims: ${dims.length ? dims.join(', ') : 'none'}`);
    for (const i of graph.inputs) lines.push(`input  ${i.attrs.name}: ${i.dtype}${printShape(i.shape)}`);
    for (const o of graph.outputs) lines.push(`output ${o.name}: ${o.node.dtype}${printShape(o.node.shape)}`);
    lines.push(`weights: ${graph.params.length} tensors, ${[...graph.weights.values()].reduce((n, t) => n + t.data.length, 0)} elements`);
  }
  return lines.join('\n');
}
