// Binding a graph's symbolic dims for one run: explicit values first (`--dim`), then what the
// inputs' shapes fix, then declared defaults. Every input's dtype and shape is then checked
// against its declaration, naming the input on a mismatch.

import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { BadDimValueError, dimSymbols, evalDim, evalDimExact, printShape, UnboundDimError, type Dim, type DimBindings } from '../ir/dim.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from './tensor.js';

export interface DimBindingResult {
  readonly env: Map<string, number>;
  readonly diagnostics: Diagnostic[];
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Solves `dim = value` for its one unbound symbol when the dim is `a*sym + b` with the rest
 * bound (covers `S`, `2*S`, `S+1`, `S/2`). Returns the symbol's value, or undefined.
 */
function solveLinear(d: Dim, value: number, env: DimBindings): { name: string; value: number } | undefined {
  const unbound = [...dimSymbols(d)].filter((s) => !env.has(s));
  if (unbound.length !== 1) return undefined;
  const name = unbound[0]!;
  // Probe the dim as a function of the symbol: linear iff f(2) - f(1) == f(1) - f(0).
  const at = (v: number): number | undefined => {
    try {
      return evalDimExact(d, new Map([...env, [name, v]]));
    } catch {
      return undefined;
    }
  };
  const f1 = at(1), f2 = at(2), f3 = at(3);
  if (f1 === undefined || f2 === undefined || f3 === undefined) return undefined;
  const slope = f2 - f1;
  if (slope === 0 || Math.abs(f3 - f2 - slope) > 1e-9) return undefined;
  const solved = (value - f1) / slope + 1;
  if (!Number.isInteger(Math.round(solved * 1e9) / 1e9)) return undefined;
  return { name, value: Math.round(solved) };
}

export function bindDims(graph: Graph, inputs: ReadonlyMap<string, Tensor>, explicit: ReadonlyMap<string, number>): DimBindingResult {
  const diagnostics: Diagnostic[] = [];
  const env = new Map<string, number>();
  const source = new Map<string, string>();
  const declared = new Set(graph.dims.map((d) => d.name));
  for (const [name, value] of explicit) {
    if (!declared.has(name)) {
      diagnostics.push(diag('unknownDimName', undefined, name, graph.dims.map((d) => d.name).join(', ') || 'none'));
      continue;
    }
    env.set(name, value);
    source.set(name, '--dim');
  }
  // Inputs fix symbols; repeat so `[S, 2*S]`-style chains resolve in any order.
  for (let changed = true; changed; ) {
    changed = false;
    for (const input of graph.inputs) {
      const t = inputs.get(input.attrs.name);
      if (!t || t.shape.length !== input.shape.length) continue;
      input.shape.forEach((d, axis) => {
        const solved = solveLinear(d, t.shape[axis]!, env);
        if (solved && !env.has(solved.name)) {
          env.set(solved.name, solved.value);
          source.set(solved.name, `input '${input.attrs.name}' axis ${axis}`);
          changed = true;
        }
      });
    }
  }
  for (const d of graph.dims) {
    if (!env.has(d.name) && d.defaultValue !== undefined) {
      env.set(d.name, d.defaultValue);
      source.set(d.name, 'its default');
    }
  }
  for (const input of graph.inputs) {
    const name = input.attrs.name;
    const t = inputs.get(name);
    if (!t) continue;
    if (t.dtype !== input.dtype) diagnostics.push(diag('inputDType', undefined, name, input.dtype, t.dtype));
    let expected: number[] | undefined;
    try {
      expected = input.shape.map((d) => evalDim(d, env));
    } catch (e) {
      if (e instanceof UnboundDimError) continue; // reported below for the whole graph
      if (e instanceof BadDimValueError) {
        diagnostics.push(diag('badDimValue', undefined, e.dim.key, e.value, describeEnv(env)));
        continue;
      }
      throw e;
    }
    if (expected.length !== t.shape.length || expected.some((v, i) => v !== t.shape[i])) {
      const conflict = input.shape.findIndex((d, i) => d.terms.length === 1 && dimSymbols(d).size === 1 && expected![i] !== t.shape[i]);
      const note = conflict >= 0 ? ` (${input.shape[conflict]!.key} is ${expected[conflict]} from ${source.get([...dimSymbols(input.shape[conflict]!)][0]!) ?? 'elsewhere'})` : '';
      diagnostics.push(diag('inputShape', undefined, name, `${printShape(input.shape)} = ${shapeText(expected)}${note}`, shapeText(t.shape)));
    }
  }
  for (const d of graph.dims) {
    if (!env.has(d.name)) diagnostics.push(diag('missingDim', undefined, d.name));
  }
  return { env, diagnostics };
}

function describeEnv(env: ReadonlyMap<string, number>): string {
  return [...env].map(([k, v]) => `${k}=${v}`).join(', ') || 'no bound dims';
}
