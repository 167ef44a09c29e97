// Reading a node's attributes by name and type, with defaults. A missing required attribute
// or one of the wrong type is a user error (the model is malformed): it throws ConvertError,
// which the importer reports at the node.

import type { AttributeProto, GraphProto, TensorProto } from './proto.js';
import { ATTRIBUTE_TYPE, int64 } from './proto.js';
import { ConvertError } from './convert-error.js';

export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();

  constructor(attrs: readonly AttributeProto[]) {
    for (const a of attrs) this.byName.set(a.name ?? '', a);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  private get(name: string, type: number, typeName: string): AttributeProto | undefined {
    const a = this.byName.get(name);
    if (a === undefined) return undefined;
    // Old exporters leave `type` unset; accept the attribute when its field is present.
    if (a.type !== undefined && a.type !== null && a.type !== 0 && a.type !== type) {
      throw new ConvertError('onnxBadAttribute', `attribute '${name}' must be ${typeName}, got type ${a.type}`);
    }
    return a;
  }

  int(name: string): number | undefined;
  int(name: string, fallback: number): number;
  int(name: string, fallback?: number): number | undefined {
    const a = this.get(name, ATTRIBUTE_TYPE.INT, 'an int');
    if (a === undefined) return fallback;
    const v = int64(a.i);
    if (!Number.isFinite(v)) throw new ConvertError('onnxBadAttribute', `attribute '${name}' is out of range`);
    return v;
  }

  float(name: string): number | undefined;
  float(name: string, fallback: number): number;
  float(name: string, fallback?: number): number | undefined {
    const a = this.get(name, ATTRIBUTE_TYPE.FLOAT, 'a float');
    return a === undefined ? fallback : Math.fround(a.f ?? 0);
  }

  string(name: string): string | undefined;
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined {
    const a = this.get(name, ATTRIBUTE_TYPE.STRING, 'a string');
    return a === undefined ? fallback : new TextDecoder().decode(a.s ?? new Uint8Array());
  }

  ints(name: string): number[] | undefined;
  ints(name: string, fallback: number[]): number[];
  ints(name: string, fallback?: number[]): number[] | undefined {
    const a = this.get(name, ATTRIBUTE_TYPE.INTS, 'a list of ints');
    if (a === undefined) return fallback;
    const out = (a.ints ?? []).map(int64);
    if (out.some((v) => !Number.isFinite(v))) throw new ConvertError('onnxBadAttribute', `attribute '${name}' has a value out of range`);
    return out;
  }

  floats(name: string): number[] | undefined;
  floats(name: string, fallback: number[]): number[];
  floats(name: string, fallback?: number[]): number[] | undefined {
    const a = this.get(name, ATTRIBUTE_TYPE.FLOATS, 'a list of floats');
    return a === undefined ? fallback : (a.floats ?? []).map(Math.fround);
  }

  strings(name: string): string[] | undefined {
    const a = this.get(name, ATTRIBUTE_TYPE.STRINGS, 'a list of strings');
    return a === undefined ? undefined : (a.strings ?? []).map((s) => new TextDecoder().decode(s));
  }

  tensor(name: string): TensorProto | undefined {
    return this.get(name, ATTRIBUTE_TYPE.TENSOR, 'a tensor')?.t ?? undefined;
  }

  graph(name: string): GraphProto | undefined {
    return this.get(name, ATTRIBUTE_TYPE.GRAPH, 'a graph')?.g ?? undefined;
  }

  /** Throws unless the attribute is present. */
  required<T>(name: string, value: T | undefined): T {
    if (value === undefined) throw new ConvertError('onnxBadAttribute', `attribute '${name}' is required`);
    return value;
  }
}
