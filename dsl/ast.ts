// The DSL's abstract syntax tree: readonly nodes tagged with `kind`, each with the source
// range it came from (`start`, `length` in string offsets; line and column are computed only
// when a diagnostic is printed). Where recovery from a syntax error left a hole, the tree holds
// a `Missing` expression; lowering treats it as an already reported error.

export interface TextRange {
  readonly start: number;
  readonly length: number;
}

export interface Identifier {
  readonly kind: 'Identifier';
  readonly name: string;
  readonly span: TextRange;
}

// ---- declarations ----

export interface Module {
  readonly kind: 'Module';
  readonly models: readonly ModelDecl[];
  /** Functions declared outside any model, visible to every model. */
  readonly functions: readonly FnDecl[];
  readonly span: TextRange;
}

export interface ModelDecl {
  readonly kind: 'Model';
  readonly name: Identifier;
  readonly dims: readonly DimParam[];
  readonly body: readonly Statement[];
  readonly span: TextRange;
}

export interface DimParam {
  readonly kind: 'DimParam';
  readonly name: Identifier;
  readonly defaultValue?: NumberLiteral;
  readonly span: TextRange;
}

export type Statement = LetStmt | InputDecl | ParamDecl | FnDecl | OutputDecl;

export interface LetStmt {
  readonly kind: 'Let';
  readonly name: Identifier;
  readonly value: Expr;
  readonly span: TextRange;
}

export interface InputDecl {
  readonly kind: 'Input';
  readonly name: Identifier;
  readonly type: TensorType;
  readonly span: TextRange;
}

export interface ParamDecl {
  readonly kind: 'Param';
  readonly name: Identifier;
  readonly type: TensorType;
  readonly span: TextRange;
}

export interface OutputDecl {
  readonly kind: 'Output';
  readonly name: Identifier;
  readonly type?: TensorType;
  readonly value: Expr;
  readonly span: TextRange;
}

/**
 * `fn f(a, b) = expr`, or `fn f(a) { let t = ... return expr }` with `lets` before `result`.
 * `result` is absent only when a block body forgot its `return`.
 */
export interface FnDecl {
  readonly kind: 'Fn';
  readonly name: Identifier;
  readonly params: readonly Identifier[];
  readonly lets: readonly LetStmt[];
  readonly result?: Expr;
  readonly span: TextRange;
}

export interface TensorType {
  readonly kind: 'TensorType';
  readonly dtype: Identifier;
  readonly dims: readonly Expr[];
  readonly span: TextRange;
}

// ---- expressions ----

export type BinaryOperator = '+' | '-' | '*' | '/' | '@' | '**' | '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Expr =
  | Name
  | NumberLiteral
  | StringLiteral
  | BoolLiteral
  | ListLiteral
  | Binary
  | Unary
  | Call
  | Member
  | Index
  | Missing;

export interface Name {
  readonly kind: 'Name';
  readonly name: string;
  readonly span: TextRange;
}

export interface NumberLiteral {
  readonly kind: 'Number';
  readonly value: number;
  /** Written without a decimal point or exponent (`2`, not `2.0` or `2e0`). */
  readonly isInteger: boolean;
  readonly text: string;
  readonly span: TextRange;
}

export interface StringLiteral {
  readonly kind: 'String';
  readonly value: string;
  readonly span: TextRange;
}

export interface BoolLiteral {
  readonly kind: 'Bool';
  readonly value: boolean;
  readonly span: TextRange;
}

export interface ListLiteral {
  readonly kind: 'List';
  readonly items: readonly Expr[];
  readonly span: TextRange;
}

export interface Binary {
  readonly kind: 'Binary';
  readonly op: BinaryOperator;
  readonly left: Expr;
  readonly right: Expr;
  /** The operator token, where errors about the operation point. */
  readonly opSpan: TextRange;
  readonly span: TextRange;
}

export interface Unary {
  readonly kind: 'Unary';
  readonly op: '-';
  readonly operand: Expr;
  readonly span: TextRange;
}

export interface Call {
  readonly kind: 'Call';
  readonly callee: Identifier;
  readonly args: readonly Argument[];
  readonly span: TextRange;
}

export interface Argument {
  readonly kind: 'Argument';
  readonly name?: Identifier;
  readonly value: Expr;
  readonly span: TextRange;
}

/** `x.T`; other property names are reported when lowering. */
export interface Member {
  readonly kind: 'Member';
  readonly object: Expr;
  readonly property: Identifier;
  readonly span: TextRange;
}

export interface Index {
  readonly kind: 'Index';
  readonly object: Expr;
  readonly subscripts: readonly Subscript[];
  readonly span: TextRange;
}

/** `x[i]` takes one position and drops the axis; `x[a:b:c]` slices (each part optional). */
export type Subscript =
  | { readonly kind: 'At'; readonly index: Expr; readonly span: TextRange }
  | { readonly kind: 'Slice'; readonly start?: Expr; readonly end?: Expr; readonly step?: Expr; readonly span: TextRange };

/** A hole left by syntax-error recovery; already reported. */
export interface Missing {
  readonly kind: 'Missing';
  readonly span: TextRange;
}
