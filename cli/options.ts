// Option parsers the commands share (commander calls them; a bad value is a usage error).

import { InvalidArgumentError } from 'commander';

/** A repeatable NAME=VALUE option, collected in order. */
export function collectPair<T>(kind: string, parseValue: (v: string, name: string) => T) {
  return (raw: string, previous: [string, T][] = []): [string, T][] => {
    const eq = raw.indexOf('=');
    if (eq <= 0 || eq === raw.length - 1) throw new InvalidArgumentError(`expected ${kind}, got '${raw}'`);
    const name = raw.slice(0, eq);
    return [...previous, [name, parseValue(raw.slice(eq + 1), name)]];
  };
}

export function parseDimValue(v: string, name: string): number {
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError(`dimension ${name} must be a non-negative integer, got '${v}'`);
  return Number(v);
}

export function parseNonNegativeInt(what: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError(`${what} must be a non-negative integer, got '${v}'`);
    return Number(v);
  };
}

export function parsePositiveInt(what: string) {
  const nonNegative = parseNonNegativeInt(what);
  return (v: string): number => {
    const n = nonNegative(v);
    if (n === 0) throw new InvalidArgumentError(`${what} must be at least 1`);
    return n;
  };
}

/** One of `allowed`, or a usage error listing them. */
export function parseChoice<T extends string>(what: string, allowed: readonly T[]) {
  return (v: string): T => {
    if (!(allowed as readonly string[]).includes(v)) throw new InvalidArgumentError(`unknown ${what} '${v}' (available: ${allowed.join(', ')})`);
    return v as T;
  };
}
