// Mutated and truncated ONNX models must give clean diagnostics, never a crash: importing
// them, and running on the interpreter those that still import. 2,000 cases by default;
// SLUICE_FUZZ_CASES=N runs more (or fewer), SLUICE_FUZZ_SEED=S another sequence.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnosticError } from '../../../../compiler/diagnostics/diagnostic.js';
import { importOnnx } from '../../../../compiler/import/onnx/index.js';
import { interpret } from '../../../../compiler/interpret/interpreter.js';
import { evalDim, dimSymbols } from '../../../../compiler/ir/dim.js';
import type { Graph } from '../../../../compiler/ir/graph.js';
import { randomTensor } from '../../../../compiler/io/random.js';
import type { Tensor } from '../../../../compiler/interpret/tensor.js';
import { seededRandom } from '../../../helpers/random.js';

const CASES = Number(process.env.SLUICE_FUZZ_CASES ?? 2000);
const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 1);
const root = resolve(import.meta.dirname, '../../../..');
const nodeTests = resolve(root, '../shared/onnx-node-tests');
const fixtures = join(root, 'test/fixtures/onnx');

function corpus(): Uint8Array[] {
  const files: string[] = [];
  if (existsSync(nodeTests)) {
    const names = readdirSync(nodeTests).filter((n) => n.startsWith('test_')).sort();
    // Every 5th node test: all op families, a few hundred models.
    for (let i = 0; i < names.length; i += 5) files.push(join(nodeTests, names[i]!, 'model.onnx'));
  }
  if (existsSync(fixtures)) for (const n of readdirSync(fixtures)) if (n.endsWith('.onnx')) files.push(join(fixtures, n));
  return files.map((f) => new Uint8Array(readFileSync(f)));
}

type Rand = () => number; // [0, 1)

function mutate(src: Uint8Array, rand: Rand): Uint8Array {
  const pick = (n: number): number => Math.floor(rand() * n);
  const bytes = new Uint8Array(src);
  switch (pick(6)) {
    case 0: return bytes.slice(0, pick(bytes.length)); // truncate
    case 1: { // flip a few bits
      for (let k = 0, n = 1 + pick(4); k < n; k++) bytes[pick(bytes.length)]! ^= 1 << pick(8);
      return bytes;
    }
    case 2: { // overwrite bytes with extremes (varints become huge or negative)
      for (let k = 0, n = 1 + pick(3); k < n; k++) bytes[pick(bytes.length)] = [0x00, 0xff, 0x7f, 0x80][pick(4)]!;
      return bytes;
    }
    case 3: { // insert random bytes
      const at = pick(bytes.length);
      const extra = Uint8Array.from({ length: 1 + pick(8) }, () => pick(256));
      return new Uint8Array([...bytes.slice(0, at), ...extra, ...bytes.slice(at)]);
    }
    case 4: { // duplicate a chunk (repeated fields, nested messages)
      const a = pick(bytes.length), len = 1 + pick(32);
      return new Uint8Array([...bytes.slice(0, a + len), ...bytes.slice(a, a + len), ...bytes.slice(a + len)]);
    }
    default: { // delete a chunk
      const a = pick(bytes.length), len = 1 + pick(16);
      return new Uint8Array([...bytes.slice(0, a), ...bytes.slice(a + len)]);
    }
  }
}

/** Runs an imported model on small random inputs when its sizes are small. */
function tryRun(graph: Graph): void {
  const env = new Map<string, number>();
  for (const i of graph.inputs) for (const d of i.shape) for (const s of dimSymbols(d)) env.set(s, 2);
  const inputs = new Map<string, Tensor>();
  for (const i of graph.inputs) {
    const shape = i.shape.map((d) => evalDim(d, env));
    if (shape.reduce((a, b) => a * b, 1) > 1e5) return;
    inputs.set(i.attrs.name, randomTensor(i.dtype, shape, 7));
  }
  interpret(graph, inputs, new Map(), { dims: env, maxTensorBytes: 64 * 1024 * 1024 });
}

describe('fuzzing the ONNX importer', () => {
  it(`${CASES} mutated models give diagnostics, never crashes`, () => {
    const models = corpus();
    expect(models.length).toBeGreaterThan(50);
    const rand = seededRandom(SEED);
    const unit: Rand = () => (rand() + 1) / 2;
    const crashes: string[] = [];
    let imported = 0;
    for (let c = 0; c < CASES; c++) {
      const original = models[Math.floor(unit() * models.length)]!;
      const bytes = mutate(original, unit);
      try {
        const r = importOnnx(bytes, 'fuzz.onnx');
        if (!r.graph) {
          expect(r.diagnostics.length, `case ${c}: no graph and no diagnostic`).toBeGreaterThan(0);
          continue;
        }
        imported++;
        tryRun(r.graph);
      } catch (e) {
        if (e instanceof DiagnosticError) continue;
        crashes.push(`case ${c} (seed ${SEED}): ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ') ?? String(e)}`);
      }
    }
    process.stdout.write(`fuzz: ${CASES} cases, ${imported} still imported, ${crashes.length} crashes\n`);
    expect(crashes.slice(0, 10)).toEqual([]);
  });
});
