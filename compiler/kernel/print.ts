// Readable text for Kernel IR and Programs (`sluice inspect`, debugging, golden tests). The
// form is C-like and one node maps to one piece of text:
//
//   // sources: add_3, relu_4
//   kernel add_relu(x: f32 read, y: f32 write, n: i32 uniform) {
//     for grid.x i in 0..n {
//       y[i] = max(x[i], 0.0f);
//     }
//   }
//
// Vector loads and stores print as `x[i..+4]`; constants carry a suffix when their type is
// not the default (`0.0f` f32, `1.0h` f16, `3u` u32, `3l` i64; f64 and i32 bare).
// Parentheses come from a precedence table (C's), never from parenthesizing everything.

import { printDim, printShape } from '../ir/dim.js';
import { elemOf, isVector, lanesOf, type Expr, type KBinaryOp, type Kernel, type KType, type MmaOperand, type Stmt } from './ir.js';
import type { Program } from './program.js';
import { CodeWriter } from './code-writer.js';


// ---- expressions ----

const PRIMARY = 13;
const UNARY = 12;
const SELECT = 1;

/** C precedence of infix operators (higher binds tighter). */
function infix(op: KBinaryOp, type: KType): { text: string; prec: number } | undefined {
  const logical = elemOf(type) === 'bool';
  switch (op) {
    case 'mul': return { text: '*', prec: 11 };
    case 'div': return { text: '/', prec: 11 };
    case 'rem': return { text: '%', prec: 11 };
    case 'add': return { text: '+', prec: 10 };
    case 'sub': return { text: '-', prec: 10 };
    case 'shl': return { text: '<<', prec: 9 };
    case 'shr': return { text: '>>', prec: 9 };
    case 'lt': return { text: '<', prec: 8 };
    case 'le': return { text: '<=', prec: 8 };
    case 'gt': return { text: '>', prec: 8 };
    case 'ge': return { text: '>=', prec: 8 };
    case 'eq': return { text: '==', prec: 7 };
    case 'ne': return { text: '!=', prec: 7 };
    case 'and': return logical ? { text: '&&', prec: 3 } : { text: '&', prec: 6 };
    case 'xor': return { text: '^', prec: 5 };
    case 'or': return logical ? { text: '||', prec: 2 } : { text: '|', prec: 4 };
    default: return undefined; // max, min, pow print as calls
  }
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

function printConst(type: KType, value: number | boolean): string {
  const elem = elemOf(type);
  let text: string;
  if (typeof value === 'boolean') text = String(value);
  else if (elem === 'f32') text = Number.isFinite(value) ? `${formatNumber(value)}f` : formatNumber(value);
  else if (elem === 'f16') text = Number.isFinite(value) ? `${formatNumber(value)}h` : formatNumber(value);
  else if (elem === 'f64') text = formatNumber(value);
  else if (elem === 'u32') text = `${value}u`;
  else if (elem === 'i64') text = `${value}l`;
  else text = String(value);
  return isVector(type) ? `${type}(${text})` : text;
}

/** `e` as text, parenthesized when its precedence is below `min`. */
export function printExpr(e: Expr, min = 0): string {
  const [text, prec] = exprText(e);
  return prec < min ? `(${text})` : text;
}

function exprText(e: Expr): [string, number] {
  switch (e.kind) {
    case 'const': {
      const t = printConst(e.type, e.value);
      return [t, t.startsWith('-') ? UNARY : PRIMARY];
    }
    case 'var': return [e.name, PRIMARY];
    case 'unary':
      if (e.op === 'neg') {
        const inner = printExpr(e.a, UNARY);
        return [inner.startsWith('-') ? `-(${inner})` : `-${inner}`, UNARY];
      }
      if (e.op === 'not') return [`${elemOf(e.type) === 'bool' ? '!' : '~'}${printExpr(e.a, UNARY)}`, UNARY];
      return [`${e.op}(${printExpr(e.a)})`, PRIMARY];
    case 'binary': {
      const op = infix(e.op, e.a.type);
      if (!op) return [`${e.op}(${printExpr(e.a)}, ${printExpr(e.b)})`, PRIMARY];
      // Left-associative: the right operand needs parentheses at equal precedence.
      return [`${printExpr(e.a, op.prec)} ${op.text} ${printExpr(e.b, op.prec + 1)}`, op.prec];
    }
    case 'fma': return [`fma(${printExpr(e.a)}, ${printExpr(e.b)}, ${printExpr(e.c)})`, PRIMARY];
    case 'select': return [`${printExpr(e.cond, SELECT + 1)} ? ${printExpr(e.a, SELECT + 1)} : ${printExpr(e.b, SELECT)}`, SELECT];
    case 'cast': return [`${e.type}(${printExpr(e.a)})`, PRIMARY];
    case 'load': return [`${e.buffer}[${indexText(e.index, lanesOf(e.type))}]`, PRIMARY];
    case 'array_load': return [`${e.array}[${printExpr(e.index)}]`, PRIMARY];
    case 'splat': return [`${e.type}(${printExpr(e.a)})`, PRIMARY];
    case 'vector': return [`${e.type}(${e.parts.map((p) => printExpr(p)).join(', ')})`, PRIMARY];
    case 'lane': return [`${printExpr(e.a, PRIMARY)}.${e.lane}`, PRIMARY];
    case 'reduce_lanes': return [`reduce_${e.op}(${printExpr(e.a)})`, PRIMARY];
    case 'warp_reduce': return [`warp_reduce_${e.op}(${printExpr(e.a)})`, PRIMARY];
    case 'subgroup_reduce': return [`subgroup_reduce_${e.op}(${printExpr(e.a)})`, PRIMARY];
    case 'subgroup_size': return ['subgroup_size', PRIMARY];
  }
}

function indexText(index: Expr, lanes: number): string {
  return lanes === 1 ? printExpr(index) : `${printExpr(index)}..+${lanes}`;
}

// ---- statements ----

function loopHeader(s: Extract<Stmt, { kind: 'for' }>): string {
  const mode = s.mode === 'serial' ? '' : `${s.mode} `;
  const step = s.step === 1 ? '' : ` step ${s.step}`;
  return `for ${mode}${s.var} in ${printExpr(s.start)}..${printExpr(s.end)}${step}`;
}

function writeStmts(w: CodeWriter, stmts: readonly Stmt[]): void {
  for (const s of stmts) writeStmt(w, s);
}

function writeStmt(w: CodeWriter, s: Stmt): void {
  switch (s.kind) {
    case 'let': w.line(`let ${s.name}: ${s.type} = ${printExpr(s.init)};`); return;
    case 'assign': w.line(`${s.name} = ${printExpr(s.value)};`); return;
    case 'store': w.line(`${s.buffer}[${indexText(s.index, lanesOf(s.value.type))}] = ${printExpr(s.value)};`); return;
    case 'array': w.line(`${s.scope} ${s.name}: ${s.type}[${s.size}]${s.storage ? ` as ${s.storage}` : ''};`); return;
    case 'array_store': w.line(`${s.array}[${printExpr(s.index)}] = ${printExpr(s.value)};`); return;
    case 'for': w.block(loopHeader(s), () => writeStmts(w, s.body)); return;
    case 'if':
      w.chain([
        [`if (${printExpr(s.cond)})`, () => writeStmts(w, s.then)],
        ...(s.else.length > 0 ? [['else', () => writeStmts(w, s.else)] as const] : []),
      ]);
      return;
    case 'barrier': w.line('barrier();'); return;
    case 'mma': {
      const tile = (o: MmaOperand): string => `${o.array}[${printExpr(o.offset)}; ld ${o.ld}]`;
      w.line(`mma_${s.shape.join('x')}_${s.aType}(${tile(s.acc)} += ${tile(s.a)} * ${tile(s.b)});`);
      return;
    }
    case 'comment': for (const line of s.text.split('\n')) w.line(`// ${line}`); return;
  }
}

function writeKernel(w: CodeWriter, k: Kernel): void {
  if (k.sources.length > 0) w.line(`// sources: ${k.sources.join(', ')}`);
  const params = [
    ...k.buffers.map((b) => `${b.name}: ${b.dtype} ${b.access}`),
    ...k.uniforms.map((u) => `${u.name}: i32 uniform`),
  ];
  const [x, y, z] = k.workgroupSize;
  const workgroup = x * y * z > 1 ? ` workgroup(${x}, ${y}, ${z})` : '';
  w.block(`kernel ${k.name}(${params.join(', ')})${workgroup}`, () => writeStmts(w, k.body));
}

export function printKernel(k: Kernel): string {
  const w = new CodeWriter();
  writeKernel(w, k);
  return w.text();
}

// ---- programs ----

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => r[c]!.length))) ?? [];
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  '));
}

export function printProgram(p: Program): string {
  const w = new CodeWriter();
  w.line(`program ${p.name}`);
  const dims = p.dims.map((d) => (d.defaultValue === undefined ? d.name : `${d.name}=${d.defaultValue}`));
  w.line(`dims: ${dims.join(', ') || 'none'}`);
  w.block('values', () => {
    const rows = p.values.map((v) => [v.id, v.role, v.name, v.dtype, printShape(v.shape) + (v.constant ? ' (constant)' : '')]);
    for (const line of table(rows)) w.line(line);
  });
  for (const k of p.kernels) {
    w.line('');
    writeKernel(w, k);
  }
  w.line('');
  w.block('dispatches', () => {
    p.dispatches.forEach((d, i) => {
      const buffers = Object.entries(d.buffers).map(([name, id]) => `${name}=${id}`);
      const uniforms = Object.entries(d.uniforms).map(([name, dim]) => `${name}=${printDim(dim)}`);
      const args = uniforms.length > 0 ? `${buffers.join(', ')}; ${uniforms.join(', ')}` : buffers.join(', ');
      w.line(`${i}: ${d.kernel}(${args}) grid [${d.grid.map(printDim).join(', ')}]`);
    });
  });
  w.line(`inputs: ${p.inputs.join(', ') || 'none'}; outputs: ${p.outputs.join(', ') || 'none'}`);
  return w.text();
}
