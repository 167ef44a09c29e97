// A compact, fully parenthesised text form of the AST, for tests and `--dump-ast`:
// binary and unary operations print as `(op left right)`, everything else much as written,
// so precedence and associativity are visible at a glance: `a + b * c` is `(+ a (* b c))`.

import type * as A from './ast.js';
import { unreachable } from '../compiler/diagnostics/diagnostic.js';

export function printExpr(e: A.Expr): string {
  switch (e.kind) {
    case 'Name': return e.name;
    case 'Number': return e.text;
    case 'String': return JSON.stringify(e.value);
    case 'Bool': return String(e.value);
    case 'List': return `[${e.items.map(printExpr).join(', ')}]`;
    case 'Binary': return `(${e.op} ${printExpr(e.left)} ${printExpr(e.right)})`;
    case 'Unary': return `(neg ${printExpr(e.operand)})`;
    case 'Call': return `${e.callee.name}(${e.args.map(printArgument).join(', ')})`;
    case 'Member': return `${printExpr(e.object)}.${e.property.name}`;
    case 'Index': return `${printExpr(e.object)}[${e.subscripts.map(printSubscript).join(', ')}]`;
    case 'Missing': return '?';
    default: return unreachable(e, 'expression');
  }
}

function printArgument(a: A.Argument): string {
  return a.name ? `${a.name.name}: ${printExpr(a.value)}` : printExpr(a.value);
}

function printSubscript(s: A.Subscript): string {
  if (s.kind === 'At') return printExpr(s.index);
  const part = (x: A.Expr | undefined): string => (x ? printExpr(x) : '');
  return `${part(s.start)}:${part(s.end)}${s.step ? `:${printExpr(s.step)}` : ''}`;
}

function printType(t: A.TensorType): string {
  return `${t.dtype.name}[${t.dims.map(printExpr).join(', ')}]`;
}

export function printStatement(s: A.Statement): string {
  switch (s.kind) {
    case 'Let': return `let ${s.name.name} = ${printExpr(s.value)}`;
    case 'Input': return `input ${s.name.name}: ${printType(s.type)}`;
    case 'Param': return `param ${s.name.name}: ${printType(s.type)}`;
    case 'Output': return `output ${s.name.name}${s.type ? `: ${printType(s.type)}` : ''} = ${printExpr(s.value)}`;
    case 'Fn': {
      const head = `fn ${s.name.name}(${s.params.map((p) => p.name).join(', ')})`;
      if (s.lets.length === 0 && s.result) return `${head} = ${printExpr(s.result)}`;
      return `${head} { ${s.lets.map((l) => `${printStatement(l)}; `).join('')}${s.result ? `return ${printExpr(s.result)} ` : ''}}`;
    }
    default: return unreachable(s, 'statement');
  }
}

/** One line per declaration. */
export function printModule(m: A.Module): string {
  const lines: string[] = m.functions.map(printStatement);
  for (const model of m.models) {
    const dims = model.dims.map((d) => (d.defaultValue ? `${d.name.name} = ${d.defaultValue.text}` : d.name.name));
    lines.push(`model ${model.name.name}(${dims.join(', ')})`);
    for (const s of model.body) lines.push(`  ${printStatement(s)}`);
  }
  return lines.join('\n');
}
