// Lines with indentation for printed source (STYLE 14): `block` always closes what it opens,
// so helpers write whole blocks and never return half-open braces.

export class CodeWriter {
  private readonly lines: string[] = [];
  private depth = 0;

  line(text: string): void {
    this.lines.push(text === '' ? '' : '  '.repeat(this.depth) + text);
  }

  block(header: string, body: () => void): void {
    this.chain([[header, body]]);
  }

  /** Blocks that follow each other on the closing line: `if (c) {` … `} else {` … `}`. */
  chain(parts: readonly (readonly [string, () => void])[]): void {
    parts.forEach(([header, body], i) => {
      this.line(i === 0 ? (header === '' ? '{' : `${header} {`) : `} ${header} {`);
      this.depth++;
      body();
      this.depth--;
    });
    this.line('}');
  }

  /** Lines written so far (1-based numbers match `text()`'s lines). */
  get lineCount(): number {
    return this.lines.length;
  }

  text(): string {
    return this.lines.join('\n') + '\n';
  }
}
