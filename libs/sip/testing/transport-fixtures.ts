// Helpers for the transport layer's loopback specs; outside src/, so never built into dist.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificateOpensslArgs } from '../src/transport/self-signed-certificate';

export interface TestCertificate {
  key: string;
  cert: string;
}

/** A throw-away self-signed certificate for 127.0.0.1, generated with openssl into a temp dir. */
export function generateTestCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'herald-sip-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      selfSignedCertificateOpensslArgs({
        commonName: '127.0.0.1',
        subjectAltName: 'IP:127.0.0.1',
        days: 1,
        keyPath,
        certPath,
      }),
      { stdio: 'ignore' },
    );
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Polls until the predicate holds (loopback I/O completes within milliseconds). */
export async function waitFor(predicate: () => boolean, what = 'condition'): Promise<void> {
  const pollMs = 5;
  const attempts = 400;
  for (let attempt = 0; attempt < attempts && !predicate(); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  if (!predicate()) throw new Error(`${what} not reached`);
}

/** A minimal valid request for the transport specs (RFC 3261 §8.1.1 mandatory headers). */
export function optionsRequest(branch: string, transport = 'UDP', body = ''): string {
  return (
    `OPTIONS sip:herald.example SIP/2.0\r\nVia: SIP/2.0/${transport} 127.0.0.1:5070;branch=${branch}\r\n` +
    'Max-Forwards: 70\r\nFrom: <sip:a@herald.example>;tag=1\r\nTo: <sip:herald.example>\r\nCall-ID: c1\r\n' +
    `CSeq: 1 OPTIONS\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
