import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateError, ensureSelfSignedCertificate } from './self-signed-certificate';

describe('ensureSelfSignedCertificate', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'herald-cert-spec-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('makes an EC P-256 certificate for the domain, localhost and 127.0.0.1 whose key matches it', async () => {
    const issuedAt = new Date('2026-01-01T00:00:00Z');
    const files = await ensureSelfSignedCertificate(dataDir, 'herald.example', issuedAt);

    const certificate = new X509Certificate(files.cert);
    const key = createPrivateKey(files.key);
    expect(certificate.subject).toBe('CN=herald.example');
    expect(certificate.issuer).toBe(certificate.subject);
    expect(certificate.subjectAltName?.split(', ').sort()).toEqual(
      ['DNS:herald.example', 'DNS:localhost', 'IP Address:127.0.0.1'].sort(),
    );
    expect(certificate.ca).toBe(false);
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(certificate.checkPrivateKey(key)).toBe(true);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(new Date(certificate.validFrom).getTime()).toBe(issuedAt.getTime());
    expect(new Date(certificate.validTo).toISOString()).toBe('2035-12-30T00:00:00.000Z');
    expect(statSync(join(dataDir, 'tls', 'key.pem')).mode & 0o777).toBe(0o600);
  });

  it('names an address domain as an IP entry, once', async () => {
    const files = await ensureSelfSignedCertificate(dataDir, '127.0.0.1');
    expect(new X509Certificate(files.cert).subjectAltName?.split(', ').sort()).toEqual([
      'DNS:localhost',
      'IP Address:127.0.0.1',
    ]);
  });

  it('reuses the files of an earlier start', async () => {
    const first = await ensureSelfSignedCertificate(dataDir, 'herald.example');
    const second = await ensureSelfSignedCertificate(dataDir, 'other.example');
    expect(second.cert.equals(first.cert)).toBe(true);
    expect(second.key.equals(first.key)).toBe(true);
    expect(readFileSync(join(dataDir, 'tls', 'cert.pem')).equals(first.cert)).toBe(true);
  });

  it('reports a file it cannot write as HERALD_CERTIFICATE_FAILED', async () => {
    // A directory where the certificate file belongs: writing it fails.
    mkdirSync(join(dataDir, 'tls', 'cert.pem'), { recursive: true });
    const attempt = ensureSelfSignedCertificate(dataDir, 'herald.example');
    await expect(attempt).rejects.toBeInstanceOf(CertificateError);
    await expect(attempt).rejects.toMatchObject({ code: 'HERALD_CERTIFICATE_FAILED' });
  });
});
