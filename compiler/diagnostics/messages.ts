// The catalog of diagnostic messages with stable codes (STYLE 19).
//   1000s DSL syntax and names · 2000s shapes and types · 3000s ONNX import
//   4000s target limits · 5000s running a model (inputs, files, dims)
// Codes never change meaning once released; add new ones at the end of their range.

import type { Severity } from './diagnostic.js';

interface MessageEntry {
  readonly code: number;
  readonly severity: Severity;
  readonly text: string;
}

function error(code: number, text: string): MessageEntry {
  return { code, severity: 'error', text };
}
function warning(code: number, text: string): MessageEntry {
  return { code, severity: 'warning', text };
}

export const MESSAGES = {
  // ---- 1000–1999: DSL syntax and names ----
  unexpectedCharacter: error(1001, "unexpected character '{0}'"),
  syntaxError: error(1002, '{0}'),
  unterminatedComment: error(1003, 'unterminated block comment'),
  unknownName: error(1101, "unknown name '{0}'"),
  duplicateName: error(1102, "'{0}' is already defined"),
  unknownFunction: error(1103, "unknown function '{0}'"),
  wrongArgumentCount: error(1104, "'{0}' takes {1} argument(s), got {2}"),
  unknownNamedArgument: error(1105, "'{0}' has no argument named '{1}'"),
  duplicateArgument: error(1106, "argument '{0}' is given twice"),
  missingArgument: error(1107, "'{0}' needs the argument '{1}'"),
  notADim: error(1108, "'{0}' is a tensor, but a dimension is expected here"),
  notATensor: error(1109, "'{0}' is a dimension, but a tensor is expected here"),
  noOutputs: error(1110, "model '{0}' declares no outputs"),
  recursiveFunction: error(1111, "function '{0}' calls itself; functions cannot recurse"),
  badArgumentValue: error(1112, "argument '{0}' {1}"),
  unknownDType: error(1113, "unknown dtype '{0}' (expected one of {1})"),
  unusedInput: warning(1114, "input '{0}' is never used"),
  unterminatedString: error(1115, 'unterminated string'),
  unknownProperty: error(1116, "unknown property '.{0}' (the only property is '.T', which swaps the last two axes)"),
  noModel: error(1117, 'the file declares no model'),
  unknownModel: error(1118, "the file has no model named '{0}' (models: {1})"),
  severalModels: error(1119, 'the file declares several models ({0}); say which one to compile'),
  badDimExpression: error(1120, '{0} cannot be used in a dimension expression (only dimensions, integers, + - * / and parentheses)'),
  fractionalDim: error(1121, 'dimension {0} is not a whole number; write a decimal point (like 0.5) for a number'),
  dimDivisionByZero: error(1122, 'division by zero in a dimension expression'),
  positionalAfterNamed: error(1123, 'a positional argument cannot follow named arguments'),
  outputTypeMismatch: error(1124, "output '{0}' is declared {1} but its value is {2}"),
  indexOutOfRange: error(1125, 'index {0} is out of range for an axis of size {1}'),
  tooManyIndices: error(1126, 'too many indices: {0} for a tensor of rank {1}'),
  zeroStep: error(1127, 'slice step cannot be zero'),
  wrongKindOfValue: error(1128, 'expected {0} but found {1}'),
  badDimDefault: error(1129, "the default of dimension '{0}' must be a whole number, got {1}"),
  missingReturn: error(1130, "function '{0}' has no 'return'"),
  nestedTooDeeply: error(1131, 'brackets are nested more than {0} deep'),
  tooComplex: error(1132, 'this is nested too deeply to compile; split it with let'),

  // ---- 2000–2999: shapes and types ----
  shapeMismatch: error(2001, '{0}'),
  dtypeMismatch: error(2002, '{0}'),
  cannotBroadcast: error(2003, 'cannot broadcast shapes {0} and {1}'),
  matmulMismatch: error(2004, 'matmul inner dimensions differ: {0} @ {1}'),
  badAxis: error(2005, 'axis {0} is out of range for a tensor of rank {1}'),
  badReshape: error(2006, 'cannot reshape {0} ({1} elements) to {2} ({3} elements)'),
  badRank: error(2007, '{0} needs a tensor of rank {1}, got rank {2}'),
  divisibility: error(2008, '{0}'),
  badAttribute: error(2009, '{0}'),
  gatherIndexOutOfRange: error(2010, 'gather index {0} is out of range for axis {1} of size {2}'),
  emptyReduction: error(2011, '{0} over an empty axis has no value'),
  sliceOutOfRange: error(2012, 'slice start {0}, step {1}, count {2} leave axis {3} of size {4}'),
  sequenceLengthOutOfRange: error(2013, 'sequence length {0} of batch entry {1} is out of range for a sequence of {2} steps'),
  dimsBreakShape: error(2014, 'the model cannot take {1}: {0}'),

  // ---- 3000–3999: ONNX import ----
  onnxParse: error(3001, 'cannot parse ONNX model: {0}'),
  onnxUnsupportedOp: error(3002, "unsupported ONNX op '{0}'"),
  onnxBadAttribute: error(3004, '{0}'),
  onnxUnknownOpset: error(3005, "opset {0} of domain '{1}' is not supported (sluice knows {2})"),
  onnxUnknownDomain: error(3006, "operator domain '{0}' is not supported"),
  onnxMissingValue: error(3007, "'{0}' is used but nothing produces it (no graph input, initializer or node output)"),
  onnxCycle: error(3008, 'the graph has a cycle through {0}'),
  onnxMissingOutput: error(3009, "graph output '{0}' is not produced by any node, input or initializer"),
  onnxDuplicateValue: error(3010, "'{0}' is produced more than once"),
  onnxUnsupportedDtype: error(3011, 'data type {0} is not supported'),
  onnxShapeMismatch: error(3012, '{0}'),
  onnxExternalData: error(3013, "external data of tensor '{0}': {1}"),
  onnxNotConstant: error(3014, '{0} must be known when the model is imported (a constant or a shape computation)'),
  onnxBadInput: error(3015, '{0}'),
  onnxUnsupportedFeature: error(3016, '{0}'),
  onnxNoGraph: error(3017, 'the model has no graph'),
  onnxTooLarge: error(3018, '{0}'),
  onnxInputsFrozen: warning(3019, '{0} frozen to the values given: the compiled model is specialised to them'),
  onnxNotATensor: error(3020, "{0} '{1}' is {2}, not a tensor; optional, sequence and map values are not supported"),

  // ---- 4000–4999: lowering to kernels ----
  noKernelLowering: error(4001, "op '{0}' has no kernel lowering for target {1} yet{2}"),
  memoryTooLarge: error(4101, "the model needs {0} bytes of memory at {1}, over the {2} bytes a {3} module can address; the largest tensor is '{4}' ({5} bytes)"),

  // ---- 5000–5999: running a model ----
  missingDim: error(5001, "dimension '{0}' is not bound: pass --dim {0}=VALUE or give an input that fixes it"),
  conflictingDim: error(5002, "dimension '{0}' is {1} from {2} but {3} from {4}"),
  inputDType: error(5003, "input '{0}' must be {1}, got {2}"),
  inputShape: error(5004, "input '{0}' must have shape {1}, got {2}"),
  unknownInput: error(5005, "the model has no input named '{0}' (inputs: {1})"),
  badFile: error(5006, "cannot read '{0}': {1}"),
  badDimValue: error(5007, "dimension '{0}' evaluates to {1} for {2}; it must be a non-negative integer"),
  missingWeight: error(5008, "parameter '{0}' is not in the weights file"),
  weightShape: error(5009, "parameter '{0}' must be {1}{2}, the weights file has {3}{4}"),
  unknownDimName: error(5010, "the model has no dimension named '{0}' (dimensions: {1})"),
  badOption: error(5011, '{0}'),
  toleranceExceeded: error(5012, "output '{0}' differs from the interpreter: max abs error {1}, relative L2 error {2} (tolerance {3})"),
  hugeTensor: error(5013, "'{0}' would need {1} bytes, over the limit of {2}"),
  unknownModelKind: error(5014, "cannot tell what '{0}' is: expected a .sluice or .onnx file"),
  unknownTarget: error(5015, "unknown target '{0}' (available: {1})"),
  unknownPass: error(5016, "no pass named '{0}' (passes: {1})"),
  cannotWrite: error(5017, "cannot write '{0}': {1}"),
} as const satisfies Record<string, MessageEntry>;

export type MessageCode = keyof typeof MESSAGES;
