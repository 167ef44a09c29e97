// No user input makes the front end throw: broken sources give diagnostics, never exceptions.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateCstDts } from 'chevrotain';
import { describe, expect, it } from 'vitest';
import { formatDiagnostics, hasErrors } from '../../compiler/diagnostics/diagnostic.js';
import { parser } from '../../dsl/parser.js';
import { compile, fixture } from './helpers.js';

function expectOnlyDiagnostics(source: string): void {
  let result;
  try {
    result = compile(source, 'fuzz.sluice');
  } catch (e) {
    expect.fail(`threw on ${JSON.stringify(source.slice(-60))}: ${(e as Error).stack}`);
  }
  formatDiagnostics(result.diagnostics);
  // No graph means an error says why.
  if (result.graph === undefined) expect(hasErrors(result.diagnostics)).toBe(true);
}

describe('truncated and damaged sources', () => {
  for (const name of ['block.sluice', 'mlp.sluice', 'classifier.sluice']) {
    const text = fixture(name);
    it(`every 7th prefix of ${name}`, () => {
      for (let n = 0; n <= text.length; n += 7) expectOnlyDiagnostics(text.slice(0, n));
    });
    it(`${name} with one character dropped or a bracket added, every 5th position`, () => {
      for (let i = 0; i < text.length; i += 5) {
        expectOnlyDiagnostics(text.slice(0, i) + text.slice(i + 1));
        expectOnlyDiagnostics(`${text.slice(0, i)}(${text.slice(i)}`);
        expectOnlyDiagnostics(`${text.slice(0, i)}]${text.slice(i)}`);
      }
    });
  }

  it('odd inputs', () => {
    for (const source of ['', '\u0000', '}}}}', 'model', 'model M(', '"', '/*', '((((((((((', 'model M() { output y = x[:::] }', 'model M(S = 99999999999999999999) { output y = 1 }']) {
      expectOnlyDiagnostics(source);
    }
  });
});

describe('dsl/cst.d.ts', () => {
  it('is what `npm run gen:cst` generates from the grammar', () => {
    const checkedIn = readFileSync(fileURLToPath(new URL('../../dsl/cst.d.ts', import.meta.url)), 'utf8');
    const generated = generateCstDts(parser.getGAstProductions(), { visitorInterfaceName: 'CstVisitor' });
    expect(checkedIn.slice(checkedIn.indexOf('\n') + 1)).toBe(generated);
  });
});
