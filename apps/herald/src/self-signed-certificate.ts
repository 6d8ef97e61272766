import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { selfSignedCertificateOpensslArgs } from '#herald/sip';

const run = promisify(execFile);
/** Long enough that a demo installation never meets an expired certificate. */
const CERTIFICATE_DAYS = 3650;

export interface CertificateFiles {
  cert: Buffer;
  key: Buffer;
}

export class CertificateError extends Error {
  readonly code = 'HERALD_CERTIFICATE_FAILED';
}

/**
 * The TLS certificate of the embedded default: `<dataDir>/tls/{cert,key}.pem`, generated with
 * openssl (self-signed, EC P-256, for `domain`, localhost and 127.0.0.1) at the first start.
 */
export async function ensureSelfSignedCertificate(
  dataDir: string,
  domain: string,
): Promise<CertificateFiles> {
  const directory = join(dataDir, 'tls');
  const certPath = join(directory, 'cert.pem');
  const keyPath = join(directory, 'key.pem');
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    try {
      await run(
        'openssl',
        selfSignedCertificateOpensslArgs({
          commonName: domain,
          subjectAltName: `DNS:${domain},DNS:localhost,IP:127.0.0.1`,
          days: CERTIFICATE_DAYS,
          keyPath,
          certPath,
        }),
      );
    } catch (cause) {
      throw new CertificateError('generating the self-signed certificate with openssl failed', { cause });
    }
  }
  return { cert: await readFile(certPath), key: await readFile(keyPath) };
}
