// AST → Graph IR, through the GraphBuilder. One model at a time, statements in order:
// header dims become declared symbols, inputs and params become sources, `let` binds a value
// (a dim when it is made of dims and integers, else a tensor or literal), functions are
// inlined at each call, outputs are registered with the builder.
//
// Errors never stop lowering: each is reported once where it is found, and the value it
// spoils becomes `error`, which every later use passes on quietly (the builder does the same
// with its poison nodes). So one run reports every independent mistake.

import { diag, hasErrors, textSpan, unreachable, type Diagnostic, type SourceFile } from '../compiler/diagnostics/diagnostic.js';
import type { MessageCode } from '../compiler/diagnostics/messages.js';
import { GraphBuilder, isPoison } from '../compiler/ir/builder.js';
import { printShape, type Dim } from '../compiler/ir/dim.js';
import { ALL_DTYPES, isDType, type DType } from '../compiler/ir/dtype.js';
import type { Graph } from '../compiler/ir/graph.js';
import { printType, sameShape } from '../compiler/ir/types.js';
import type * as A from './ast.js';
import { Evaluator, newScope, type Binding, type Scope } from './evaluate.js';
import { isStackOverflow } from './parse-module.js';
import { dimValue, ERROR, tensorValue, type Value } from './values.js';

export interface LowerOptions {
  /** Which model of the file to lower; needed only when it declares several. */
  readonly model?: string;
  /** Diagnostics from earlier phases (syntax errors), merged into the result in source order. */
  readonly priorDiagnostics?: readonly Diagnostic[];
}

export interface LowerResult {
  /** Undefined when any error was reported. */
  readonly graph: Graph | undefined;
  readonly diagnostics: Diagnostic[];
}

export function lowerModule(module: A.Module, file: SourceFile, options: LowerOptions = {}): LowerResult {
  const prior = [...(options.priorDiagnostics ?? [])];
  const named = module.models.filter((m) => m.name.name !== '');
  let model: A.ModelDecl | undefined;
  if (options.model !== undefined) {
    model = named.find((m) => m.name.name === options.model);
    if (!model) return done(prior, diag('unknownModel', undefined, options.model, named.map((m) => m.name.name).join(', ') || 'none'));
  } else if (module.models.length === 0) {
    // After a syntax error the model may just not have been recognised: say nothing more.
    return done(prior, ...(hasErrors(prior) ? [] : [diag('noModel', textSpan(file, 0, 0))]));
  } else if (named.length > 1) {
    return done(prior, diag('severalModels', textSpan(file, named[1]!.name.span.start, named[1]!.name.span.length), named.map((m) => m.name.name).join(', ')));
  } else {
    model = module.models[0]!;
  }
  return new Lowerer(file, module, model, prior).run();
}

function done(prior: Diagnostic[], ...more: Diagnostic[]): LowerResult {
  return { graph: undefined, diagnostics: sortDiagnostics([...prior, ...more]) };
}

function spanStart(d: Diagnostic): number {
  return d.span?.kind === 'text' ? d.span.start : Number.MAX_SAFE_INTEGER;
}

/** Source order, and each diagnostic once (a function inlined twice can report twice). */
function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const unique = diags.filter((d) => {
    const key = `${d.code}:${spanStart(d)}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.map((d, i) => [d, i] as const).sort(([a, i], [b, j]) => spanStart(a) - spanStart(b) || i - j).map(([d]) => d);
}

class Lowerer {
  private readonly b: GraphBuilder;
  private readonly ev: Evaluator;
  /** File-level names (none yet; top-level functions see only their parameters). */
  private readonly root: Scope = newScope();
  private readonly scope: Scope = newScope(this.root);
  private readonly afterSyntaxErrors: boolean;

  constructor(
    file: SourceFile,
    private readonly module: A.Module,
    private readonly model: A.ModelDecl,
    prior: readonly Diagnostic[],
  ) {
    this.b = new GraphBuilder(model.name.name || 'model');
    for (const d of prior) this.b.report(d);
    this.afterSyntaxErrors = hasErrors(prior);
    this.ev = new Evaluator(this.b, file);
  }

  run(): LowerResult {
    for (const d of this.model.dims) this.declareDim(d);
    for (const fn of this.module.functions) this.declareFunction(fn, this.root);
    for (const s of this.model.body) if (s.kind === 'Fn') this.declareFunction(s, this.scope);
    const inputs: A.InputDecl[] = [];
    for (const s of this.model.body) {
      try {
        if (this.statement(s) && s.kind === 'Input') inputs.push(s);
      } catch (e) {
        // A pathologically deep expression (thousands of chained operators) exhausts the
        // stack: report it at its statement and go on with the next.
        if (!isStackOverflow(e)) throw e;
        this.report(s.span, 'tooComplex');
        if (s.kind !== 'Fn' && !this.scope.names.has(s.name.name)) this.define(this.scope, s.name, ERROR);
      }
    }
    // After a syntax error, outputs and uses may just have been lost: say nothing about them.
    if (!this.afterSyntaxErrors) {
      if (!this.model.body.some((s) => s.kind === 'Output')) this.report(this.model.name.span, 'noOutputs', this.b.name);
      for (const s of inputs) if (s.name.name !== '' && !this.ev.usedInputs.has(s.name.name)) this.report(s.name.span, 'unusedInput', s.name.name);
    }
    const { graph, diagnostics } = this.b.finish();
    return { graph, diagnostics: sortDiagnostics(diagnostics) };
  }

  /** Lowers one statement; false when a declaration was wrong (and reported). */
  private statement(s: A.Statement): boolean {
    switch (s.kind) {
      case 'Let': this.define(this.scope, s.name, this.ev.eval(s.value, this.scope)); return true;
      case 'Input': return this.source(s);
      case 'Param': return this.source(s);
      case 'Fn': return true;
      case 'Output': this.output(s); return true;
      default: return unreachable(s, 'statement');
    }
  }

  private report(r: A.TextRange, code: MessageCode, ...args: (string | number)[]): void {
    this.ev.report(r, code, ...args);
  }

  private define(scope: Scope, name: A.Identifier, value: Value, binding: Partial<Binding> = {}): void {
    this.ev.define(scope, name, value, binding);
  }

  // ---- declarations ----

  private declareDim(d: A.DimParam): void {
    if (d.name.name === '') return;
    let defaultValue: number | undefined;
    if (d.defaultValue) {
      const v = d.defaultValue.value;
      if (!d.defaultValue.isInteger || !Number.isSafeInteger(v)) this.report(d.defaultValue.span, 'badDimDefault', d.name.name, d.defaultValue.text);
      else defaultValue = v;
    }
    if (this.scope.names.has(d.name.name)) {
      this.report(d.name.span, 'duplicateName', d.name.name);
      return;
    }
    this.define(this.scope, d.name, dimValue(this.b.declareDim(d.name.name, defaultValue, this.ev.at(d.name.span))));
  }

  private declareFunction(fn: A.FnDecl, scope: Scope): void {
    if (fn.name.name === '') return;
    if (this.ev.functions.has(fn.name.name)) {
      this.report(fn.name.span, 'duplicateName', fn.name.name);
      return;
    }
    if (!fn.result) this.report(fn.name.span, 'missingReturn', fn.name.name);
    const seen = new Set<string>();
    for (const p of fn.params) {
      if (seen.has(p.name)) this.report(p.span, 'duplicateName', p.name);
      seen.add(p.name);
    }
    this.ev.functions.set(fn.name.name, { fn, scope });
  }

  private dtype(id: A.Identifier): DType | undefined {
    if (id.name === '') return undefined;
    if (isDType(id.name)) return id.name;
    this.report(id.span, 'unknownDType', id.name, ALL_DTYPES.join(', '));
    return undefined;
  }

  /** A declared type: undefined when any part of it was wrong (and reported). */
  private tensorType(t: A.TensorType, scope: Scope): { dtype: DType; shape: Dim[] } | undefined {
    const dtype = this.dtype(t.dtype);
    const shape = t.dims.map((e) => this.ev.evalDim(e, scope));
    if (dtype === undefined || shape.some((d) => d === undefined)) return undefined;
    return { dtype, shape: shape as Dim[] };
  }

  /** Declares an input or param; false when its declaration was wrong (and reported). */
  private source(s: A.InputDecl | A.ParamDecl): boolean {
    if (s.name.name === '') return false;
    const type = this.tensorType(s.type, this.scope);
    if (this.scope.names.has(s.name.name) || type === undefined) {
      this.define(this.scope, s.name, ERROR);
      return false;
    }
    const span = this.ev.at(s.name.span);
    const node = s.kind === 'Input' ? this.b.input(s.name.name, type.dtype, type.shape, span) : this.b.param(s.name.name, type.dtype, type.shape, span);
    this.define(this.scope, s.name, isPoison(node) ? ERROR : tensorValue(node), s.kind === 'Input' ? { input: s.name.name } : {});
    return !isPoison(node);
  }

  private output(s: A.OutputDecl): void {
    const value = this.ev.eval(s.value, this.scope);
    const node = this.ev.toTensor(value, s.value.span);
    const declared = s.type ? this.tensorType(s.type, this.scope) : undefined;
    if (node && declared && s.type && (node.dtype !== declared.dtype || !sameShape(node.shape, declared.shape))) {
      this.report(s.type.span, 'outputTypeMismatch', s.name.name, `${declared.dtype}${printShape(declared.shape)}`, printType(node));
    } else if (node && s.name.name !== '' && !this.scope.names.has(s.name.name)) {
      this.b.output(s.name.name, node, this.ev.at(s.name.span));
    }
    this.define(this.scope, s.name, node ? tensorValue(node) : ERROR);
  }
}
