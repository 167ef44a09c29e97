import { describe, expect, it } from 'vitest';
import { add, arrayLoad, f32, i32, ifThen, KernelBuilder, load, lt, max, store, variable } from '../../../compiler/kernel/builder.js';
import { checkKernel, checkProgram } from '../../../compiler/kernel/check.js';
import type { Expr, Kernel, Stmt } from '../../../compiler/kernel/ir.js';
import type { Program } from '../../../compiler/kernel/program.js';
import { constDim, symDim } from '../../../compiler/ir/dim.js';

/** A CPU kernel with x (f32 read), y (f32 write), uniform n, and `body(i)` inside `for grid.x i`. */
function kernel(body: (kb: KernelBuilder, i: Expr) => void, workgroupSize: [number, number, number] = [1, 1, 1]): Kernel {
  const kb = new KernelBuilder('k', []);
  kb.workgroupSize = workgroupSize;
  kb.buffer('x', 'f32', 'read');
  kb.buffer('y', 'f32', 'write');
  const n = kb.uniform('n');
  kb.loop('i', i32(0), n, 'grid.x', (i) => body(kb, i));
  return kb.finish();
}

const X = { name: 'x', dtype: 'f32', access: 'read' } as const;
const Y = { name: 'y', dtype: 'f32', access: 'write' } as const;

function expectProblem(k: Kernel, pattern: RegExp): void {
  const problems = checkKernel(k);
  expect(problems.some((p) => pattern.test(p)), `problems: ${JSON.stringify(problems)}`).toBe(true);
}

describe('checkKernel', () => {
  it('accepts a well-formed kernel', () => {
    expect(checkKernel(kernel((kb, i) => kb.emit(store(Y, i, max(load(X, i), f32(0))))))).toEqual([]);
  });

  it('catches a variable used out of scope', () => {
    const k = kernel((kb, i) => {
      kb.loop('j', i32(0), i32(4), 'serial', () => {});
      kb.emit(store(Y, i, f32(0)), store(Y, variable('j', 'i32'), f32(0)));
    });
    expectProblem(k, /'j' is not declared in scope/);
  });

  it('catches operands of different types', () => {
    const bad: Expr = { kind: 'binary', op: 'add', type: 'f32', a: f32(1), b: i32(1) };
    expectProblem(kernel((kb, i) => kb.emit(store(Y, i, bad))), /binary add: operand types f32 and i32 differ/);
    const lanes: Expr = { kind: 'binary', op: 'add', type: 'f32x4', a: load(X, i32(0), 4), b: f32(1) };
    expectProblem(kernel((kb, i) => kb.emit(store(Y, i, lanes))), /operand types f32x4 and f32 differ/);
  });

  it('catches a store to a read-only buffer and a load from a write-only one', () => {
    expectProblem(kernel((kb, i) => kb.emit(store(X, i, f32(1)))), /store to read-only buffer 'x'/);
    expectProblem(kernel((kb, i) => kb.emit(store(Y, i, load(Y, i)))), /load of write-only buffer 'y'/);
  });

  it('catches a load typed unlike its buffer', () => {
    const bad: Expr = { kind: 'load', type: 'i32', buffer: 'x', index: i32(0) };
    expectProblem(kernel((kb, i) => kb.emit(store(Y, i, { kind: 'cast', type: 'f32', a: bad }))), /load of 'x' \(f32\) gives f32 or a vector of it, not i32/);
  });

  it('catches a non-i32 index', () => {
    expectProblem(kernel((kb) => kb.emit(store(Y, { kind: 'cast', type: 'f32', a: i32(0) }, f32(1)))), /store to 'y' index must be i32, got f32/);
  });

  it('catches an assignment to a loop variable', () => {
    expectProblem(kernel((kb, i) => kb.emit({ kind: 'assign', name: i.kind === 'var' ? i.name : '', value: i32(0) })), /loop variable 'i' is assigned/);
  });

  it('catches grid loops outside the leading perfect nest', () => {
    const k = kernel((kb, i) => {
      kb.emit(store(Y, i, f32(0)));
      kb.loop('j', i32(0), i32(2), 'grid.y', () => {});
    });
    expectProblem(k, /grid loop 'j' is outside the kernel's leading perfect nest/);
    const local = kernel((kb, i) => {
      const m = kb.let('m', i32(3));
      kb.loop('j', i32(1), m, 'grid.x', () => {});
      kb.emit(store(Y, i, f32(0)));
    });
    expectProblem(local, /grid axis x has two loops/);
    expectProblem(local, /grid loop 'j' must start at 0 with step 1/);
    expectProblem(local, /grid loop 'j' extent must use only uniforms and constants/);
  });

  it('catches GPU constructs in a CPU schedule', () => {
    const k = kernel((kb, i) => {
      kb.array('tile', 'f32', 4, 'workgroup');
      kb.loop('t', i32(0), i32(4), 'thread.x', () => kb.emit({ kind: 'barrier' }));
      kb.emit(store(Y, i, f32(0)));
    });
    expectProblem(k, /workgroup array 'tile' in a CPU schedule/);
    expectProblem(k, /thread loop 't' in a CPU schedule/);
    expectProblem(k, /barrier in a CPU schedule/);
  });

  it('catches a barrier under divergent control flow, also through a local', () => {
    const direct = kernel((kb, i) => {
      kb.loop('t', i32(0), i32(4), 'thread.x', (t) => kb.emit(ifThen(lt(t, i32(2)), [{ kind: 'barrier' }])));
      kb.emit(store(Y, i, f32(0)));
    }, [4, 1, 1]);
    expectProblem(direct, /barrier under control flow that differs between threads/);
    const viaLocal = kernel((kb, i) => {
      kb.loop('t', i32(0), i32(4), 'thread.x', (t) => {
        const limit = kb.let('limit', i32(0));
        kb.loop('r', i32(0), limit, 'serial', () => kb.emit({ kind: 'barrier' }));
        kb.set(limit, t); // assigned after the loop: still varying on the next pass
      });
      kb.emit(store(Y, i, f32(0)));
    }, [4, 1, 1]);
    expectProblem(viaLocal, /barrier under control flow that differs between threads/);
    const uniform = kernel((kb, i) => {
      kb.loop('t', i32(0), i32(4), 'thread.x', () => kb.emit(ifThen(lt(i, i32(2)), [{ kind: 'barrier' }])));
    }, [4, 1, 1]);
    expect(checkKernel(uniform)).toEqual([]);
  });

  it('catches a thread loop whose extent is not the workgroup size', () => {
    expectProblem(kernel((kb) => kb.loop('t', i32(0), i32(8), 'thread.x', () => {}), [4, 1, 1]), /runs to 8, workgroup size on x is 4/);
  });

  it('catches duplicate names, bad select conditions and misused arrays', () => {
    const dup: Stmt[] = [{ kind: 'let', name: 'a', type: 'f32', init: f32(0) }, { kind: 'let', name: 'a', type: 'f32', init: f32(1) }];
    expectProblem(kernel((kb) => kb.emit(...dup)), /name 'a' is declared twice/);
    const sel: Expr = { kind: 'select', type: 'f32', cond: i32(1), a: f32(0), b: f32(1) };
    expectProblem(kernel((kb, i) => kb.emit(store(Y, i, sel))), /select condition must be bool or bool, got i32/);
    expectProblem(kernel((kb, i) => kb.emit(store(Y, i, arrayLoad('acc', 'f32', i32(0))))), /array 'acc' is not declared in scope/);
    expectProblem(kernel((kb, i) => {
      const acc = kb.array('acc', 'f32x4', 2, 'private');
      kb.emit(store(Y, i, arrayLoad(acc, 'f32', i32(0))));
    }), /array 'acc' holds f32x4, loaded as f32/);
  });

  it('catches float-only math on integers and a wrong comparison type', () => {
    expectProblem(kernel((kb) => kb.let('e', { kind: 'unary', op: 'exp', type: 'i32', a: i32(1) })), /unary exp needs a float operand/);
    const cmp: Expr = { kind: 'binary', op: 'lt', type: 'f32', a: f32(1), b: f32(2) };
    expectProblem(kernel((kb) => kb.let('c', cmp)), /binary lt of f32 gives bool, not f32/);
  });
});

describe('checkProgram', () => {
  function program(overrides: Partial<Program> = {}): Program {
    const k = kernel((kb, i) => kb.emit(store(Y, i, add(load(X, i), f32(1)))));
    const S = symDim('S');
    return {
      name: 'p',
      dims: [{ name: 'S' }],
      values: [
        { id: 'v0', role: 'input', name: 'in', dtype: 'f32', shape: [S] },
        { id: 'v1', role: 'temp', name: 't', dtype: 'f32', shape: [S] },
        { id: 'v2', role: 'output', name: 'out', dtype: 'f32', shape: [S] },
      ],
      kernels: [k],
      dispatches: [
        { kernel: 'k', buffers: { x: 'v0', y: 'v1' }, uniforms: { n: S }, grid: [S] },
        { kernel: 'k', buffers: { x: 'v1', y: 'v2' }, uniforms: { n: S }, grid: [S] },
      ],
      inputs: ['v0'],
      outputs: ['v2'],
      ...overrides,
    };
  }

  it('accepts a well-formed program', () => {
    expect(checkProgram(program())).toEqual([]);
  });

  it('catches binding, uniform, grid and ordering mistakes', () => {
    const p = program();
    const [first, second] = p.dispatches as [Program['dispatches'][number], Program['dispatches'][number]];
    const problems = checkProgram(program({
      dispatches: [
        { ...second },
        { ...first, buffers: { x: 'v0', z: 'v1' }, uniforms: { m: symDim('T') }, grid: [] },
      ],
    }));
    const expected = [
      /dispatch 0 \(k\): reads value v1 \('t'\) before any dispatch writes it/,
      /dispatch 1 \(k\): binds 'z', which is not a buffer of the kernel/,
      /dispatch 1 \(k\): buffer 'y' is not bound/,
      /dispatch 1 \(k\): uniform 'n' is not given/,
      /dispatch 1 \(k\): gives 'm', which is not a uniform of the kernel/,
      /uniform 'm' uses undeclared dim 'T'/,
      /dispatch 1 \(k\): grid has 0 extents, the kernel has 1 grid loops/,
    ];
    for (const e of expected) expect(problems.some((m) => e.test(m)), `${e} in ${JSON.stringify(problems)}`).toBe(true);
  });

  it('catches dtype mismatches, unwritten outputs and writes to inputs', () => {
    const p = program();
    const problems = checkProgram(program({
      values: [...p.values.slice(0, 2), { id: 'v2', role: 'output', name: 'out', dtype: 'i32', shape: [constDim(4)] }],
      dispatches: [{ ...p.dispatches[0]!, buffers: { x: 'v1', y: 'v0' } }, { ...p.dispatches[0]!, buffers: { x: 'v0', y: 'v2' } }],
    }));
    expect(problems).toContain("dispatch 0 (k): writes input value v0 ('in')");
    expect(problems).toContain("dispatch 0 (k): reads value v1 ('t') before any dispatch writes it");
    expect(problems).toContain("dispatch 1 (k): buffer 'y' is f32 but value v2 is i32");
    expect(checkProgram(program({ dispatches: [p.dispatches[0]!] }))).toContain("output v2 ('out') is never written");
  });
});
