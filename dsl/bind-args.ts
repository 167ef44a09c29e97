// Matching a call's arguments to a parameter list, for builtins and user functions alike:
// positional arguments first, then named ones (`axis: -1`); every parameter is reachable both
// ways. Each argument is checked against its parameter's kind and converted (an `ints`
// parameter gets `number[]`, a `tensor` parameter a node or a weak literal). Problems are
// reported to `report` with the argument's span; the result is undefined when any argument
// was wrong or was itself an error (then silently: it was reported where it was made).

import { diag, unreachable, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { constValue, type Dim } from '../compiler/ir/dim.js';
import type { Identifier, TextRange } from './ast.js';
import { asLiteral, describeValue, type Literal, type Operand, type Value } from './values.js';

export type ParamKind = 'tensor' | 'tensors' | 'dim' | 'dims' | 'int' | 'ints' | 'float' | 'bool' | 'string' | 'any';

export interface ParamSpec {
  readonly name: string;
  readonly kind: ParamKind;
  /** May be left out; `default` (if any) is used then, else the argument is absent. */
  readonly optional?: boolean;
  readonly default?: number | boolean | string | readonly number[];
  /** For `string`: the accepted values. */
  readonly choices?: readonly string[];
  /** For `tensors`: takes all remaining positional arguments (or one list). */
  readonly variadic?: boolean;
}

export interface CallArg {
  readonly name?: Identifier;
  readonly value: Value;
  readonly span: TextRange;
  /** The argument's source text, for messages. */
  readonly text: string;
}

type Bound = Operand | Operand[] | Dim | Dim[] | number | number[] | boolean | string | Value;

/** Bound arguments with typed getters; a getter of the wrong kind is a bug in the builtin table. */
export class BoundArgs {
  constructor(
    private readonly values: ReadonlyMap<string, Bound>,
    private readonly spans: ReadonlyMap<string, TextRange>,
  ) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  span(name: string): TextRange | undefined {
    return this.spans.get(name);
  }

  private get(name: string): Bound {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`argument '${name}' is not bound`);
    return v;
  }

  tensor(name: string): Operand {
    return this.get(name) as Operand;
  }
  optTensor(name: string): Operand | undefined {
    return this.has(name) ? this.tensor(name) : undefined;
  }
  tensors(name: string): Operand[] {
    return this.get(name) as Operand[];
  }
  dim(name: string): Dim {
    return this.get(name) as Dim;
  }
  optDim(name: string): Dim | undefined {
    return this.has(name) ? this.dim(name) : undefined;
  }
  dims(name: string): Dim[] {
    return this.get(name) as Dim[];
  }
  int(name: string): number {
    return this.get(name) as number;
  }
  ints(name: string): number[] {
    return this.get(name) as number[];
  }
  optInts(name: string): number[] | undefined {
    return this.has(name) ? this.ints(name) : undefined;
  }
  float(name: string): number {
    return this.get(name) as number;
  }
  optFloat(name: string): number | undefined {
    return this.has(name) ? this.float(name) : undefined;
  }
  bool(name: string): boolean {
    return this.get(name) as boolean;
  }
  string(name: string): string {
    return this.get(name) as string;
  }
  any(name: string): Value {
    return this.get(name) as Value;
  }
}

/** Rejects an argument: a diagnostic, or undefined when the value is an already reported error. */
type Coerced = { ok: true; value: Bound } | { ok: false; problem: Diagnostic | undefined };

export interface BindContext {
  readonly callee: string;
  readonly callSpan: TextRange;
  /** Makes a diagnostic's span from a range. */
  readonly at: (r: TextRange) => Diagnostic['span'];
}

function countText(params: readonly ParamSpec[]): string {
  const required = params.filter((p) => !p.optional && p.default === undefined).length;
  return required === params.length ? String(required) : `${required} to ${params.length}`;
}

export function bindArgs(cx: BindContext, params: readonly ParamSpec[], args: readonly CallArg[], report: (d: Diagnostic) => void): BoundArgs | undefined {
  const raw = new Map<string, CallArg | CallArg[]>();
  let failed = false;
  const fail = (d: Diagnostic | undefined): void => {
    failed = true;
    if (d) report(d);
  };

  // Positional arguments, in order, up to the first named one.
  let sawNamed = false;
  let misplaced = false;
  let next = 0;
  const positional: CallArg[] = [];
  for (const a of args) {
    if (a.name) sawNamed = true;
    else if (sawNamed) {
      misplaced = true;
      fail(diag('positionalAfterNamed', cx.at(a.span)));
    }
    else positional.push(a);
  }
  for (let i = 0; i < positional.length; i++) {
    const p = params[next];
    const a = positional[i]!;
    if (p === undefined) {
      fail(diag('wrongArgumentCount', cx.at(a.span), cx.callee, countText(params), positional.length));
      break;
    }
    if (p.variadic) {
      raw.set(p.name, positional.slice(i));
      next++;
      break;
    }
    raw.set(p.name, a);
    next++;
  }
  for (const a of args) {
    if (!a.name) continue;
    const p = params.find((q) => q.name === a.name!.name);
    if (p === undefined) fail(diag('unknownNamedArgument', cx.at(a.name.span), cx.callee, a.name.name));
    else if (raw.has(p.name)) fail(diag('duplicateArgument', cx.at(a.name.span), p.name));
    else raw.set(p.name, p.variadic ? [a] : a);
  }

  const values = new Map<string, Bound>();
  const spans = new Map<string, TextRange>();
  for (const p of params) {
    const given = raw.get(p.name);
    if (given === undefined) {
      if (p.default !== undefined) values.set(p.name, Array.isArray(p.default) ? [...p.default] : (p.default as Bound));
      // After a misplaced positional argument the missing one is most likely that one.
      else if (!p.optional && !misplaced) fail(diag('missingArgument', cx.at(cx.callSpan), cx.callee, p.name));
      continue;
    }
    const c = Array.isArray(given) ? coerceVariadic(p, given) : coerce(p, given, cx);
    if (c.ok) values.set(p.name, c.value);
    else fail(c.problem);
    const first = Array.isArray(given) ? given[0] : given;
    if (first) spans.set(p.name, first.span);
  }
  return failed ? undefined : new BoundArgs(values, spans);

  function coerceVariadic(p: ParamSpec, given: CallArg[]): Coerced {
    if (given.length === 1) return coerce(p, given[0]!, cx);
    const out: Operand[] = [];
    for (const a of given) {
      const c = coerce({ ...p, kind: 'tensor' }, a, cx);
      if (!c.ok) return c;
      out.push(c.value as Operand);
    }
    return { ok: true, value: out };
  }
}

function coerce(p: ParamSpec, a: CallArg, cx: BindContext): Coerced {
  const v = a.value;
  if (v.kind === 'error') return { ok: false, problem: undefined };
  const bad = (what: string): Coerced => ({ ok: false, problem: diag('badArgumentValue', cx.at(a.span), p.name, `must be ${what}, not ${describeValue(v)}`) });
  switch (p.kind) {
    case 'any':
      return { ok: true, value: v };
    case 'tensor': {
      if (v.kind === 'tensor') return { ok: true, value: v.node };
      const lit = asLiteral(v);
      if (lit) return { ok: true, value: lit };
      if (v.kind === 'dim') return { ok: false, problem: diag('notATensor', cx.at(a.span), a.text) };
      return bad('a tensor');
    }
    case 'tensors': {
      const items = v.kind === 'list' ? v.items : [v];
      const out: Operand[] = [];
      for (const item of items) {
        const c = coerce({ ...p, kind: 'tensor' }, { ...a, value: item }, cx);
        if (!c.ok) return v.kind === 'list' && c.problem ? bad('a list of tensors') : c;
        out.push(c.value as Operand);
      }
      return { ok: true, value: out };
    }
    case 'dim': {
      if (v.kind === 'dim') return { ok: true, value: v.dim };
      if (v.kind === 'tensor') return { ok: false, problem: diag('notADim', cx.at(a.span), a.text) };
      return bad('a dimension');
    }
    case 'dims': {
      if (v.kind !== 'list') return bad('a list of dimensions');
      const out: Dim[] = [];
      for (const item of v.items) {
        if (item.kind === 'error') return { ok: false, problem: undefined };
        if (item.kind === 'tensor') return { ok: false, problem: diag('notADim', cx.at(a.span), a.text) };
        if (item.kind !== 'dim') return bad('a list of dimensions');
        out.push(item.dim);
      }
      return { ok: true, value: out };
    }
    case 'int': {
      const n = v.kind === 'dim' ? constValue(v.dim) : undefined;
      return n === undefined ? bad('an integer') : { ok: true, value: n };
    }
    case 'ints': {
      const items = v.kind === 'list' ? v.items : [v];
      const out: number[] = [];
      for (const item of items) {
        if (item.kind === 'error') return { ok: false, problem: undefined };
        const n = item.kind === 'dim' ? constValue(item.dim) : undefined;
        if (n === undefined) return bad('an integer or a list of integers');
        out.push(n);
      }
      return { ok: true, value: out };
    }
    case 'float': {
      const lit: Literal | undefined = v.kind === 'bool' ? undefined : asLiteral(v);
      return lit === undefined ? bad('a number') : { ok: true, value: lit.value };
    }
    case 'bool':
      return v.kind === 'bool' ? { ok: true, value: v.value } : bad("'true' or 'false'");
    case 'string': {
      if (v.kind !== 'string') return bad(p.choices ? oneOf(p.choices) : 'a string');
      if (p.choices && !p.choices.includes(v.value)) {
        return { ok: false, problem: diag('badArgumentValue', cx.at(a.span), p.name, `must be ${oneOf(p.choices)}, not ${JSON.stringify(v.value)}`) };
      }
      return { ok: true, value: v.value };
    }
    default:
      return unreachable(p.kind, 'parameter kind');
  }
}

function oneOf(choices: readonly string[]): string {
  const quoted = choices.map((c) => JSON.stringify(c));
  return quoted.length === 1 ? quoted[0]! : `one of ${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}
