// Bad data met by a kernel (a gather index out of range): the kernels clamp and flag it in the
// status words (runtime/manifest.ts ManifestErrors), and the runtime turns the first flagged
// site into this error after the run, so a wrong answer is never returned. Ships inside
// generated packages, so it imports nothing from compiler/.

import { evalDimJson, type DimEnv } from './dim-eval.js';
import { STATUS_VALUES_PER_SITE, STATUS_WORDS_PER_SITE, type Manifest } from './manifest.js';

export class DataError extends Error {
  constructor(
    /** The interpreter's diagnostic code for the same error (2010: gather index out of range). */
    readonly code: number,
    /** The graph node and its op. */
    readonly node: string,
    readonly op: string,
    /** The message without the node ("gather index 5 is out of range for axis 0 of size 5"). */
    readonly detail: string,
    /** Index of the site in manifest.errors.sites. */
    readonly site: number,
    /** The numbers the kernel wrote (the bad index, ...). */
    readonly values: readonly number[],
  ) {
    super(`${op} node '${node}': ${detail} (SL${code})`);
    this.name = 'DataError';
  }
}

/** The first site flagged in the status words, as an error; undefined when the data was fine. */
export function statusError(manifest: Manifest, words: Int32Array, dims: DimEnv): DataError | undefined {
  const sites = manifest.errors?.sites ?? [];
  for (let i = 0; i < sites.length; i++) {
    const base = i * STATUS_WORDS_PER_SITE;
    if (words[base] === 0) continue;
    const values: number[] = [];
    for (let j = 0; j < STATUS_VALUES_PER_SITE; j++) {
      const lo = words[base + 1 + 2 * j]!, hi = words[base + 2 + 2 * j]!;
      values.push(hi * 2 ** 32 + (lo >>> 0));
    }
    const site = sites[i]!;
    const detail = site.message.replace(/\{([vd])(\d+)\}/g, (_, kind: string, j: string) =>
      String(kind === 'v' ? values[Number(j)] : evalDimJson(site.dims[Number(j)]!, dims)));
    return new DataError(site.code, site.node, site.op, detail, i, values);
  }
  return undefined;
}
