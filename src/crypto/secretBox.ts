import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { AppError } from '../errors';

/**
 * AES-256-GCM for secrets at rest. The key comes from ENCRYPTION_KEY, or is derived from
 * API_SECRET_KEY with HKDF-SHA256. Each value is bound to its purpose (the AAD), so a
 * ciphertext copied into another field does not decrypt.
 * Format: "v1." + base64url(iv[12] | tag[16] | ciphertext).
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(keyMaterial: string) {
    this.key = Buffer.from(hkdfSync('sha256', keyMaterial, 'm365-x-connector', 'secrets-at-rest/v1', 32));
  }

  seal(plaintext: string, purpose: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(purpose));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url')}`;
  }

  open(sealed: string, purpose: string): string {
    if (!sealed.startsWith('v1.')) throw new SecretBoxError('unknown ciphertext format');
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    if (raw.length < 28) throw new SecretBoxError('ciphertext too short');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(purpose));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(
        'A stored secret cannot be decrypted: ENCRYPTION_KEY (or API_SECRET_KEY, from which it is derived) has changed since it was saved. ' +
          'Set it back, or enter all six settings again on the Configure page and sign each job in to X again.',
      );
    }
  }
}

/** A secret at rest that cannot be read: the admin's configuration (a changed key), a clear 409, not a 500. */
export class SecretBoxError extends AppError {
  constructor(message: string) {
    super(message, 409, 'SecretsUnreadable');
  }
}
