import { describe, expect, it } from 'vitest';
import { addDim, evalDim, mulDim, symDim, type Dim } from '../../../compiler/ir/dim.js';
import type { Dispatch, Program, ProgramValue } from '../../../compiler/kernel/program.js';
import { planMemory, unsharedArenaBytes, valueBytes } from '../../../compiler/schedule/memory-plan.js';
import { addKernel, biasProgram, chainProgram, scaleKernel, value } from '../../helpers/hand-program.js';
import { seededRandom } from '../../helpers/random.js';

function at(d: Dim, S: number, D = 8): number {
  return evalDim(d, new Map([['S', S], ['D', D]]));
}

/** A random DAG: each dispatch reads one or two earlier values and writes a new temporary. */
function randomProgram(seed: number): Program {
  const next = seededRandom(seed);
  const pick = (n: number) => Math.floor(((next() + 1) / 2) * n);
  const shapes: Dim[][] = [[symDim('S')], [mulDim(2, 'S')], [symDim('S'), symDim('D')], [addDim('S', 1)], [symDim('D')], [symDim('S'), symDim('S')]];
  const values: ProgramValue[] = [value('x', 'input', shapes[2]!)];
  const dispatches: Dispatch[] = [];
  const steps = 3 + pick(12);
  for (let i = 0; i < steps; i++) {
    const out = i === steps - 1 ? value('y', 'output', shapes[pick(shapes.length)]!) : value(`t${i}`, 'temp', shapes[pick(shapes.length)]!);
    const readable = values.slice(Math.max(0, values.length - 4));
    const a = readable[pick(readable.length)]!.id, b = readable[pick(readable.length)]!.id;
    values.push(out);
    dispatches.push(pick(2)
      ? { kernel: 'scale', buffers: { a, y: out.id }, uniforms: {}, grid: [] }
      : { kernel: 'add_bias', buffers: { a, b, y: out.id }, uniforms: {}, grid: [] });
  }
  return { name: 'Random', dims: [{ name: 'S' }, { name: 'D' }], values, kernels: [scaleKernel(), addKernel()], dispatches, inputs: ['x'], outputs: ['y'] };
}

describe('planMemory', () => {
  it('runs a chain of elementwise temporaries in two slots', () => {
    for (const links of [2, 3, 6, 20]) {
      const program = chainProgram(links);
      const plan = planMemory(program);
      expect(plan.slots.length).toBe(Math.min(2, links - 1));
      // Neighbours alternate between the two slots.
      for (let i = 1; i + 1 < links; i++) {
        expect(plan.locations.get(`t${i}`)!.offset.key).not.toBe(plan.locations.get(`t${i + 1}`)!.offset.key);
      }
      for (const S of [1, 7, 129]) {
        expect(at(plan.regionBytes.arena, S)).toBe(Math.min(2, links - 1) * Math.ceil((4 * S * 8) / 16) * 16);
      }
    }
  });

  it('keeps sizes symbolic and aligns every offset to 16 bytes', () => {
    const plan = planMemory(chainProgram(4, ['S', 3]));
    expect(plan.regionBytes.arena.key).toContain('S');
    for (const S of [1, 7, 129, 1000]) {
      for (const loc of plan.locations.values()) expect(at(loc.offset, S) % 16).toBe(0);
      expect(at(plan.regionBytes.arena, S)).toBeGreaterThanOrEqual(2 * 12 * S);
      expect(at(plan.regionBytes.arena, S)).toBeLessThan(2 * 12 * S + 32);
    }
  });

  it('places weights, io and temporaries in their regions', () => {
    const program = biasProgram();
    const plan = planMemory(program);
    expect(plan.locations.get('b')!.region).toBe('weights');
    expect(plan.locations.get('x')!.region).toBe('io');
    expect(plan.locations.get('y')!.region).toBe('io');
    expect(plan.locations.get('t')!.region).toBe('arena');
    expect(at(plan.regionBytes.weights, 5, 8)).toBe(32);
    expect(at(plan.regionBytes.io, 5, 8)).toBe(2 * 160);
    expect(at(plan.locations.get('y')!.offset, 5, 8)).toBe(160);
    expect(plan.lifetimes.get('t')).toEqual({ first: 0, last: 1 });
  });

  it('never lets temporaries that are alive together overlap, at any binding', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const program = randomProgram(seed);
      const plan = planMemory(program);
      const temps = program.values.filter((v) => v.role === 'temp');
      for (const S of [1, 7, 129]) {
        for (const D of [1, 3, 64]) {
          const env = new Map([['S', S], ['D', D]]);
          const arena = evalDim(plan.regionBytes.arena, env);
          const range = (v: ProgramValue) => {
            const start = evalDim(plan.locations.get(v.id)!.offset, env);
            return [start, start + evalDim(valueBytes(v), env)] as const;
          };
          for (const v of temps) {
            const [s, e] = range(v);
            expect(s % 16).toBe(0);
            expect(e).toBeLessThanOrEqual(arena);
          }
          for (let i = 0; i < temps.length; i++) {
            for (let j = i + 1; j < temps.length; j++) {
              const li = plan.lifetimes.get(temps[i]!.id)!, lj = plan.lifetimes.get(temps[j]!.id)!;
              if (li.last < lj.first || lj.last < li.first) continue;
              const [si, ei] = range(temps[i]!), [sj, ej] = range(temps[j]!);
              expect(ei <= sj || ej <= si, `seed ${seed}: ${temps[i]!.id} and ${temps[j]!.id} overlap`).toBe(true);
            }
          }
          expect(arena).toBeLessThanOrEqual(evalDim(unsharedArenaBytes(program), env));
        }
      }
    }
  });

  it('shares slots across different symbolic sizes with a max', () => {
    const program: Program = {
      ...chainProgram(4),
      values: [value('x', 'input', ['S']), value('t1', 'temp', ['S']), value('t2', 'temp', [mulDim(2, 'S')]), value('t3', 'temp', [addDim('S', 'D')]), value('y', 'output', ['S'])],
      dispatches: [
        { kernel: 'scale', buffers: { a: 'x', y: 't1' }, uniforms: {}, grid: [] },
        { kernel: 'scale', buffers: { a: 't1', y: 't2' }, uniforms: {}, grid: [] },
        { kernel: 'scale', buffers: { a: 't2', y: 't3' }, uniforms: {}, grid: [] },
        { kernel: 'scale', buffers: { a: 't3', y: 'y' }, uniforms: {}, grid: [] },
      ],
    };
    const plan = planMemory(program);
    expect(plan.slots.length).toBe(2);
    const shared = plan.slots.find((s) => s.values.length === 2)!;
    expect(shared.values).toEqual(['t1', 't3']);
    for (const [S, D] of [[1, 100], [100, 1], [7, 7]] as const) {
      expect(at(shared.bytes, S, D)).toBeGreaterThanOrEqual(4 * Math.max(S, S + D));
    }
  });
});
