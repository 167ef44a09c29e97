// Checking a call's inputs against the manifest and binding the model's symbols from their
// shapes. Every mistake is an InputError whose message names the input (or the dimension)
// and says what was expected and what was given.

import { DimEvalError, evalDimJson, evalDimJsonSigned } from '../dim-eval.js';
import type { DimJson, Manifest, ManifestTensor } from '../manifest.js';
import { acceptedArrays, acceptsArray, isTensorData, type TensorData } from './tensor-data.js';

/** An input as users pass it: a typed array (shape from the manifest) or data with a shape. */
export type InputValue = TensorData | { readonly data: TensorData; readonly shape: readonly number[] };

/** A user mistake in the inputs or dims of a call. */
export class InputError extends Error {
  constructor(message: string, readonly input?: string) {
    super(message);
    this.name = 'InputError';
  }
}

export interface BoundInput {
  readonly tensor: ManifestTensor;
  readonly data: TensorData;
  readonly shape: readonly number[];
}

export interface BoundCall {
  /** Every symbol of the model, bound. */
  readonly dims: ReadonlyMap<string, number>;
  readonly inputs: readonly BoundInput[];
}

function formatDim(d: DimJson): string {
  if (typeof d !== 'object') return String(d);
  return /^[a-z]/.test(d.op) ? `${d.op}(${formatDim(d.a)}, ${formatDim(d.b)})` : `(${formatDim(d.a)} ${d.op} ${formatDim(d.b)})`;
}

function formatShape(shape: readonly (DimJson | number)[]): string {
  return `[${shape.map((d) => formatDim(d).replace(/^\((.*)\)$/, '$1')).join(', ')}]`;
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Where a symbol's value came from, for messages about conflicts. */
type BindingSource = string;

class DimBinder {
  readonly values = new Map<string, number>();
  private readonly sources = new Map<string, BindingSource>();

  bind(symbol: string, value: number, source: BindingSource): void {
    const previous = this.values.get(symbol);
    if (previous === undefined) {
      this.values.set(symbol, value);
      this.sources.set(symbol, source);
    } else if (previous !== value) {
      throw new InputError(`dimension ${symbol} is bound twice with different values: ${this.sources.get(symbol)} gives ${symbol} = ${previous}, ${source} gives ${symbol} = ${value}`);
    }
  }
}

function userInput(name: string, raw: unknown, tensor: ManifestTensor): { data: TensorData; shape?: readonly number[] } {
  const expected = `${tensor.dtype}${formatShape(tensor.shape)}`;
  let data: unknown = raw;
  let shape: unknown;
  if (!isTensorData(raw) && typeof raw === 'object' && raw !== null && 'data' in raw) {
    data = (raw as { data: unknown }).data;
    shape = (raw as { shape?: unknown }).shape;
  }
  if (!isTensorData(data)) {
    throw new InputError(`input '${name}' (${expected}) must be a ${acceptedArrays(tensor.dtype)} or { data, shape }, got ${describe(data)}`, name);
  }
  if (!acceptsArray(tensor.dtype, data)) {
    throw new InputError(`input '${name}' is ${tensor.dtype}: give a ${acceptedArrays(tensor.dtype)}, got ${withArticle(data.constructor.name)}`, name);
  }
  if (shape === undefined) return { data };
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new InputError(`input '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`, name);
  }
  const dims = shape as number[];
  if (dims.length !== tensor.shape.length) {
    throw new InputError(`input '${name}' expects rank ${tensor.shape.length} (${expected}), got shape [${dims.join(', ')}]`, name);
  }
  if (elementCount(dims) !== data.length) {
    throw new InputError(`input '${name}': shape [${dims.join(', ')}] has ${elementCount(dims)} elements but its data has ${data.length}`, name);
  }
  return { data, shape: dims };
}

function withArticle(noun: string): string {
  return `${/^[AEIOU]/i.test(noun) ? 'an' : 'a'} ${noun}`;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array (use a typed array)';
  if (typeof x === 'object') return withArticle((x as object).constructor?.name ?? 'object');
  return typeof x;
}

/**
 * The shape of an input given as a bare typed array: every dim from the symbols bound so far,
 * except at most one lone symbol, which the data's length determines.
 */
function inferShape(tensor: ManifestTensor, length: number, binder: DimBinder, manifest: Manifest): number[] {
  const name = tensor.name;
  const evaluate = (): (number | undefined)[] => tensor.shape.map((d) => {
    try {
      return evalDimJson(d, binder.values);
    } catch (e) {
      if (e instanceof DimEvalError && e.symbol !== undefined) return undefined;
      throw dimError(e, `input '${name}'`);
    }
  });
  let known = evaluate();
  const unknownAxes = (): number[] => known.flatMap((v, i) => (v === undefined ? [i] : []));
  if (unknownAxes().length > 1) {
    // Too many unknowns for one length: let the defaults of the symbols involved speak.
    for (const axis of unknownAxes()) {
      for (const d of manifest.dims) {
        if (d.default !== undefined && !binder.values.has(d.name) && mentions(tensor.shape[axis]!, d.name)) binder.bind(d.name, d.default, 'its default');
      }
    }
    known = evaluate();
  }
  const unknown = unknownAxes();
  const rest = elementCount(known.filter((v): v is number => v !== undefined));
  if (unknown.length === 1 && typeof tensor.shape[unknown[0]!] === 'string' && rest > 0 && length % rest === 0) {
    known[unknown[0]!] = length / rest;
  } else if (unknown.length > 0) {
    throw new InputError(`input '${name}' (${tensor.dtype}${formatShape(tensor.shape)}) was given without a shape, and its length ${length} does not fix ${unknown.map((i) => formatDim(tensor.shape[i]!)).join(', ')}: pass { data, shape }`, name);
  }
  return known as number[];
}

function mentions(d: DimJson, symbol: string): boolean {
  return typeof d === 'string' ? d === symbol : typeof d === 'object' && (mentions(d.a, symbol) || mentions(d.b, symbol));
}

function dimError(e: unknown, where: string): InputError {
  if (e instanceof DimEvalError) {
    if (e.symbol !== undefined) {
      return new InputError(`dimension ${e.symbol} is not bound (needed by ${where}): no input shape fixes it and it has no default; pass it in the dims option`);
    }
    return new InputError(`${where}: ${e.message}`);
  }
  return e as Error;
}

/**
 * Checks `inputs` against the manifest and binds every symbol: from `dims` (the caller's),
 * then from the shapes of inputs (the manifest's dimBindings), then from bare arrays' lengths,
 * then from defaults. Throws InputError on the first mistake.
 */
export function bindInputs(manifest: Manifest, inputs: Readonly<Record<string, unknown>>, dims: Readonly<Record<string, number>> = {}): BoundCall {
  const declared = new Set(manifest.inputs.map((t) => t.name));
  const names = manifest.inputs.map((t) => t.name).join(', ') || 'none';
  for (const name of Object.keys(inputs)) {
    if (!declared.has(name)) throw new InputError(`unknown input '${name}'; the model's inputs are ${names}`, name);
  }
  const binder = new DimBinder();
  const symbols = new Set(manifest.dims.map((d) => d.name));
  for (const [symbol, value] of Object.entries(dims)) {
    if (!symbols.has(symbol)) throw new InputError(`unknown dimension ${symbol} in the dims option; the model's dimensions are ${[...symbols].join(', ') || 'none'}`);
    if (!Number.isSafeInteger(value) || value < 0) throw new InputError(`dimension ${symbol} must be a non-negative integer, got ${value}`);
    binder.bind(symbol, value, 'the dims option');
  }

  const given = manifest.inputs.map((tensor) => {
    if (!Object.prototype.hasOwnProperty.call(inputs, tensor.name)) {
      throw new InputError(`input '${tensor.name}' (${tensor.dtype}${formatShape(tensor.shape)}) is missing`, tensor.name);
    }
    return { tensor, ...userInput(tensor.name, inputs[tensor.name], tensor) };
  });

  for (const b of manifest.dimBindings) {
    const g = given.find((x) => x.tensor.name === b.input);
    if (g?.shape) binder.bind(b.symbol, g.shape[b.axis]!, `input '${b.input}' (axis ${b.axis})`);
  }
  // Bare arrays in order: each may rely on symbols that earlier inputs bound.
  const shapes = given.map((g) => {
    if (g.shape) return g.shape;
    const shape = inferShape(g.tensor, g.data.length, binder, manifest);
    g.tensor.shape.forEach((d, axis) => {
      if (typeof d === 'string') binder.bind(d, shape[axis]!, `input '${g.tensor.name}' (axis ${axis}, from its length)`);
    });
    return shape;
  });
  for (const d of manifest.dims) {
    if (!binder.values.has(d.name) && d.default !== undefined) binder.bind(d.name, d.default, 'its default');
  }

  const bound = given.map((g, i): BoundInput => {
    const shape = shapes[i]!;
    let expected: number[];
    try {
      expected = g.tensor.shape.map((d) => evalDimJson(d, binder.values));
    } catch (e) {
      throw dimError(e, `input '${g.tensor.name}'`);
    }
    if (!g.shape && elementCount(expected) !== g.data.length) {
      throw new InputError(`input '${g.tensor.name}' expects shape ${formatShape(g.tensor.shape)} = [${expected.join(', ')}] (${elementCount(expected)} elements), got an array of ${g.data.length}`, g.tensor.name);
    }
    if (expected.some((d, axis) => d !== shape[axis])) {
      const symbolic = formatShape(g.tensor.shape);
      const bindings = [...binder.values].filter(([k]) => g.tensor.shape.some((d) => mentions(d, k))).map(([k, v]) => `${k}=${v}`).join(', ');
      throw new InputError(
        `input '${g.tensor.name}' expects shape ${symbolic} = [${expected.join(', ')}]${bindings ? ` (with ${bindings})` : ''}, got [${shape.join(', ')}]`,
        g.tensor.name,
      );
    }
    return { tensor: g.tensor, data: g.data, shape };
  });
  for (const d of manifest.dims) {
    if (!binder.values.has(d.name)) {
      // Sizes of state, temporaries or outputs may use it; refuse before any of them is evaluated.
      throw new InputError(`dimension ${d.name} is not bound: no input shape fixes it and it has no default; pass it in the dims option`);
    }
  }
  for (const c of manifest.constraints ?? []) {
    // A slice read as index arithmetic cannot check its own range: a size it cannot take is refused here.
    if (evalDimJsonSigned(c.when, binder.values) <= 0) continue;
    if (c.atLeastZero.some((d) => evalDimJsonSigned(d, binder.values) < 0)) {
      const dims = [...binder.values].map(([k, v]) => `${k}=${v}`).join(', ');
      throw new InputError(`the model cannot take ${dims}: ${c.what}`);
    }
  }
  return { dims: binder.values, inputs: bound };
}
