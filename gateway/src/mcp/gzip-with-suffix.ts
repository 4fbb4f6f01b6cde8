/**
 * Gzip for bodies that share a long beginning and differ only in a short end, like the cached tools/list
 * answer followed by each request's id. The beginning is compressed once and ends byte-aligned, not
 * final; every body then appends its own end as an uncompressed final block plus the gzip trailer, so
 * building one costs a CRC over a few bytes. Each body is an ordinary single-member gzip stream
 * (RFC 1951 and 1952), which any decoder reads.
 */
import { constants, crc32, deflateRawSync } from "node:zlib";

/** Magic, deflate, no flags, no modification time, no extra flags, unknown OS. */
const GZIP_HEADER = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff);
/** Longest end one stored block can hold. */
const MAX_SUFFIX_BYTES = 0xffff;

/** Returns the gzip body of `prefix` + `suffix` as parts to send in order, or undefined for a suffix too long for it. */
export type GzipWithSuffix = (suffix: Uint8Array) => Uint8Array<ArrayBuffer>[] | undefined;

export function createGzipWithSuffix(prefix: Uint8Array): GzipWithSuffix {
  // A sync flush ends the deflate data on a byte boundary without marking a final block.
  const deflated = deflateRawSync(prefix, { finishFlush: constants.Z_SYNC_FLUSH });
  const head = new Uint8Array(GZIP_HEADER.length + deflated.length);
  head.set(GZIP_HEADER);
  head.set(deflated, GZIP_HEADER.length);
  const prefixCrc = crc32(prefix);

  return (suffix) => {
    if (suffix.length > MAX_SUFFIX_BYTES) return undefined;
    const tail = new Uint8Array(5 + suffix.length + 8);
    const view = new DataView(tail.buffer);
    tail[0] = 1; // final block, stored
    view.setUint16(1, suffix.length, true);
    view.setUint16(3, ~suffix.length & 0xffff, true);
    tail.set(suffix, 5);
    view.setUint32(5 + suffix.length, crc32(suffix, prefixCrc) >>> 0, true);
    view.setUint32(9 + suffix.length, (prefix.length + suffix.length) >>> 0, true);
    return [head, tail];
  };
}
