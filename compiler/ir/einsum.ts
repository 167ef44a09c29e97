// Einsum equations (NumPy's subscripts, as ONNX Einsum uses them): parsing into a label plan
// that type inference and the reference kernel share.
//
// `ij,jk->ik` names each operand axis by a letter; letters shared between operands are
// multiplied together, letters missing from the output are summed, and a letter repeated within
// one operand (`ii`) walks its diagonal. `...` stands for the axes a term does not name; the
// ellipses of all operands broadcast against each other, aligned at the right. Without `->`
// (implicit mode) the output is the ellipsis axes, then every letter used exactly once, in
// ASCII order (upper case first). Whitespace is ignored.

export interface EinsumPlan {
  /**
   * Per operand, the label of each axis. Letters label themselves; ellipsis axes get `.0`,
   * `.1`, ... numbered over the broadcast ellipsis, so axes aligned at the right share a label.
   */
  readonly operands: readonly (readonly string[])[];
  /** The labels of the output axes, in order. */
  readonly output: readonly string[];
}

interface Term {
  readonly letters: string[];
  /** Index in `letters` where the ellipsis sits, or -1. */
  readonly ellipsisAt: number;
}

function parseTerm(text: string, where: string): Term | string {
  const letters: string[] = [];
  let ellipsisAt = -1;
  for (let i = 0; i < text.length; ) {
    if (text.startsWith('...', i)) {
      if (ellipsisAt >= 0) return `${where} '${text}' has more than one ellipsis`;
      ellipsisAt = letters.length;
      i += 3;
    } else if (/[A-Za-z]/.test(text[i]!)) {
      letters.push(text[i]!);
      i++;
    } else {
      return `${where} '${text}' has the invalid character '${text[i]!}' (subscripts are letters and '...')`;
    }
  }
  return { letters, ellipsisAt };
}

function ellipsisLabels(count: number, total: number): string[] {
  return Array.from({ length: count }, (_, j) => `.${total - count + j}`);
}

/** The plan for `equation` on operands of the given ranks, or a message saying what is wrong. */
export function parseEinsum(equation: string, ranks: readonly number[]): EinsumPlan | string {
  const eq = equation.replace(/\s+/g, '');
  const sides = eq.split('->');
  if (sides.length > 2) return `einsum equation '${equation}' has more than one '->'`;
  const lhs = sides[0]!.split(',');
  if (lhs.length !== ranks.length) return `einsum equation '${equation}' has ${lhs.length} input term(s) for ${ranks.length} operand(s)`;

  const terms: Term[] = [];
  for (const [i, text] of lhs.entries()) {
    const term = parseTerm(text, `einsum input term ${i}`);
    if (typeof term === 'string') return term;
    terms.push(term);
  }
  const ellipsisRanks: number[] = [];
  for (const [i, term] of terms.entries()) {
    const extra = ranks[i]! - term.letters.length;
    if (term.ellipsisAt < 0 ? extra !== 0 : extra < 0) {
      return `einsum input term ${i} '${lhs[i]}' names ${term.letters.length} axes of an operand of rank ${ranks[i]}`;
    }
    ellipsisRanks.push(term.ellipsisAt < 0 ? 0 : extra);
  }
  const broadcastRank = Math.max(0, ...ellipsisRanks);
  const operands = terms.map((term, i) => {
    if (term.ellipsisAt < 0) return term.letters;
    const ell = ellipsisLabels(ellipsisRanks[i]!, broadcastRank);
    return [...term.letters.slice(0, term.ellipsisAt), ...ell, ...term.letters.slice(term.ellipsisAt)];
  });

  const counts = new Map<string, number>();
  for (const term of terms) for (const l of term.letters) counts.set(l, (counts.get(l) ?? 0) + 1);

  if (sides.length === 1) {
    const once = [...counts].filter(([, n]) => n === 1).map(([l]) => l).sort((a, b) => a.charCodeAt(0) - b.charCodeAt(0));
    const anyEllipsis = terms.some((t) => t.ellipsisAt >= 0);
    return { operands, output: [...(anyEllipsis ? ellipsisLabels(broadcastRank, broadcastRank) : []), ...once] };
  }

  const out = parseTerm(sides[1]!, 'einsum output term');
  if (typeof out === 'string') return out;
  const seen = new Set<string>();
  for (const l of out.letters) {
    if (seen.has(l)) return `einsum output term '${sides[1]}' lists '${l}' twice`;
    if (!counts.has(l)) return `einsum output term '${sides[1]}' uses '${l}', which no input term has`;
    seen.add(l);
  }
  if (out.ellipsisAt < 0) {
    if (broadcastRank > 0) return `einsum output term '${sides[1]}' has no '...' for the ${broadcastRank} axes the inputs' ellipses stand for`;
    return { operands, output: out.letters };
  }
  const ell = ellipsisLabels(broadcastRank, broadcastRank);
  return { operands, output: [...out.letters.slice(0, out.ellipsisAt), ...ell, ...out.letters.slice(out.ellipsisAt)] };
}
