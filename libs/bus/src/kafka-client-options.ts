import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';

/** The SASL mechanisms kafkajs speaks without a plug-in (KAFKA_SASL_MECHANISM). */
export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** TLS to the brokers; the server name check stays on (a broker must present a certificate for its address). */
export interface KafkaTlsOptions {
  /** PEM file of the CA(s) that signed the brokers' certificates; absent: the system CAs. */
  caFile?: string;
  /** PEM client certificate file for mTLS; needs keyFile. */
  certFile?: string;
  /** PEM unencrypted private key file of certFile. */
  keyFile?: string;
}

export interface KafkaSaslOptions {
  mechanism: KafkaSaslMechanism;
  username: string;
  password: string;
}

/** How the client authenticates to and encrypts towards the brokers; empty: plaintext, no SASL. */
export interface KafkaSecurityOptions {
  tls?: KafkaTlsOptions;
  sasl?: KafkaSaslOptions;
}

export type KafkaSecurityErrorCode =
  'KAFKA_TLS_FILE_UNREADABLE' | 'KAFKA_TLS_FILE_INVALID' | 'KAFKA_TLS_KEY_MISMATCH';

/** A TLS file the bus cannot use: thrown when the bus is built, so a misconfigured process stops at start-up. */
export class KafkaSecurityError extends Error {
  constructor(
    readonly code: KafkaSecurityErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${code}: ${message}`, options);
    this.name = 'KafkaSecurityError';
  }
}

/** The kafkajs client options (`ssl`, `sasl`) of `security`, its files read and checked now. */
export function kafkaSecurityClientOptions(
  security: KafkaSecurityOptions | undefined,
): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  return {
    ...(security?.tls === undefined ? {} : { ssl: tlsConnectionOptions(security.tls) }),
    ...(security?.sasl === undefined ? {} : { sasl: saslOptions(security.sasl) }),
  };
}

function tlsConnectionOptions(tls: KafkaTlsOptions): NonNullable<Exclude<KafkaConfig['ssl'], boolean>> {
  const ca = tls.caFile === undefined ? undefined : readPem('CA certificate', tls.caFile, parseCertificate);
  const clientCertificate =
    tls.certFile === undefined ? undefined : readClientCertificate(tls.certFile, tls.keyFile);
  return {
    // Explicit so no caller option can turn the certificate and server name check off.
    rejectUnauthorized: true,
    ...(ca === undefined ? {} : { ca: [ca.pem] }),
    ...(clientCertificate === undefined ? {} : clientCertificate),
  };
}

function readClientCertificate(certFile: string, keyFile: string | undefined): { cert: string; key: string } {
  const cert = readPem('client certificate', certFile, parseCertificate);
  if (keyFile === undefined) {
    throw new KafkaSecurityError('KAFKA_TLS_FILE_INVALID', 'a client certificate needs its private key file');
  }
  const key = readPem('client private key', keyFile, (pem) => createPrivateKey(pem));
  if (!cert.parsed.checkPrivateKey(key.parsed)) {
    throw new KafkaSecurityError(
      'KAFKA_TLS_KEY_MISMATCH',
      `the private key ${keyFile} does not belong to the client certificate ${certFile}`,
    );
  }
  return { cert: cert.pem, key: key.pem };
}

function parseCertificate(pem: string): X509Certificate {
  return new X509Certificate(pem);
}

/** Reads a PEM file and parses it (what kafkajs would only find out at the first connection). */
function readPem<T>(what: string, path: string, parse: (pem: string) => T): { pem: string; parsed: T } {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new KafkaSecurityError('KAFKA_TLS_FILE_UNREADABLE', `cannot read the Kafka TLS ${what} ${path}`, {
      cause: error,
    });
  }
  try {
    return { pem, parsed: parse(pem) };
  } catch (error) {
    throw new KafkaSecurityError('KAFKA_TLS_FILE_INVALID', `the Kafka TLS ${what} ${path} is not valid PEM`, {
      cause: error,
    });
  }
}

function saslOptions(sasl: KafkaSaslOptions): SASLOptions {
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
}
