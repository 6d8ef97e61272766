import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/** Long enough that a demo installation never meets an expired certificate. */
const CERTIFICATE_DAYS = 3650;
const DAY_MS = 24 * 60 * 60 * 1000;
/** subjectAltName entry types of selfsigned (RFC 5280 GeneralName tags). */
const SAN_DNS = 2;
const SAN_IP = 7;

export interface CertificateFiles {
  cert: Buffer;
  key: Buffer;
}

export class CertificateError extends Error {
  readonly code = 'HERALD_CERTIFICATE_FAILED';
}

/**
 * The TLS certificate of the embedded default: `<dataDir>/tls/{cert,key}.pem`, generated in-process
 * (self-signed, EC P-256, SHA-256, for `domain`, localhost and 127.0.0.1) at the first start and
 * reused afterwards. In-process because the slim container image has no `openssl` binary.
 */
export async function ensureSelfSignedCertificate(
  dataDir: string,
  domain: string,
  now: Date = new Date(),
): Promise<CertificateFiles> {
  const directory = join(dataDir, 'tls');
  const certPath = join(directory, 'cert.pem');
  const keyPath = join(directory, 'key.pem');
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    try {
      const pems = await generate([{ name: 'commonName', value: domain }], {
        keyType: 'ec',
        curve: 'P-256',
        algorithm: 'sha256',
        notBeforeDate: now,
        notAfterDate: new Date(now.getTime() + CERTIFICATE_DAYS * DAY_MS),
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, critical: true },
          { name: 'extKeyUsage', serverAuth: true },
          { name: 'subjectAltName', altNames: subjectAltNames(domain) },
        ],
      });
      await writeFile(keyPath, pems.private, { mode: 0o600 });
      await writeFile(certPath, pems.cert);
    } catch (cause) {
      throw new CertificateError('generating the self-signed certificate failed', { cause });
    }
  }
  return { cert: await readFile(certPath), key: await readFile(keyPath) };
}

/** `domain` (a name or an address), localhost and 127.0.0.1, each once. */
function subjectAltNames(
  domain: string,
): { type: typeof SAN_DNS | typeof SAN_IP; value?: string; ip?: string }[] {
  const names = new Set([domain, 'localhost', '127.0.0.1']);
  return [...names].map((name) =>
    isIP(name) === 0 ? { type: SAN_DNS, value: name } : { type: SAN_IP, ip: name },
  );
}
