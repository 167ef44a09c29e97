// weights.bin: every weight of a Program (params bound by name, constants from the graph)
// little-endian in its storage dtype, at the offsets the memory plan gave the weights region,
// so the runtime copies the file into memory in one piece.

import { diag, DiagnosticError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { constValue } from '../ir/dim.js';
import type { Tensor } from '../interpret/tensor.js';
import { encodeLittleEndian } from '../io/raw-data.js';
import type { Program } from '../kernel/program.js';
import type { MemoryPlan } from '../schedule/memory-plan.js';
import type { ManifestDType, ManifestWeight } from '../../runtime/manifest.js';

export interface PackedWeights {
  readonly bin: Uint8Array;
  readonly entries: readonly ManifestWeight[];
}

function constantOf(d: Parameters<typeof constValue>[0], what: string): number {
  const v = constValue(d);
  if (v === undefined) throw new Error(`weights: ${what} is not a constant after fixing the weights' dims`);
  return v;
}

/**
 * Packs the weights. `params` gives the tensor of each param by name (constants carry their
 * own). A missing tensor or one whose dtype or shape differs is a user error (the weights file).
 */
export function packWeights(program: Program, plan: MemoryPlan, params: ReadonlyMap<string, Tensor>): PackedWeights {
  const bin = new Uint8Array(constantOf(plan.regionBytes.weights, 'the weights region'));
  const entries: ManifestWeight[] = [];
  const problems: Diagnostic[] = [];
  for (const v of program.values) {
    if (v.role !== 'weight') continue;
    const shape = v.shape.map((d, i) => constantOf(d, `axis ${i} of weight ${v.name}`));
    const t = v.constant ?? params.get(v.name);
    if (!t) {
      problems.push(diag('missingWeight', undefined, v.name));
      continue;
    }
    if (t.dtype !== v.dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      problems.push(diag('weightShape', undefined, v.name, v.dtype, `[${shape.join(', ')}]`, t.dtype, `[${t.shape.join(', ')}]`));
      continue;
    }
    const bytes = encodeLittleEndian(t);
    const offset = constantOf(plan.locations.get(v.id)!.offset, `the offset of weight ${v.name}`);
    bin.set(bytes, offset);
    entries.push({ value: v.id, name: v.name, dtype: v.dtype as ManifestDType, shape, offset, bytes: bytes.length });
  }
  if (problems.length) throw new DiagnosticError(problems);
  return { bin, entries };
}
