import { timingSafeEqual } from "node:crypto";

/**
 * Compares two secrets in constant time. Both sides are hashed first so that neither the content nor
 * the length of the expected secret leaks through timing.
 */
export function secretsEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digestOf(presented), expectedDigest(expected));
}

// Bun's one-shot hash: node:crypto's createHash builds a hash object per call, on every request's credential.
const digestOf = (secret: string) => Bun.SHA256.hash(secret) as Uint8Array;

/**
 * Expected secrets are the few a process is configured with, compared on every request: their digests
 * are kept rather than computed each time. Bounded, should a caller pass ever-changing values.
 */
const expectedDigests = new Map<string, Uint8Array>();
const EXPECTED_DIGESTS_KEPT = 64;

function expectedDigest(expected: string): Uint8Array {
  let digest = expectedDigests.get(expected);
  if (digest) return digest;
  digest = digestOf(expected);
  if (expectedDigests.size >= EXPECTED_DIGESTS_KEPT) expectedDigests.clear();
  expectedDigests.set(expected, digest);
  return digest;
}
