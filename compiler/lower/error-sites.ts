// Data checks in kernels: where the interpreter refuses data (a gather index out of range), a
// kernel clamps so it never reads out of bounds, and also flags the error in the program's
// status value so the runtime can refuse the result instead of returning a wrong answer.
//
// Site i owns STATUS_WORDS_PER_SITE i32 words of the status value: a flag (1 once the data was
// bad), then up to STATUS_VALUES_PER_SITE numbers, each as its low and high i32 halves, that
// fill the message. Threads race only to write the same site with different bad values,
// which leaves any one of them: each is a true report.

import type { Span } from '../diagnostics/diagnostic.js';
import { lineAndColumn } from '../diagnostics/diagnostic.js';
import type { MessageCode } from '../diagnostics/messages.js';
import type { Node } from '../ir/node.js';
import { binary, cast, constant, i32, store, type KernelBuilder } from '../kernel/builder.js';
import type { Expr } from '../kernel/ir.js';
import type { ErrorArg, ErrorSite } from '../kernel/program.js';
import { STATUS_VALUES_PER_SITE, STATUS_WORDS_PER_SITE } from '../../runtime/manifest.js';

export class ErrorSites {
  readonly sites: ErrorSite[] = [];
  private statusId: string | undefined;

  /** `newStatus` makes the status value (its shape is fixed by `finish`) and returns its id. */
  constructor(private readonly spans: ReadonlyMap<Node, Span>, private readonly newStatus: () => string) {}

  /** The status value's id, if any site was registered. */
  get status(): string | undefined {
    return this.statusId;
  }

  /** Words the status value needs. */
  get words(): number {
    return this.sites.length * STATUS_WORDS_PER_SITE;
  }

  /**
   * Emits `if (bad) { flag site; write values }` at the builder's current point. `values` are
   * i32 or i64 scalars; `args` fill the message of `code` ({ value: j } is values[j]).
   */
  check(kb: KernelBuilder, node: Node, bad: Expr, values: readonly Expr[], code: MessageCode, args: readonly ErrorArg[]): void {
    if (values.length > STATUS_VALUES_PER_SITE) throw new Error(`error site: ${values.length} values, at most ${STATUS_VALUES_PER_SITE}`);
    this.statusId ??= this.newStatus();
    const site = this.sites.length;
    const span = this.spans.get(node);
    this.sites.push({ code, args, node: nodeName(node, span), op: node.op, ...(span ? { span } : {}) });
    const status = kb.buffer(this.statusId, 'i32', 'write');
    const base = site * STATUS_WORDS_PER_SITE;
    kb.when(bad, () => {
      kb.emit(store(status, i32(base), i32(1)));
      values.forEach((v, j) => {
        const [lo, hi] = halves(v);
        kb.emit(store(status, i32(base + 1 + 2 * j), lo), store(status, i32(base + 2 + 2 * j), hi));
      });
    });
  }
}

/** Low and high i32 halves of an i32 or i64 value (an i32's high half is its sign). */
function halves(v: Expr): [Expr, Expr] {
  if (v.type === 'i64') return [cast(v, 'i32'), cast(binary('shr', v, constant('i64', 32)), 'i32')];
  if (v.type !== 'i32') throw new Error(`error site: values must be i32 or i64, got ${v.type}`);
  return [v, binary('shr', v, i32(31))];
}

/** How a message names the node: its ONNX name, else where the DSL wrote it. */
function nodeName(node: Node, span: Span | undefined): string {
  if (span?.kind === 'node') return span.node;
  if (span?.kind === 'text') {
    const { line, column } = lineAndColumn(span.file.text, span.start);
    // The file's name only: a package's manifest should not carry the machine's paths.
    return `${span.file.path.split(/[\\/]/).pop()}:${line}:${column}`;
  }
  return `%${node.id}`;
}
