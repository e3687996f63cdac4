/**
 * A restricted unpickler: it decodes the data opcodes of Python's pickle (protocols 0-5, the
 * subset that state dicts use; torch.save writes protocol 2) into plain values and EXECUTES
 * NOTHING. A pickle names Python callables with GLOBAL / STACK_GLOBAL and calls them with
 * REDUCE / NEWOBJ / INST / OBJ; here only names on the caller's allow-list resolve, each to a
 * TypeScript handler that builds a value, so a hostile file (GLOBAL os.system, REDUCE) is
 * refused when it names the callable, before anything could run. Byte codes and semantics:
 * CPython Lib/pickletools.py.
 */
import { CheckpointFormatError, clip, messageOf } from './errors.js';

/** Base class for values that handlers build (tensors, storages); BUILD hands them its state. */
export abstract class PickleObject {
  build(state: PickleValue): void {
    void state; // most objects ignore pickled attributes
  }
}

/** A Python tuple (lists are plain arrays, so the two stay distinguishable). */
export class PyTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A Python dict or OrderedDict; keys keep insertion order. `state` is what BUILD attached. */
export class PyDict {
  readonly entries = new Map<PickleValue, PickleValue>();
  state: PickleValue | undefined;
}

/** A reference to an allow-listed Python global, e.g. `torch.FloatStorage`. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PyTuple
  | PyDict
  | PyGlobal
  | PickleObject;

/** What calling an allowed global produces; `null` marks a name usable only as a type tag. */
export type GlobalHandler = ((args: readonly PickleValue[]) => PickleValue) | null;

export interface UnpickleOptions {
  /** Labels error messages (`<file>: <problem>`). */
  file: string;
  /** The allow-list: `module.name` -> handler. Every other global is refused by name. */
  globals: ReadonlyMap<string, GlobalHandler>;
  /** Names the allow-list in refusals, e.g. "state-dict". */
  allowListName: string;
  /** Resolves persistent ids (torch: storages in the zip archive); absent means refused. */
  persistentLoad?: (pid: PickleValue) => PickleValue;
}

/** A short description of a value's Python type, for error messages. */
export function pyTypeName(v: PickleValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return 'dict';
  if (v instanceof PyGlobal) return v.qualifiedName;
  return v.constructor.name;
}

const MAX_PROTOCOL = 5;

/** Decodes one pickle. Throws CheckpointFormatError for anything malformed or not allowed. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PickleValue {
  return new Unpickler(bytes, options).run();
}

class Unpickler {
  private pos = 0;
  private opStart = 0;
  private stack: PickleValue[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly view: DataView;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(problem: string): never {
    throw new CheckpointFormatError(this.options.file, `${problem} (pickle byte ${this.opStart})`);
  }

  // --- reading the byte stream -------------------------------------------------------------

  private need(n: number): number {
    if (n < 0 || this.pos + n > this.bytes.byteLength) this.fail('truncated pickle');
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private u8(): number {
    return this.bytes[this.need(1)]!;
  }

  private u16(): number {
    return this.view.getUint16(this.need(2), true);
  }

  private i32(): number {
    return this.view.getInt32(this.need(4), true);
  }

  private u32(): number {
    return this.view.getUint32(this.need(4), true);
  }

  private u64(): number {
    const v = this.view.getBigUint64(this.need(8), true);
    if (v > BigInt(this.bytes.byteLength)) this.fail('truncated pickle');
    return Number(v);
  }

  private take(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  private text(n: number): string {
    try {
      return this.utf8.decode(this.take(n));
    } catch {
      return this.fail('string is not valid UTF-8');
    }
  }

  /** A newline-terminated line (protocol 0 arguments, GLOBAL names), without the newline. */
  private line(): string {
    const nl = this.bytes.indexOf(0x0a, this.pos);
    if (nl < 0) this.fail('truncated pickle (unterminated line)');
    const s = new TextDecoder('latin1').decode(this.bytes.subarray(this.pos, nl));
    this.pos = nl + 1;
    return s;
  }

  /** A little-endian two's-complement integer of n bytes (LONG1 / LONG4). */
  private long(n: number): number | bigint {
    if (n > 1 << 16) this.fail(`integer of ${n} bytes is implausibly long`);
    const b = this.take(n);
    if (n === 0) return 0;
    // Through one hex string: shifting a growing BigInt byte by byte is quadratic in n.
    let hex = '';
    for (let i = n - 1; i >= 0; i--) hex += b[i]!.toString(16).padStart(2, '0');
    let v = BigInt(`0x${hex}`);
    if (b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  // --- the stack -----------------------------------------------------------------------------

  private push(v: PickleValue): void {
    this.stack.push(v);
  }

  private pop(): PickleValue {
    const base = this.marks.length > 0 ? this.marks[this.marks.length - 1]! : 0;
    if (this.stack.length <= base) this.fail('stack underflow (malformed pickle)');
    return this.stack.pop()!;
  }

  private top(): PickleValue {
    const base = this.marks.length > 0 ? this.marks[this.marks.length - 1]! : 0;
    if (this.stack.length <= base) this.fail('stack underflow (malformed pickle)');
    return this.stack[this.stack.length - 1]!;
  }

  /** The items pushed since the last MARK, removing them and the mark. */
  private popMark(): PickleValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.fail('no MARK on the stack (malformed pickle)');
    return this.stack.splice(mark);
  }

  private put(index: number): void {
    this.memo.set(index, this.top());
  }

  private get(index: number): void {
    if (!this.memo.has(index)) this.fail(`memo entry ${index} is missing (malformed pickle)`);
    this.push(this.memo.get(index)!);
  }

  // --- globals and calls ---------------------------------------------------------------------

  private global(module: string, name: string): PyGlobal {
    const qualified = `${module}.${name}`;
    if (!this.options.globals.has(qualified)) {
      throw new CheckpointFormatError(
        this.options.file,
        `refusing pickle global "${clip(qualified, 200)}" (not in the ${this.options.allowListName} allow-list)`,
      );
    }
    return new PyGlobal(module, name);
  }

  private call(callable: PickleValue, args: PickleValue): PickleValue {
    if (!(callable instanceof PyGlobal)) this.fail(`cannot call a ${clip(pyTypeName(callable))}`);
    if (!(args instanceof PyTuple)) this.fail(`arguments to ${clip(callable.qualifiedName)} are a ${pyTypeName(args)}, expected a tuple`);
    const handler = this.options.globals.get(callable.qualifiedName);
    if (handler === undefined || handler === null) this.fail(`"${clip(callable.qualifiedName)}" is allowed only as a type, not called`);
    try {
      return handler(args.items);
    } catch (err) {
      if (err instanceof CheckpointFormatError) throw err;
      return this.fail(`${clip(callable.qualifiedName)}: ${messageOf(err)}`);
    }
  }

  private setItems(target: PickleValue, items: PickleValue[]): void {
    if (!(target instanceof PyDict)) this.fail(`SETITEM(S) on a ${pyTypeName(target)}, expected a dict`);
    if (items.length % 2 !== 0) this.fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) target.entries.set(items[i]!, items[i + 1]!);
  }

  private appendItems(target: PickleValue, items: PickleValue[]): void {
    if (!Array.isArray(target)) this.fail(`APPEND(S) on a ${pyTypeName(target)}, expected a list`);
    for (const item of items) target.push(item);
  }

  // --- the machine ---------------------------------------------------------------------------

  run(): PickleValue {
    for (;;) {
      this.opStart = this.pos;
      if (this.pos >= this.bytes.byteLength) this.fail('truncated pickle (no STOP opcode)');
      const op = this.u8();
      switch (op) {
        case 0x80: {
          // PROTO
          const proto = this.u8();
          if (proto > MAX_PROTOCOL) this.fail(`unsupported pickle protocol ${proto}`);
          break;
        }
        case 0x95: // FRAME: a length hint for buffered readers; the whole pickle is in memory
          this.u64();
          break;
        case 0x2e: // STOP
          return this.pop();
        case 0x28: // MARK
          this.marks.push(this.stack.length);
          break;
        case 0x30: // POP
          this.pop();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;

        // Constants and numbers.
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x4a: // BININT
          this.push(this.i32());
          break;
        case 0x4b: // BININT1
          this.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.push(this.u16());
          break;
        case 0x8a: // LONG1
          this.push(this.long(this.u8()));
          break;
        case 0x8b: {
          // LONG4
          const n = this.i32();
          this.push(this.long(n));
          break;
        }
        case 0x47: // BINFLOAT: big-endian float64
          this.push(this.view.getFloat64(this.need(8), false));
          break;
        case 0x49: {
          // INT (protocol 0): decimal, or 00 / 01 for False / True
          const s = this.line();
          if (s === '00' || s === '01') this.push(s === '01');
          else if (/^[+-]?\d+$/.test(s)) this.push(Number(s));
          else this.fail(`bad INT argument "${clip(s)}"`);
          break;
        }
        case 0x4c: {
          // LONG (protocol 0): decimal with an optional L suffix
          const s = this.line().replace(/L$/, '');
          if (!/^[+-]?\d+$/.test(s)) this.fail(`bad LONG argument "${clip(s)}"`);
          // Decimal to BigInt is superlinear; no state dict holds an integer of thousands of digits.
          if (s.length > 4096) this.fail(`LONG argument of ${s.length} digits is implausibly long`);
          const v = BigInt(s);
          this.push(Number.isSafeInteger(Number(v)) ? Number(v) : v);
          break;
        }
        case 0x46: {
          // FLOAT (protocol 0)
          const v = Number(this.line());
          if (Number.isNaN(v)) this.fail('bad FLOAT argument');
          this.push(v);
          break;
        }

        // Strings and bytes.
        case 0x58: // BINUNICODE
          this.push(this.text(this.u32()));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.text(this.u8()));
          break;
        case 0x8d: // BINUNICODE8
          this.push(this.text(this.u64()));
          break;
        case 0x54: // BINSTRING (Python 2 str): decoded as UTF-8, as torch.load does
          this.push(this.text(this.i32()));
          break;
        case 0x55: // SHORT_BINSTRING
          this.push(this.text(this.u8()));
          break;
        case 0x42: // BINBYTES
          this.push(this.take(this.u32()).slice());
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(this.take(this.u8()).slice());
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          this.push(this.take(this.u64()).slice());
          break;

        // Containers.
        case 0x7d: // EMPTY_DICT
          this.push(new PyDict());
          break;
        case 0x64: {
          // DICT
          const d = new PyDict();
          this.setItems(d, this.popMark());
          this.push(d);
          break;
        }
        case 0x5d: // EMPTY_LIST
          this.push([]);
          break;
        case 0x6c: // LIST
          this.push(this.popMark());
          break;
        case 0x29: // EMPTY_TUPLE
          this.push(new PyTuple([]));
          break;
        case 0x74: // TUPLE
          this.push(new PyTuple(this.popMark()));
          break;
        case 0x85: // TUPLE1
          this.push(new PyTuple([this.pop()]));
          break;
        case 0x86: {
          // TUPLE2
          const b = this.pop();
          const a = this.pop();
          this.push(new PyTuple([a, b]));
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.push(new PyTuple([a, b, c]));
          break;
        }
        case 0x73: {
          // SETITEM
          const value = this.pop();
          const key = this.pop();
          this.setItems(this.top(), [key, value]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case 0x61: {
          // APPEND
          const item = this.pop();
          this.appendItems(this.top(), [item]);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          this.appendItems(this.top(), items);
          break;
        }

        // Memo.
        case 0x71: // BINPUT
          this.put(this.u8());
          break;
        case 0x72: // LONG_BINPUT
          this.put(this.u32());
          break;
        case 0x94: // MEMOIZE
          this.put(this.memo.size);
          break;
        case 0x70: // PUT (protocol 0)
          this.put(this.decimalLine());
          break;
        case 0x68: // BINGET
          this.get(this.u8());
          break;
        case 0x6a: // LONG_BINGET
          this.get(this.u32());
          break;
        case 0x67: // GET (protocol 0)
          this.get(this.decimalLine());
          break;

        // Globals, calls, objects: only through the allow-list.
        case 0x63: {
          // GLOBAL
          const module = this.line();
          const name = this.line();
          this.push(this.global(module, name));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs two strings');
          this.push(this.global(module, name));
          break;
        }
        case 0x52: {
          // REDUCE: callable(*args)
          const args = this.pop();
          const callable = this.pop();
          this.push(this.call(callable, args));
          break;
        }
        case 0x81: {
          // NEWOBJ: cls.__new__(cls, *args), treated as a call to the allowed class
          const args = this.pop();
          const cls = this.pop();
          this.push(this.call(cls, args));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX: as NEWOBJ, keyword arguments refused
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          if (!(kwargs instanceof PyDict) || kwargs.entries.size > 0) this.fail('NEWOBJ_EX with keyword arguments is not supported');
          this.push(this.call(cls, args));
          break;
        }
        case 0x69: {
          // INST (protocol 0): module and name lines, arguments since the mark
          const cls = this.global(this.line(), this.line());
          this.push(this.call(cls, new PyTuple(this.popMark())));
          break;
        }
        case 0x6f: {
          // OBJ: class and arguments since the mark
          const items = this.popMark();
          if (items.length === 0) this.fail('OBJ without a class');
          this.push(this.call(items[0]!, new PyTuple(items.slice(1))));
          break;
        }
        case 0x62: {
          // BUILD: obj.__setstate__(state); here only recorded, never executed
          const state = this.pop();
          const target = this.top();
          if (target instanceof PyDict) target.state = state;
          else if (target instanceof PickleObject) target.build(state);
          else this.fail(`BUILD on a ${pyTypeName(target)}`);
          break;
        }
        case 0x51: {
          // BINPERSID
          const pid = this.pop();
          this.push(this.persistent(pid));
          break;
        }
        case 0x50: // PERSID (protocol 0)
          this.push(this.persistent(this.line()));
          break;

        case 0x82:
        case 0x83:
        case 0x84: // EXT1, EXT2, EXT4
          this.fail('refusing pickle extension-registry opcode (EXT), which names globals indirectly');
          break;
        default:
          this.fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
    }
  }

  private decimalLine(): number {
    const s = this.line();
    if (!/^\d+$/.test(s)) this.fail(`bad memo index "${clip(s)}"`);
    return Number(s);
  }

  private persistent(pid: PickleValue): PickleValue {
    const load = this.options.persistentLoad;
    if (load === undefined) this.fail('persistent id in a pickle that may not have any');
    try {
      return load(pid);
    } catch (err) {
      if (err instanceof CheckpointFormatError) throw err;
      return this.fail(messageOf(err));
    }
  }
}
