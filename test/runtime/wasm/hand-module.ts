// WebAssembly modules written by hand with binaryen, following the kernel ABI
// (targets/wasm/abi.ts): (buffer offsets…, uniforms…, itemStart, itemEnd, scratch) → void,
// on an imported shared `env.memory`. They let the runtime be tested apart from the printer.

import binaryen from 'binaryen';

type Ref = number;

/** What a kernel body sees: its parameters by name, the item index, and the module. */
export interface ItemContext {
  readonly m: binaryen.Module;
  readonly i: Ref;
  param(name: string): Ref;
  /** Byte address of f32 element `index` (an i32 Ref) of buffer `name`. */
  f32At(name: string, index: Ref): Ref;
  /** A fresh i32 local. */
  local(): number;
}

export interface HandKernel {
  readonly name: string;
  /** Buffer then uniform parameter names, in ABI order. */
  readonly params: readonly string[];
  /** The statement run for each item i in [itemStart, itemEnd). */
  body(ctx: ItemContext): Ref;
}

/** A module with one export per kernel, each looping over its item range. */
export function handModule(kernels: readonly HandKernel[], shared = true): Uint8Array {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.Atomics | binaryen.Features.BulkMemory | binaryen.Features.SIMD128);
  m.setMemory(1, 65536, null, [], shared, false, '0');
  m.addMemoryImport('0', 'env', 'memory', shared);
  for (const k of kernels) {
    const names = [...k.params, 'itemStart', 'itemEnd', 'scratch'];
    const locals: number[] = [];
    const iIndex = names.length;
    locals.push(binaryen.i32);
    const get = (index: number): Ref => m.local.get(index, binaryen.i32);
    const ctx: ItemContext = {
      m,
      i: get(iIndex),
      param(name) {
        const at = names.indexOf(name);
        if (at < 0) throw new Error(`hand kernel ${k.name}: no parameter ${name}`);
        return get(at);
      },
      f32At(name, index) {
        return m.i32.add(ctx.param(name), m.i32.shl(index, m.i32.const(2)));
      },
      local() {
        locals.push(binaryen.i32);
        return names.length + locals.length - 1;
      },
    };
    const body = k.body(ctx);
    const loop = m.block(null, [
      m.local.set(iIndex, ctx.param('itemStart')),
      m.block('done', [
        m.loop('next', m.block(null, [
          m.br('done', m.i32.ge_s(get(iIndex), ctx.param('itemEnd'))),
          body,
          m.local.set(iIndex, m.i32.add(get(iIndex), m.i32.const(1))),
          m.br('next'),
        ])),
      ]),
    ]);
    m.addFunction(k.name, binaryen.createType(names.map(() => binaryen.i32)), binaryen.none, locals, loop);
    m.addFunctionExport(k.name, k.name);
  }
  if (!m.validate()) throw new Error('hand module does not validate');
  const binary = m.emitBinary();
  m.dispose();
  return binary;
}

// ---- the kernels the tests use ----

/** y[i] = a[i] * 2 + 1 (test/helpers/hand-program.ts scaleKernel). */
export const SCALE: HandKernel = {
  name: 'scale',
  params: ['a', 'y', 'n'],
  body: ({ m, i, f32At }) => m.f32.store(0, 4, f32At('y', i), m.f32.add(m.f32.mul(m.f32.load(0, 4, f32At('a', i)), m.f32.const(2)), m.f32.const(1))),
};

/** y[i] = a[i] + b[i % m] (hand-program.ts addKernel). */
export const ADD_BIAS: HandKernel = {
  name: 'add_bias',
  params: ['a', 'b', 'y', 'n', 'm'],
  body: ({ m, i, f32At, param }) =>
    m.f32.store(0, 4, f32At('y', i), m.f32.add(m.f32.load(0, 4, f32At('a', i)), m.f32.load(0, 4, f32At('b', m.i32.rem_u(i, param('m')))))),
};

/** s[i] += x[i]; y[i] = s[i]: a running sum kept in state. */
export const ACCUMULATE: HandKernel = {
  name: 'accumulate',
  params: ['x', 's', 'y', 'n'],
  body: ({ m, i, f32At }) => m.block(null, [
    m.f32.store(0, 4, f32At('s', i), m.f32.add(m.f32.load(0, 4, f32At('s', i)), m.f32.load(0, 4, f32At('x', i)))),
    m.f32.store(0, 4, f32At('y', i), m.f32.load(0, 4, f32At('s', i))),
  ]),
};

/** Traps on every item. */
export const TRAP: HandKernel = {
  name: 'trap',
  params: ['a', 'y', 'n'],
  body: ({ m }) => m.unreachable(),
};

/**
 * y[i] = a[i], by way of this thread's scratch area and a busy loop of `spin` iterations in
 * between: threads that shared a scratch area would overwrite each other's value.
 * Also writes the scratch address as an integer into `who[i]`, to see which threads ran items.
 */
export const THROUGH_SCRATCH: HandKernel = {
  name: 'through_scratch',
  params: ['a', 'y', 'who', 'n', 'spin'],
  body: ({ m, i, f32At, param, local }) => {
    const k = local();
    return m.block(null, [
      m.f32.store(0, 4, param('scratch'), m.f32.load(0, 4, f32At('a', i))),
      m.local.set(k, m.i32.const(0)),
      m.block('spun', [
        m.loop('spin', m.block(null, [
          m.br('spun', m.i32.ge_s(m.local.get(k, binaryen.i32), param('spin'))),
          m.i32.store(4, 4, param('scratch'), m.i32.add(m.i32.load(4, 4, param('scratch')), m.i32.const(1))),
          m.local.set(k, m.i32.add(m.local.get(k, binaryen.i32), m.i32.const(1))),
          m.br('spin'),
        ])),
      ]),
      m.f32.store(0, 4, f32At('y', i), m.f32.load(0, 4, param('scratch'))),
      m.i32.store(0, 4, f32At('who', i), param('scratch')),
    ]);
  },
};
