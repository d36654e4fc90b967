// Key status probe shared by the backends: a data key generated and opened again
// under a fixed context proves the key usable end to end.
import type { EncryptionContext, Kms } from './types.ts';

const statusContext: EncryptionContext = Object.freeze({ 'cairn/kms': 'status' });

export async function roundTripOk(kms: Pick<Kms, 'generateDataKey' | 'decrypt'>, keyId: string): Promise<boolean> {
  try {
    const dataKey = await kms.generateDataKey(keyId, statusContext);
    const opened = await kms.decrypt(keyId, dataKey.ciphertext, statusContext);
    const ok = Buffer.from(opened).equals(Buffer.from(dataKey.plaintext));
    opened.fill(0);
    dataKey.plaintext.fill(0);
    return ok;
  } catch {
    return false;
  }
}
