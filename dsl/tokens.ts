// The DSL's tokens, as data (Chevrotain `createToken`). Order matters to the lexer: the first
// pattern that matches wins, so longer operators come before their prefixes (`**` before `*`)
// and keywords come before Identifier, which they name as `longer_alt` so that `letter` lexes
// as one identifier rather than `let` + `ter`. Each token's `label` is how error messages
// spell it.

import { createToken, Lexer, type TokenType } from 'chevrotain';

// ---- trivia ----

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n\r]*/, group: Lexer.SKIPPED });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: Lexer.SKIPPED });

/** Lexed apart so the lexer can report them (SL1003, SL1115) and go on. */
export const INVALID_GROUP = 'invalid';
export const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[\s\S]*/, group: INVALID_GROUP });
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\n\r]|\\.)*/, group: INVALID_GROUP });

// ---- names and literals ----

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/,
  label: 'a number',
});
export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"(?:[^"\\\n\r]|\\.)*"/, label: 'a string' });

function keyword(word: string): TokenType {
  const name = `${word[0]!.toUpperCase()}${word.slice(1)}Keyword`;
  return createToken({ name, pattern: word, longer_alt: Identifier, label: `'${word}'` });
}

export const Model = keyword('model');
export const Input = keyword('input');
export const Param = keyword('param');
export const Let = keyword('let');
export const Fn = keyword('fn');
export const Output = keyword('output');
export const Return = keyword('return');
export const True = keyword('true');
export const False = keyword('false');

export const KEYWORDS: readonly TokenType[] = [Model, Input, Param, Let, Fn, Output, Return, True, False];

// ---- punctuation and operators ----

function punct(name: string, text: string, category?: TokenType): TokenType {
  return createToken({ name, pattern: text, label: `'${text}'`, ...(category ? { categories: [category] } : {}) });
}

// Operator categories: the parser consumes a category, so the operators of one precedence
// level stay in source order in the CST.
export const AdditiveOp = createToken({ name: 'AdditiveOp', pattern: Lexer.NA, label: 'an operator' });
export const MultiplicativeOp = createToken({ name: 'MultiplicativeOp', pattern: Lexer.NA, label: 'an operator' });
export const ComparisonOp = createToken({ name: 'ComparisonOp', pattern: Lexer.NA, label: 'a comparison' });

export const LParen = punct('LParen', '(');
export const RParen = punct('RParen', ')');
export const LBracket = punct('LBracket', '[');
export const RBracket = punct('RBracket', ']');
export const LBrace = punct('LBrace', '{');
export const RBrace = punct('RBrace', '}');
export const Comma = punct('Comma', ',');
export const Colon = punct('Colon', ':');
export const Semicolon = punct('Semicolon', ';');
export const Dot = punct('Dot', '.');

export const EqEq = punct('EqEq', '==', ComparisonOp);
export const NotEq = punct('NotEq', '!=', ComparisonOp);
export const LessEq = punct('LessEq', '<=', ComparisonOp);
export const GreaterEq = punct('GreaterEq', '>=', ComparisonOp);
export const Less = punct('Less', '<', ComparisonOp);
export const Greater = punct('Greater', '>', ComparisonOp);
export const Assign = punct('Assign', '=');

export const StarStar = punct('StarStar', '**');
export const Plus = punct('Plus', '+', AdditiveOp);
export const Minus = punct('Minus', '-', AdditiveOp);
export const Star = punct('Star', '*', MultiplicativeOp);
export const Slash = punct('Slash', '/', MultiplicativeOp);
export const At = punct('At', '@', MultiplicativeOp);

/** Every token type, in lexing priority order. */
export const ALL_TOKENS: readonly TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedComment,
  ...KEYWORDS,
  Identifier,
  NumberLiteral,
  StringLiteral,
  UnterminatedString,
  LParen, RParen, LBracket, RBracket, LBrace, RBrace, Comma, Colon, Semicolon, Dot,
  EqEq, NotEq, LessEq, GreaterEq, Less, Greater, Assign,
  StarStar, Plus, Minus, Star, Slash, At,
  AdditiveOp, MultiplicativeOp, ComparisonOp,
];

/** Closing brackets and the opener each one closes, for "expected ')' to close '('" messages. */
export const CLOSERS: ReadonlyMap<TokenType, TokenType> = new Map([
  [RParen, LParen],
  [RBracket, LBracket],
  [RBrace, LBrace],
]);
