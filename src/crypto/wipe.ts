// Best-effort zeroing of secrets.
//
// Limits, in a garbage-collected runtime: we can zero the Uint8Arrays we own,
// but not copies made elsewhere: engine key objects (node KeyObject, WebCrypto
// CryptoKey) hold their own copy until collected; base64 strings decoded from
// headers are immutable and live until collected; the GC may have moved or
// copied buffers; and swap or core dumps may hold any of them. Zeroing narrows
// the window in which a heap snapshot shows a key; it does not close it.

/** Overwrites every byte of each buffer with zero. */
export function wipe(...buffers: (Uint8Array | null | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}
