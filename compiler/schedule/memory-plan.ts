// The memory plan: where every value of a Program lives in the one linear memory.
//
// Regions, in memory order: weights (params and constants, loaded once), state (persists
// between calls), io (inputs copied in, outputs read back) and the arena of temporaries.
// Temporaries share arena slots when their lifetimes — the span of dispatches from the first
// that touches them to the last — do not overlap. A value born in the same dispatch where
// another dies does not take its slot (a kernel may read one while writing the other).
// Sizes are dims of the model's symbols: a slot is as large as the largest value it ever
// holds (maxDim), so one plan serves every binding, and the arena is the sum of its slots.
// Every offset and size is rounded up to `alignment` bytes (16: one SIMD128 vector).

import { addDim, ceilDivDim, constDim, constValue, evalDim, maxDim, mulDim, toDim, type Dim, type DimBindings } from '../ir/dim.js';
import { DTYPES, type DType } from '../ir/dtype.js';
import type { Program, ProgramValue } from '../kernel/program.js';
import type { Region } from '../../runtime/manifest.js';

export const DEFAULT_ALIGNMENT = 16;

export interface ValueLocation {
  readonly region: Region;
  /** Byte offset inside the region. */
  readonly offset: Dim;
}

export interface ArenaSlot {
  readonly offset: Dim;
  /** Aligned size: the largest of its values' sizes. */
  readonly bytes: Dim;
  /** Temporaries it holds, in the order they use it. */
  readonly values: readonly string[];
}

/** Dispatch indices (inclusive) during which a temporary must keep its bytes. */
export interface Lifetime {
  readonly first: number;
  readonly last: number;
}

export interface MemoryPlan {
  readonly alignment: number;
  readonly locations: ReadonlyMap<string, ValueLocation>;
  /** Exact bytes of each value (elements × element size, not aligned). */
  readonly valueBytes: ReadonlyMap<string, Dim>;
  readonly lifetimes: ReadonlyMap<string, Lifetime>;
  readonly slots: readonly ArenaSlot[];
  /** Size of each region (aligned). `arena` is the peak memory of temporaries. */
  readonly regionBytes: Readonly<Record<Region, Dim>>;
}

export interface MemoryPlanOptions {
  readonly alignment?: number;
  /**
   * Symbol values used only to choose between free slots (the one that grows least at these
   * values); the plan itself stays symbolic. Defaults: each dim's default, else 16.
   */
  readonly hint?: DimBindings;
}

/** Bytes per element of a storage dtype (kernel buffers are whole bytes). */
export function elementBytes(dtype: DType): number {
  const bits = DTYPES[dtype].bits;
  if (bits % 8 !== 0) throw new Error(`memory plan: ${dtype} is packed below a byte and cannot be a device buffer`);
  return bits / 8;
}

export function valueBytes(v: Pick<ProgramValue, 'dtype' | 'shape'>): Dim {
  return v.shape.reduce<Dim>((acc, d) => mulDim(acc, d), constDim(elementBytes(v.dtype)));
}

/** `d` rounded up to a multiple of `alignment`, kept exact when it already is one symbolically. */
export function alignDim(d: Dim, alignment: number): Dim {
  const c = constValue(d);
  if (c !== undefined) return constDim(Math.ceil(c / alignment) * alignment);
  if (d.terms.every((t) => t.den === 1 && t.num % alignment === 0)) return d;
  return mulDim(ceilDivDim(d, alignment), alignment);
}

/** First and last dispatch that names each temporary. */
export function temporaryLifetimes(program: Program): Map<string, Lifetime> {
  const temps = new Set(program.values.filter((v) => v.role === 'temp').map((v) => v.id));
  const lifetimes = new Map<string, Lifetime>();
  program.dispatches.forEach((d, i) => {
    for (const id of Object.values(d.buffers)) {
      if (!temps.has(id)) continue;
      const prev = lifetimes.get(id);
      lifetimes.set(id, { first: prev?.first ?? i, last: i });
    }
  });
  return lifetimes;
}

function hintBindings(program: Program, hint: DimBindings | undefined): DimBindings {
  const env = new Map<string, number>();
  for (const d of program.dims) env.set(d.name, hint?.get(d.name) ?? d.defaultValue ?? 16);
  return env;
}

function sizeAt(d: Dim, env: DimBindings): number {
  try {
    return evalDim(d, env);
  } catch {
    return Number.MAX_SAFE_INTEGER; // cannot judge: treat as large
  }
}

/** Lays values out one after another, each aligned; returns the offsets and the region's size. */
function packRegion(values: readonly ProgramValue[], region: Region, alignment: number, into: Map<string, ValueLocation>): Dim {
  let offset = constDim(0);
  for (const v of values) {
    into.set(v.id, { region, offset });
    offset = addDim(offset, alignDim(valueBytes(v), alignment));
  }
  return offset;
}

interface OpenSlot {
  bytes: Dim;
  last: number;
  values: string[];
}

export function planMemory(program: Program, options: MemoryPlanOptions = {}): MemoryPlan {
  const alignment = options.alignment ?? DEFAULT_ALIGNMENT;
  const env = hintBindings(program, options.hint);
  const locations = new Map<string, ValueLocation>();
  const sizes = new Map(program.values.map((v) => [v.id, valueBytes(v)] as const));
  const byRole = (...roles: ProgramValue['role'][]) => program.values.filter((v) => roles.includes(v.role));

  const weights = packRegion(byRole('weight'), 'weights', alignment, locations);
  const state = packRegion(byRole('state'), 'state', alignment, locations);
  // The status words live with the inputs and outputs: the runtime zeroes and reads them per call.
  const io = packRegion(byRole('input', 'output', 'status'), 'io', alignment, locations);

  // Temporaries in order of birth; each takes the free slot that grows least at the hint.
  const lifetimes = temporaryLifetimes(program);
  const temps = byRole('temp');
  const never = program.dispatches.length; // an unused temporary still gets bytes of its own
  const order = [...temps].sort((a, b) => (lifetimes.get(a.id)?.first ?? never) - (lifetimes.get(b.id)?.first ?? never));
  const slots: OpenSlot[] = [];
  const slotOf = new Map<string, number>();
  for (const v of order) {
    const life = lifetimes.get(v.id) ?? { first: never, last: never };
    const bytes = alignDim(sizes.get(v.id)!, alignment);
    let best = -1, bestGrowth = Infinity, bestSize = Infinity;
    slots.forEach((s, i) => {
      if (s.last >= life.first) return;
      const grown = maxDim(s.bytes, bytes);
      const growth = grown.key === s.bytes.key ? 0 : sizeAt(grown, env) - sizeAt(s.bytes, env);
      const size = sizeAt(s.bytes, env);
      if (growth < bestGrowth || (growth === bestGrowth && size < bestSize)) [best, bestGrowth, bestSize] = [i, growth, size];
    });
    if (best < 0 || lifetimes.get(v.id) === undefined) {
      slots.push({ bytes, last: life.last, values: [v.id] });
      slotOf.set(v.id, slots.length - 1);
    } else {
      const s = slots[best]!;
      s.bytes = maxDim(s.bytes, bytes);
      s.last = life.last;
      s.values.push(v.id);
      slotOf.set(v.id, best);
    }
  }
  let arena = constDim(0);
  const placed: ArenaSlot[] = slots.map((s) => {
    const slot = { offset: arena, bytes: s.bytes, values: s.values };
    arena = addDim(arena, s.bytes);
    return slot;
  });
  for (const v of temps) locations.set(v.id, { region: 'arena', offset: placed[slotOf.get(v.id)!]!.offset });

  return {
    alignment,
    locations,
    valueBytes: sizes,
    lifetimes,
    slots: placed,
    regionBytes: { weights, state, io, arena },
  };
}

/** The arena's size if every temporary had a slot of its own (what the plan saves against). */
export function unsharedArenaBytes(program: Program, alignment = DEFAULT_ALIGNMENT): Dim {
  return program.values
    .filter((v) => v.role === 'temp')
    .reduce<Dim>((acc, v) => addDim(acc, alignDim(valueBytes(v), alignment)), toDim(0));
}
