// The readable text form of a graph (`sluice inspect`). Values are renumbered %0, %1, ... in
// order of first definition so the text is stable across runs; inputs and params print by
// name; scalar constants print inline.

import { printShape, type Dim } from './dim.js';
import { topoOrder, type Graph } from './graph.js';
import type { Node } from './node.js';
import { isBigIntData, toNumbers, type Tensor } from '../interpret/tensor.js';

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(7)));
}

function formatTensorValue(t: Tensor, limit = 8): string {
  // i64/u64 print their exact BigInt values (through Number they would blur above 2^53).
  const nums = isBigIntData(t.data) ? Array.from(t.data, String) : toNumbers(t).map(formatNumber);
  const shown = nums.length > limit ? [...nums.slice(0, limit), `... ${nums.length - limit} more`] : nums;
  return t.shape.length === 0 ? shown[0]! : `[${shown.join(', ')}]`;
}

function formatAttr(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(formatAttr).join(', ')}]`;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v && typeof v === 'object' && 'key' in v) return (v as Dim).key;
  return String(v);
}

function formatAttrs(n: Node): string {
  const entries = Object.entries(n.attrs).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '';
  return ` {${entries.map(([k, v]) => `${k}: ${formatAttr(v)}`).join(', ')}}`;
}

export function printGraph(graph: Graph): string {
  const names = new Map<Node, string>();
  for (const s of [...graph.inputs, ...graph.params]) names.set(s, s.attrs.name);
  const lines: string[] = [];
  const dims = graph.dims.map((d) => (d.defaultValue === undefined ? d.name : `${d.name} = ${d.defaultValue}`));
  lines.push(`graph ${graph.name}(${dims.join(', ')}) {`);
  for (const i of graph.inputs) lines.push(`  input ${i.attrs.name}: ${i.dtype}${printShape(i.shape)}`);
  for (const p of graph.params) lines.push(`  param ${p.attrs.name}: ${p.dtype}${printShape(p.shape)}`);
  let counter = 0;
  const ref = (n: Node): string => {
    const name = names.get(n);
    if (name !== undefined) return name;
    if (n.op === 'constant' && n.shape.length === 0) return `${formatTensorValue(n.attrs.value)}:${n.dtype}`;
    throw new Error(`node #${n.id} used before it is printed`);
  };
  for (const n of topoOrder(graph)) {
    if (n.op === 'input' || n.op === 'param') continue;
    if (n.op === 'constant' && n.shape.length === 0) continue;
    const name = `%${counter++}`;
    names.set(n, name);
    const type = `${n.dtype}${printShape(n.shape)}`;
    if (n.op === 'constant') {
      lines.push(`  ${name}: ${type} = constant ${formatTensorValue(n.attrs.value)}`);
    } else {
      lines.push(`  ${name}: ${type} = ${n.op}(${n.src.map(ref).join(', ')})${formatAttrs(n)}`);
    }
  }
  for (const o of graph.outputs) lines.push(`  output ${o.name} = ${ref(o.node)}`);
  lines.push('}');
  return lines.join('\n');
}
