// `ptxas -v` output (from `nvcc -Xptxas -v`) as data: per kernel and architecture, the
// registers, shared memory, stack frame and spills, for the resource report that tests and
// scripts/cuda-gpu-check.sh write.

export interface KernelResources {
  readonly kernel: string;
  readonly arch: string;
  readonly registers: number;
  readonly sharedBytes: number;
  readonly stackBytes: number;
  readonly spillStoreBytes: number;
  readonly spillLoadBytes: number;
}

export function parsePtxasReport(text: string): KernelResources[] {
  const out: KernelResources[] = [];
  let current: { kernel: string; arch: string; stack: number; stores: number; loads: number } | undefined;
  for (const line of text.split('\n')) {
    const entry = /Compiling entry function '([^']+)' for '([^']+)'/.exec(line);
    if (entry) {
      current = { kernel: entry[1]!, arch: entry[2]!, stack: 0, stores: 0, loads: 0 };
      continue;
    }
    const props = /(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads/.exec(line);
    if (props && current) {
      current.stack = Number(props[1]);
      current.stores = Number(props[2]);
      current.loads = Number(props[3]);
      continue;
    }
    const used = /Used (\d+) registers/.exec(line);
    if (used && current) {
      const smem = /(\d+) bytes smem/.exec(line);
      out.push({
        kernel: current.kernel, arch: current.arch, registers: Number(used[1]), sharedBytes: smem ? Number(smem[1]) : 0,
        stackBytes: current.stack, spillStoreBytes: current.stores, spillLoadBytes: current.loads,
      });
      current = undefined;
    }
  }
  return out;
}

/** A fixed-width table of the report, one line per kernel and architecture. */
export function formatResources(rows: readonly KernelResources[]): string {
  const width = Math.max(6, ...rows.map((r) => r.kernel.length));
  const head = `${'kernel'.padEnd(width)}  arch   regs  smem(B)  stack(B)  spill st/ld(B)`;
  return [head, ...rows.map((r) => `${r.kernel.padEnd(width)}  ${r.arch.padEnd(5)}  ${String(r.registers).padStart(4)}  ${String(r.sharedBytes).padStart(7)}  ${String(r.stackBytes).padStart(8)}  ${r.spillStoreBytes}/${r.spillLoadBytes}`)].join('\n') + '\n';
}
