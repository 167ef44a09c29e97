// The grammar, as a Chevrotain CstParser with one class field per rule (STYLE 21). It builds
// a concrete syntax tree only; `cst-to-ast.ts` turns that into the AST. Recovery is on: a
// missing or extra token is repaired in place, and a broken statement is skipped up to the
// next keyword, so one run reports every syntax error. Messages come from
// `errorMessageProvider` below, in plain words ("expected ')' to close '(' but found 'let'").
//
//   module        = { modelDecl | fnDecl } ;
//   modelDecl     = "model" NAME "(" [ dimParam { "," dimParam } ] ")" "{" { statement } "}" ;
//   dimParam      = NAME [ "=" NUMBER ] ;
//   statement     = ( letStmt | inputDecl | paramDecl | fnDecl | outputDecl ) [ ";" ] ;
//   letStmt       = "let" NAME "=" expression ;
//   inputDecl     = "input" NAME ":" tensorType ;
//   paramDecl     = "param" NAME ":" tensorType ;
//   outputDecl    = "output" NAME [ ":" tensorType ] "=" expression ;
//   fnDecl        = "fn" NAME "(" [ NAME { "," NAME } ] ")" ( "=" expression | fnBlock ) ;
//   fnBlock       = "{" { letStmt [ ";" ] } [ "return" expression [ ";" ] ] "}" ;  (no return: SL1130)
//   tensorType    = NAME "[" [ expression { "," expression } ] "]" ;
//   expression    = additive [ ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) additive ] ;
//   additive      = multiplicative { ( "+" | "-" ) multiplicative } ;
//   multiplicative= unary { ( "*" | "/" | "@" ) unary } ;
//   unary         = "-" unary | power ;
//   power         = postfix [ "**" unary ] ;
//   postfix       = atom { postfixOp } ;
//   postfixOp     = "." NAME | "[" subscript { "," subscript } "]" ;
//   subscript     = expression [ sliceTail ] | sliceTail ;
//   sliceTail     = ":" [ expression ] [ ":" [ expression ] ] ;
//   atom          = NAME [ "(" [ argument { "," argument } ] ")" ] | NUMBER | STRING
//                 | "true" | "false" | "[" [ expression { "," expression } ] "]" | "(" expression ")" ;
//   argument      = [ NAME ":" ] expression ;

import {
  CstParser,
  EOF,
  tokenMatcher,
  type CstNode,
  type IParserErrorMessageProvider,
  type IToken,
  type TokenType,
} from 'chevrotain';
import * as T from './tokens.js';

const PARSER_TOKENS: TokenType[] = [...T.ALL_TOKENS];

// ---- error messages ----

/** How a found token reads in a message. */
export function describeToken(token: IToken): string {
  if (tokenMatcher(token, EOF)) return 'the end of the file';
  const image = token.image.length > 24 ? `${token.image.slice(0, 21)}...` : token.image;
  return `'${image}'`;
}

function label(type: TokenType): string {
  return type.LABEL ?? type.name;
}

/** What each rule was looking for when none of its alternatives matched. */
const RULE_EXPECTS: Readonly<Record<string, string>> = {
  module: "'model' or 'fn'",
  statement: "a declaration ('let', 'input', 'param', 'fn' or 'output')",
  fnDecl: "'=' or '{' after the function's parameters",
  atom: 'an expression',
  unary: 'an expression',
  // An empty `x[]`: the subscript list needs at least one entry.
  postfixOp: 'an index or a slice (like 0, 1:, or :)',
  subscript: 'an index or a slice (like 0, 1:, or :)',
};

function alternativesText(paths: TokenType[][][] | TokenType[][]): string {
  const firsts = new Set<string>();
  for (const p of paths.flat(1) as (TokenType[] | TokenType)[]) {
    const first = Array.isArray(p) ? p[0] : p;
    if (first) firsts.add(label(first));
  }
  const list = [...firsts];
  if (list.length <= 1) return list[0] ?? 'something else';
  return `one of ${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

const CHAINED_COMPARISON = 'comparisons do not chain: compare two values at a time, as in (a < b)';

/**
 * Index of the last token before `actual`. (Chevrotain's `previous` can be later: when it
 * recovers by skipping tokens it reports the error after skipping them.)
 */
function indexBefore(tokens: readonly IToken[], actual: IToken, previous: IToken): number {
  const i = tokens.indexOf(actual);
  return i >= 0 ? i - 1 : tokens.indexOf(previous);
}

/** The unclosed opener that a `closer` after token `from` would match (scanning back). */
function findOpener(tokens: readonly IToken[], from: number, closer: TokenType, opener: TokenType): IToken | undefined {
  let depth = 0;
  for (let i = from; i >= 0; i--) {
    const t = tokens[i]!;
    if (t.tokenType === closer) depth++;
    else if (t.tokenType === opener && depth-- === 0) return t;
  }
  return undefined;
}

/** Whether the token at `from` ends an operand of a comparison (`a < b` then another `<`). */
function endsComparison(tokens: readonly IToken[], from: number): boolean {
  let depth = 0;
  for (let i = from; i >= 0; i--) {
    const t = tokens[i]!;
    if (T.CLOSERS.has(t.tokenType)) depth++;
    else if ([...T.CLOSERS.values()].includes(t.tokenType)) {
      if (depth-- === 0) return false;
    } else if (depth === 0) {
      if (tokenMatcher(t, T.ComparisonOp)) return true;
      if (T.KEYWORDS.includes(t.tokenType) || t.tokenType === T.Assign || t.tokenType === T.Comma || t.tokenType === T.Colon) return false;
    }
  }
  return false;
}

export const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous, ruleName }) {
    const before = indexBefore(parser.input, actual, previous);
    if (tokenMatcher(actual, T.ComparisonOp) && endsComparison(parser.input, before)) {
      parser.mismatches.push({ message: CHAINED_COMPARISON, opener: undefined });
      return CHAINED_COMPARISON;
    }
    const opener = T.CLOSERS.get(expected);
    let what = opener ? `${label(expected)} to close ${label(opener)}` : label(expected);
    // Recovery inside a repetition reports the token that would end it; say what would go on it.
    if (expected === EOF) what = RULE_EXPECTS[ruleName] ?? 'the end of the file';
    // The model body ends where no further declaration starts: either would do.
    if (expected === T.RBrace && ruleName === 'modelDecl') what = `a declaration or ${what}`;
    const message = `expected ${what} but found ${describeToken(actual)}`;
    // Chevrotain saves one MismatchedTokenException right after each call: remember the opener
    // so the diagnostic can point at it too.
    parser.mismatches.push({ message, opener: opener ? findOpener(parser.input, before, expected, opener) : undefined });
    return message;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `expected ${RULE_EXPECTS.module} but found ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const expected = RULE_EXPECTS[ruleName] ?? alternativesText(expectedPathsPerAlt);
    return `expected ${expected} but found ${describeToken(actual[0]!)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const expected = RULE_EXPECTS[ruleName] ?? alternativesText(expectedIterationPaths);
    return `expected ${expected} but found ${describeToken(actual[0]!)}`;
  },
};

// ---- the grammar ----

export interface ParseError {
  readonly message: string;
  /** The token found where something else was expected (EOF has NaN offsets). */
  readonly token: IToken;
  readonly previous: IToken | undefined;
  /** For a missing closing bracket: the bracket it should close. */
  readonly opener: IToken | undefined;
}

export class SluiceParser extends CstParser {
  /** Filled by the message provider during a parse, one entry per mismatched token. */
  readonly mismatches: { readonly message: string; readonly opener: IToken | undefined }[] = [];

  constructor() {
    super(PARSER_TOKENS, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider });
    this.performSelfAnalysis();
  }

  module = this.RULE('module', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.modelDecl) },
        { ALT: () => this.SUBRULE(this.fnDecl) },
      ]);
    });
  });

  modelDecl = this.RULE('modelDecl', () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.dimParam) });
    this.CONSUME(T.RParen);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(T.RBrace);
  });

  dimParam = this.RULE('dimParam', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.Assign);
      this.CONSUME(T.NumberLiteral, { LABEL: 'default' });
    });
  });

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.letStmt) },
      { ALT: () => this.SUBRULE(this.inputDecl) },
      { ALT: () => this.SUBRULE(this.paramDecl) },
      { ALT: () => this.SUBRULE(this.fnDecl) },
      { ALT: () => this.SUBRULE(this.outputDecl) },
    ]);
    this.OPTION(() => this.CONSUME(T.Semicolon));
  });

  letStmt = this.RULE('letStmt', () => {
    this.CONSUME(T.Let);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Assign);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  inputDecl = this.RULE('inputDecl', () => {
    this.CONSUME(T.Input);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.tensorType, { LABEL: 'type' });
  });

  paramDecl = this.RULE('paramDecl', () => {
    this.CONSUME(T.Param);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.tensorType, { LABEL: 'type' });
  });

  outputDecl = this.RULE('outputDecl', () => {
    this.CONSUME(T.Output);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.tensorType, { LABEL: 'type' });
    });
    this.CONSUME(T.Assign);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  fnDecl = this.RULE('fnDecl', () => {
    this.CONSUME(T.Fn);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.Identifier, { LABEL: 'params' }) });
    this.CONSUME(T.RParen);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Assign);
          this.SUBRULE(this.expression, { LABEL: 'value' });
        },
      },
      { ALT: () => this.SUBRULE(this.fnBlock, { LABEL: 'block' }) },
    ]);
  });

  fnBlock = this.RULE('fnBlock', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.letStmt);
      this.OPTION(() => this.CONSUME(T.Semicolon));
    });
    // Optional here so that a forgotten `return` is one clear error (SL1130), not a lost `}`.
    this.OPTION2(() => {
      this.CONSUME(T.Return);
      this.SUBRULE(this.expression, { LABEL: 'value' });
      this.OPTION3(() => this.CONSUME2(T.Semicolon));
    });
    this.CONSUME(T.RBrace);
  });

  tensorType = this.RULE('tensorType', () => {
    this.CONSUME(T.Identifier, { LABEL: 'dtype' });
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression, { LABEL: 'dims' }) });
    this.CONSUME(T.RBracket);
  });

  expression = this.RULE('expression', () => {
    this.SUBRULE(this.additive, { LABEL: 'lhs' });
    this.OPTION(() => {
      this.CONSUME(T.ComparisonOp, { LABEL: 'op' });
      this.SUBRULE2(this.additive, { LABEL: 'rhs' });
    });
  });

  additive = this.RULE('additive', () => {
    this.SUBRULE(this.multiplicative, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(T.AdditiveOp, { LABEL: 'ops' });
      this.SUBRULE2(this.multiplicative, { LABEL: 'operands' });
    });
  });

  multiplicative = this.RULE('multiplicative', () => {
    this.SUBRULE(this.unary, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(T.MultiplicativeOp, { LABEL: 'ops' });
      this.SUBRULE2(this.unary, { LABEL: 'operands' });
    });
  });

  unary = this.RULE('unary', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Minus);
          this.SUBRULE(this.unary, { LABEL: 'operand' });
        },
      },
      { ALT: () => this.SUBRULE(this.power) },
    ]);
  });

  power = this.RULE('power', () => {
    this.SUBRULE(this.postfix, { LABEL: 'base' });
    this.OPTION(() => {
      this.CONSUME(T.StarStar);
      this.SUBRULE(this.unary, { LABEL: 'exponent' });
    });
  });

  postfix = this.RULE('postfix', () => {
    this.SUBRULE(this.atom);
    this.MANY(() => this.SUBRULE(this.postfixOp));
  });

  postfixOp = this.RULE('postfixOp', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Dot);
          this.CONSUME(T.Identifier, { LABEL: 'property' });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.subscript) });
          this.CONSUME(T.RBracket);
        },
      },
    ]);
  });

  subscript = this.RULE('subscript', () => {
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.expression, { LABEL: 'start' });
          this.OPTION(() => this.SUBRULE(this.sliceTail));
        },
      },
      { ALT: () => this.SUBRULE2(this.sliceTail) },
    ]);
  });

  sliceTail = this.RULE('sliceTail', () => {
    this.CONSUME(T.Colon);
    this.OPTION(() => this.SUBRULE(this.expression, { LABEL: 'end' }));
    this.OPTION2(() => {
      this.CONSUME2(T.Colon, { LABEL: 'stepColon' });
      this.OPTION3(() => this.SUBRULE2(this.expression, { LABEL: 'step' }));
    });
  });

  atom = this.RULE('atom', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.nameOrCall) },
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.SUBRULE(this.listLiteral) },
      { ALT: () => this.SUBRULE(this.parenExpr) },
    ]);
  });

  nameOrCall = this.RULE('nameOrCall', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.argument, { LABEL: 'args' }) });
      this.CONSUME(T.RParen);
    });
  });

  argument = this.RULE('argument', () => {
    this.OPTION(() => {
      this.CONSUME(T.Identifier, { LABEL: 'name' });
      this.CONSUME(T.Colon);
    });
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  listLiteral = this.RULE('listLiteral', () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression, { LABEL: 'items' }) });
    this.CONSUME(T.RBracket);
  });

  parenExpr = this.RULE('parenExpr', () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression, { LABEL: 'inner' });
    this.CONSUME(T.RParen);
  });
}

/** One parser, reused: Chevrotain parsers are built once and fed new input. */
export const parser = new SluiceParser();

export function parseTokens(tokens: IToken[]): { cst: CstNode; errors: ParseError[] } {
  parser.mismatches.length = 0;
  parser.input = tokens;
  const cst = parser.module();
  const mismatches = [...parser.mismatches];
  const errors = parser.errors.map((e): ParseError => {
    const opener =
      e.name === 'MismatchedTokenException' && mismatches[0]?.message === e.message ? mismatches.shift()!.opener : undefined;
    return { message: e.message, token: e.token, previous: (e as { previousToken?: IToken }).previousToken, opener };
  });
  return { cst, errors };
}
