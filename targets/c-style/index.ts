// The C-family printer base shared by targets/wgsl and targets/cuda (README.md).
export { CodeWriter } from '../../compiler/kernel/code-writer.js';
export { PREC, type CDialect, type ForStmt, type InfixOp, type MappedLoop, type PrintContext } from './dialect.js';
export { printExpr } from './expr.js';
export { kernelContext, writeStmts } from './stmt.js';
export { formatFloat } from './literals.js';
