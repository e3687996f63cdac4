/**
 * A minimal zip reader for torch.save archives: the central directory (zip64 included, which
 * torch writes for large files) and entries that are stored (torch's default, and then read
 * without copying) or deflated (inflated with fflate). Encrypted and multi-disk archives are
 * refused. CRCs are not checked: the structure is, and checking 400 MB of CRC would double the
 * load time for a corruption that the zip layer rarely sees.
 */
import { inflateSync } from 'fflate';
import { CheckpointFormatError, clip, formatBytes, messageOf } from './errors.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_END64 = 0x06064b50;
const SIG_END64_LOCATOR = 0x07064b50;
const EXTRA_ZIP64 = 0x0001;
const MAX_COMMENT = 0xffff;
/** Deflate's largest expansion (258-byte matches in ~2 bits each), rounded up. */
const MAX_DEFLATE_RATIO = 1032;

/** Whether `bytes` starts like a zip archive (a local file header or an empty archive). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
}

/** The entries of a zip archive held in memory, by name, from its central directory. */
export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    try {
      this.readCentralDirectory();
    } catch (err) {
      // A field pointing outside the file surfaces as a DataView RangeError.
      if (err instanceof RangeError) this.fail('truncated or corrupt zip archive: a directory field points outside the file');
      throw err;
    }
  }

  private fail(problem: string): never {
    throw new CheckpointFormatError(this.file, problem);
  }

  private u16(at: number): number {
    return this.view.getUint16(at, true);
  }

  private u32(at: number): number {
    return this.view.getUint32(at, true);
  }

  private u64(at: number): number {
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`corrupt zip archive: 64-bit field ${v} at byte ${at} is out of range`);
    return Number(v);
  }

  private findEnd(): number {
    const len = this.bytes.byteLength;
    const stop = Math.max(0, len - 22 - MAX_COMMENT);
    for (let at = len - 22; at >= stop; at--) {
      if (this.u32(at) === SIG_END && at + 22 + this.u16(at + 20) <= len) return at;
    }
    return this.fail(
      `truncated or corrupt zip archive: end-of-central-directory record not found in ${formatBytes(len)} ` +
        '(the file was probably cut short while copying or saving)',
    );
  }

  private readCentralDirectory(): void {
    const len = this.bytes.byteLength;
    if (len < 22) this.fail(`truncated zip archive: ${len} bytes`);
    const end = this.findEnd();
    if (this.u16(end + 4) !== 0 || this.u16(end + 6) !== 0) this.fail('multi-disk zip archives are not supported');
    let count = this.u16(end + 10);
    let cdSize = this.u32(end + 12);
    let cdOffset = this.u32(end + 16);
    const locator = end - 20;
    if (locator >= 0 && this.u32(locator) === SIG_END64_LOCATOR) {
      const end64 = this.u64(locator + 8);
      if (end64 + 56 > len || this.u32(end64) !== SIG_END64) this.fail('corrupt zip archive: bad zip64 end-of-central-directory record');
      count = this.u64(end64 + 32);
      cdSize = this.u64(end64 + 40);
      cdOffset = this.u64(end64 + 48);
    }
    if (cdOffset + cdSize > len) {
      this.fail(`truncated zip archive: central directory at ${cdOffset} + ${cdSize} bytes runs past the end (${formatBytes(len)})`);
    }
    const decoder = new TextDecoder('utf-8');
    let at = cdOffset;
    for (let i = 0; i < count; i++) {
      if (at + 46 > cdOffset + cdSize || this.u32(at) !== SIG_CENTRAL) this.fail(`corrupt zip archive: bad central directory entry ${i}`);
      const flags = this.u16(at + 8);
      const method = this.u16(at + 10);
      let compressedSize = this.u32(at + 20);
      let size = this.u32(at + 24);
      const nameLen = this.u16(at + 28);
      const extraLen = this.u16(at + 30);
      const commentLen = this.u16(at + 32);
      let localHeaderOffset = this.u32(at + 42);
      const name = decoder.decode(this.bytes.subarray(at + 46, at + 46 + nameLen));
      // zip64: fields that overflow 32 bits are 0xFFFFFFFF and live in the 0x0001 extra field,
      // in a fixed order, present only for the fields that overflowed.
      let x = at + 46 + nameLen;
      const extraEnd = x + extraLen;
      while (x + 4 <= extraEnd) {
        const id = this.u16(x);
        const fieldLen = this.u16(x + 2);
        if (id === EXTRA_ZIP64) {
          let f = x + 4;
          if (size === 0xffffffff) {
            size = this.u64(f);
            f += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = this.u64(f);
            f += 8;
          }
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = this.u64(f);
        }
        x += 4 + fieldLen;
      }
      if (flags & 1) this.fail(`zip entry "${clip(name)}" is encrypted`);
      this.entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
      at = extraEnd + commentLen;
    }
  }

  /**
   * The uncompressed bytes of an entry: a view into the archive for stored entries (no copy),
   * a new buffer for deflated ones.
   */
  read(entry: ZipEntry): Uint8Array {
    const len = this.bytes.byteLength;
    const h = entry.localHeaderOffset;
    if (h + 30 > len || this.u32(h) !== SIG_LOCAL) this.fail(`corrupt zip archive: bad local header for "${clip(entry.name)}"`);
    const start = h + 30 + this.u16(h + 26) + this.u16(h + 28);
    const stop = start + entry.compressedSize;
    if (stop > len) {
      this.fail(`truncated: zip entry "${clip(entry.name)}" needs bytes up to ${stop}, file has ${formatBytes(len)}`);
    }
    const raw = this.bytes.subarray(start, stop);
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size) this.fail(`corrupt zip archive: stored entry "${clip(entry.name)}" has mismatched sizes`);
      return raw;
    }
    if (entry.method === 8) {
      // Deflate expands at most ~1032:1; a larger declared size is a lie, refused before allocating it.
      if (entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 64) {
        this.fail(
          `corrupt zip entry "${clip(entry.name)}": declares ${formatBytes(entry.size)} uncompressed from ` +
            `${formatBytes(entry.compressedSize)}, more than deflate can produce`,
        );
      }
      let out: Uint8Array;
      try {
        out = inflateSync(raw, { out: new Uint8Array(entry.size) });
      } catch (err) {
        return this.fail(`corrupt zip entry "${clip(entry.name)}": ${messageOf(err)}`);
      }
      if (out.byteLength !== entry.size) this.fail(`corrupt zip entry "${clip(entry.name)}": inflated to ${out.byteLength} bytes, expected ${entry.size}`);
      return out;
    }
    return this.fail(`zip entry "${clip(entry.name)}" uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
  }
}
