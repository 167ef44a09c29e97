// Nearest-mode resize on webgpu takes its taps from integer arithmetic (f64 computes in f32
// there): lowered for webgpu, every case still matches the interpreter, and every resized
// axis of the sweep uses the integer path; wasm keeps the f64 path.

import { describe, expect, it } from 'vitest';
import type { Stmt } from '../../../compiler/kernel/ir.js';
import { WASM_TARGET, WEBGPU_TARGET, type Program } from '../../../compiler/kernel/program.js';
import { lowerProgram } from '../../../compiler/lower/lower-program.js';
import { expectGpuLoweringMatches } from './gpu/harness.js';
import { NEAREST_RESIZES, nearestResizeGraph } from './resize-nearest-cases.js';

function letNames(stmts: readonly Stmt[], out: string[] = []): string[] {
  for (const s of stmts) {
    if (s.kind === 'let') out.push(s.name);
    if (s.kind === 'for') letNames(s.body, out);
    if (s.kind === 'if') { letNames(s.then, out); letNames(s.else, out); }
  }
  return out;
}

/** Resize kernels whose axis `axis` (2 or 3) uses integer taps. */
const integerAxes = (p: Program, axis: number): number =>
  p.kernels.filter((k) => letNames(k.body).some((n) => n.startsWith(`xn${axis}_`))).length;

describe('nearest resize taps in integer arithmetic', () => {
  const graph = nearestResizeGraph();
  it('match the interpreter when lowered for webgpu', () => {
    for (const n of [1, 3]) expectGpuLoweringMatches(graph, WEBGPU_TARGET, { N: n }, n);
  });
  it('are used on every resized axis for webgpu, never for wasm', () => {
    const gpu = lowerProgram(graph, WEBGPU_TARGET);
    // The 5→5 width axis is the identity (read straight through): 4 transforms × 4 modes of it
    // are skipped; tf_half_pixel_for_nn is never the identity.
    expect(integerAxes(gpu, 2)).toBe(NEAREST_RESIZES);
    expect(integerAxes(gpu, 3)).toBe(NEAREST_RESIZES - 5 * 4);
    const cpu = lowerProgram(graph, WASM_TARGET);
    expect(integerAxes(cpu, 2) + integerAxes(cpu, 3)).toBe(0);
  });
});
