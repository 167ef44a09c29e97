// What an ONNX `.pb` file holds when it is not a TensorProto. The backend tests store optional
// and sequence values (onnx-data.proto's OptionalProto and SequenceProto) in `.pb` files too,
// and protobuf cannot tell messages apart: an OptionalProto decodes as a TensorProto whose
// dims are the bytes of its name, giving a nonsense size. So when a file does not read as a
// tensor, its top-level fields are checked against those two messages here, at the wire level
// (onnx-proto has no OptionalProto), to say what it is instead.
//
// OptionalProto and SequenceProto have the same fields: 1 name (string), 2 elem_type (enum),
// 3 tensor value(s), 4 sparse tensor(s), 5 sequence(s), 6 map(s), 7 optional(s); an optional
// holds at most one value, a sequence any number. A file whose fields are exactly these, with a
// name that reads as text, an elem_type that picks the value field it has (at least one value),
// and nested optionals and sequences that check out the same way, is one of them. This runs only
// on files that failed to read as a tensor, so a valid TensorProto is never taken for one.

/** The value field for each elem_type: TENSOR 1, SPARSE_TENSOR 2, SEQUENCE 3, MAP 4, OPTIONAL 5. */
const VALUE_FIELD: Readonly<Record<number, number>> = { 1: 3, 2: 4, 3: 5, 4: 6, 5: 7 };
const ELEM_TYPE_NAMES: Readonly<Record<number, string>> = { 1: 'TENSOR', 2: 'SPARSE_TENSOR', 3: 'SEQUENCE', 4: 'MAP', 5: 'OPTIONAL' };
const WIRE_VARINT = 0, WIRE_LEN = 2;
/** Nesting deeper than this is not a plausible value (and bounds the recursion). */
const MAX_DEPTH = 16;

interface Field {
  readonly number: number;
  readonly wire: number;
  readonly varint: number;
  readonly bytes: Uint8Array;
}

/** The top-level fields of a protobuf message, or undefined when the bytes are not one. */
function fields(bytes: Uint8Array): Field[] | undefined {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): number | undefined => {
    let value = 0, scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) return undefined;
      const b = bytes[pos++]!;
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return value;
    }
    return undefined;
  };
  while (pos < bytes.length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const number = Math.floor(tag / 8), wire = tag % 8;
    if (number === 0) return undefined;
    if (wire === WIRE_VARINT) {
      const v = varint();
      if (v === undefined) return undefined;
      out.push({ number, wire, varint: v, bytes: new Uint8Array() });
    } else if (wire === WIRE_LEN) {
      const length = varint();
      if (length === undefined || pos + length > bytes.length) return undefined;
      out.push({ number, wire, varint: 0, bytes: bytes.subarray(pos, pos + length) });
      pos += length;
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      if (pos + size > bytes.length) return undefined;
      out.push({ number, wire, varint: 0, bytes: bytes.subarray(pos, pos + size) });
      pos += size;
    } else {
      return undefined; // groups (3, 4) and invalid wire types
    }
  }
  return out;
}

/** A value name: UTF-8 without control characters (packed dims, read as text, usually have some). */
function nameOf(bytes: Uint8Array): string | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return /[\u0000-\u001f\u007f]/.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

interface Container {
  readonly name: string;
  readonly elemType: number;
  /** How many values it holds (more than one: a sequence). */
  readonly values: number;
}

/** The bytes read as an OptionalProto or SequenceProto, or undefined when they are neither. */
function container(bytes: Uint8Array, depth: number): Container | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const fs = fields(bytes);
  if (!fs) return undefined;
  let name = '', elemType: number | undefined, values = 0;
  for (const f of fs) {
    const text = f.number === 1 && f.wire === WIRE_LEN ? nameOf(f.bytes) : undefined;
    if (text !== undefined) name = text;
    else if (f.number === 2 && f.wire === WIRE_VARINT) elemType = f.varint;
    else if (f.number >= 3 && f.number <= 7 && f.wire === WIRE_LEN) values++;
    else return undefined;
  }
  if (elemType === undefined || VALUE_FIELD[elemType] === undefined) return undefined;
  // An empty optional or sequence at the top is too close to a TensorProto with no data to tell.
  if (depth === 0 && values === 0) return undefined;
  const field = VALUE_FIELD[elemType]!;
  for (const f of fs) {
    if (f.number < 3) continue;
    if (f.number !== field) return undefined;
    // Nested optionals and sequences must check out too; tensors and maps are taken as given.
    if ((field === 5 || field === 7) && !container(f.bytes, depth + 1)) return undefined;
  }
  return { name, elemType, values };
}

/**
 * What the bytes are when they look like an ONNX OptionalProto or SequenceProto rather than a
 * TensorProto: a phrase for a message (`an ONNX OptionalProto or SequenceProto (value 'x' of
 * elem_type SEQUENCE)`), or undefined.
 */
export function describeNonTensorProto(bytes: Uint8Array): string | undefined {
  const c = container(bytes, 0);
  if (!c) return undefined;
  const kind = c.values > 1 ? 'an ONNX SequenceProto' : 'an ONNX OptionalProto or SequenceProto';
  const named = c.name ? `value '${c.name}' ` : '';
  return `${kind} (${named}of elem_type ${ELEM_TYPE_NAMES[c.elemType]})`;
}
