// Symbolic dims inside kernels. A kernel sees the model's dims as i32 uniforms: each distinct
// non-constant Dim a kernel needs (a size, a stride, an offset) becomes one uniform, named
// after its symbol when it is a single symbol (`S`) and `u0`, `u1`, ... otherwise. The map
// from uniform name to Dim travels to the Dispatch, which evaluates it per call. Constant dims
// become i32 constants, so fully static models have no uniforms at all.
//
// One uniform per distinct Dim (rather than rebuilding `S*64` from `S` in i32 arithmetic)
// keeps index expressions short and lets the runtime compute every size once per call.

import { constValue, type Dim } from '../ir/dim.js';
import { i32, type KernelBuilder } from '../kernel/builder.js';
import type { Expr } from '../kernel/ir.js';

/** Uniform name → the Dim it holds, for one kernel. */
export type UniformDims = Map<string, Dim>;

function identifier(text: string): string {
  const id = text.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(id) ? id : `d_${id}`;
}

/** The single symbol a dim is, or undefined. */
function singleSymbol(d: Dim): string | undefined {
  if (d.terms.length !== 1) return undefined;
  const t = d.terms[0]!;
  if (t.num !== 1 || t.den !== 1 || t.factors.size !== 1) return undefined;
  const [key, exp] = [...t.factors][0]!;
  const atom = d.atoms.get(key);
  return exp === 1 && atom?.kind === 'sym' ? atom.name : undefined;
}

/**
 * The i32 expression of `d` in the kernel being built: a constant, or the uniform holding it
 * (created on first use and recorded in `uniforms`).
 */
export function dimExpr(d: Dim, kb: KernelBuilder, uniforms: UniformDims): Expr {
  const c = constValue(d);
  if (c !== undefined) return i32(c);
  for (const [name, dim] of uniforms) if (dim.key === d.key) return kb.uniform(name);
  const symbol = singleSymbol(d);
  let base = symbol !== undefined ? identifier(symbol) : `u${uniforms.size}`;
  while (uniforms.has(base)) base = `${base}_`;
  // fresh() keeps the name clear of locals and buffers the kernel already declared.
  const name = kb.fresh(base);
  uniforms.set(name, d);
  return kb.uniform(name);
}

export function dimExprs(dims: readonly Dim[], kb: KernelBuilder, uniforms: UniformDims): Expr[] {
  return dims.map((d) => dimExpr(d, kb, uniforms));
}

/** The Dispatch's `uniforms` record for a kernel's uniform map. */
export function uniformRecord(uniforms: UniformDims): Record<string, Dim> {
  return Object.fromEntries(uniforms);
}
