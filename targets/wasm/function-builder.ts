// A binaryen function under construction: its locals (typed, allocated on demand) and its
// body as a list of statements. Binaryen expressions are trees (a node has one parent), so a
// value used twice is kept in a local; the optimiser folds single-use locals back in.

import binaryen from 'binaryen';

export type Ref = binaryen.ExpressionRef;

// binaryen.js has Function.setLocalName on the namespace; its typings put it on Module.
const FUNCTION_API = (binaryen as unknown as {
  Function: { setLocalName(fn: binaryen.FunctionRef, index: number, name: string): void };
}).Function;

/** An i64 constant from its two 32-bit halves (binaryen.js takes one bigint). */
export function i64Const(m: binaryen.Module, low: number, high: number): Ref {
  return m.i64.const(BigInt.asIntN(64, (BigInt(high | 0) << 32n) | BigInt(low >>> 0)));
}

export class FunctionBuilder {
  private readonly localTypes: binaryen.Type[];
  private readonly vars: binaryen.Type[] = [];
  private readonly names = new Map<number, string>();
  /** The statement list being filled (the body, or a block inside `capture`). */
  private current: Ref[] = [];
  private readonly top = this.current;

  constructor(readonly m: binaryen.Module, readonly params: readonly binaryen.Type[]) {
    this.localTypes = [...params];
  }

  /** A fresh local of `type`; `name` is kept in the text format when debug names are on. */
  local(type: binaryen.Type, name?: string): number {
    const index = this.localTypes.length;
    this.localTypes.push(type);
    this.vars.push(type);
    if (name !== undefined) this.names.set(index, name);
    return index;
  }

  nameParam(index: number, name: string): void {
    this.names.set(index, name);
  }

  typeOf(index: number): binaryen.Type {
    const t = this.localTypes[index];
    if (t === undefined) throw new Error(`wasm printer: no local ${index}`);
    return t;
  }

  get(index: number): Ref {
    return this.m.local.get(index, this.typeOf(index));
  }

  /** Appends `local = value` to the body and returns the new local. */
  let(type: binaryen.Type, value: Ref, name?: string): number {
    const index = this.local(type, name);
    this.current.push(this.m.local.set(index, value));
    return index;
  }

  emit(...stmts: Ref[]): void {
    this.current.push(...stmts);
  }

  /** Runs `build`, collecting what it emits into a block of its own instead of the body. */
  capture(build: () => void): Ref {
    const outer = this.current;
    const inner: Ref[] = [];
    this.current = inner;
    try {
      build();
    } finally {
      this.current = outer;
    }
    return inner.length === 0 ? this.m.nop() : inner.length === 1 ? inner[0]! : this.m.block(null, inner, binaryen.none);
  }

  /** Adds the function to the module (result `results`, body = the statements, then `tail`). */
  finish(name: string, results: binaryen.Type, tail?: Ref, debugNames = false): binaryen.FunctionRef {
    const stmts = tail === undefined ? this.top : [...this.top, tail];
    const body = stmts.length === 1 ? stmts[0]! : this.m.block(null, stmts, results === binaryen.none ? binaryen.none : results);
    const fn = this.m.addFunction(name, binaryen.createType([...this.params]), results, this.vars, body);
    if (debugNames) for (const [index, local] of this.names) FUNCTION_API.setLocalName(fn, index, local);
    return fn;
  }
}
