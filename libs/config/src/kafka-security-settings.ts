import { z } from 'zod';
import { booleanSetting, type ConfigProblem } from './read-settings';

/** The SASL mechanisms the Kafka client (kafkajs) speaks. */
export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

const filePath = z.string().min(1);

/**
 * TLS and SASL towards Kafka, named as the Helm chart renders them (kafka.tls, kafka.sasl); part
 * of HERALD_SETTINGS. The files are read by the bus when it is built, so a bad one stops the start.
 */
export const KAFKA_SECURITY_SETTINGS = {
  kafkaSsl: {
    variable: 'KAFKA_SSL',
    schema: booleanSetting(),
  },
  kafkaSslCaFile: { variable: 'KAFKA_SSL_CA_FILE', schema: filePath.optional() },
  kafkaSslCertFile: { variable: 'KAFKA_SSL_CERT_FILE', schema: filePath.optional() },
  kafkaSslKeyFile: { variable: 'KAFKA_SSL_KEY_FILE', schema: filePath.optional() },
  kafkaSaslMechanism: { variable: 'KAFKA_SASL_MECHANISM', schema: z.enum(KAFKA_SASL_MECHANISMS).optional() },
  kafkaSaslUsername: { variable: 'KAFKA_SASL_USERNAME', schema: z.string().min(1).optional() },
  kafkaSaslPassword: { variable: 'KAFKA_SASL_PASSWORD', schema: z.string().min(1).optional() },
} as const;

/** The settings every Kafka client loads beside its brokers (`loadConfig([...KAFKA_SECURITY_CONFIG_KEYS, …])`). */
export const KAFKA_SECURITY_CONFIG_KEYS = Object.keys(KAFKA_SECURITY_SETTINGS) as Array<
  keyof typeof KAFKA_SECURITY_SETTINGS
>;

export interface KafkaSecurityValues {
  kafkaSsl: boolean;
  kafkaSslCaFile: string | undefined;
  kafkaSslCertFile: string | undefined;
  kafkaSslKeyFile: string | undefined;
  kafkaSaslMechanism: (typeof KAFKA_SASL_MECHANISMS)[number] | undefined;
  kafkaSaslUsername: string | undefined;
  kafkaSaslPassword: string | undefined;
}

/** Combinations the Kafka client cannot use, checked on the settings that parsed (`values` may lack some). */
export function kafkaSecurityProblems(values: Partial<KafkaSecurityValues>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (values.kafkaSsl === false) {
    for (const key of ['kafkaSslCaFile', 'kafkaSslCertFile', 'kafkaSslKeyFile'] as const) {
      if (values[key] !== undefined) {
        problems.push({ variable: KAFKA_SECURITY_SETTINGS[key].variable, message: 'needs KAFKA_SSL=true' });
      }
    }
  }
  if ((values.kafkaSslCertFile === undefined) !== (values.kafkaSslKeyFile === undefined)) {
    problems.push({
      variable: values.kafkaSslCertFile === undefined ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE',
      message:
        'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (the client certificate of mTLS and its key)',
    });
  }
  const credentials = ['kafkaSaslUsername', 'kafkaSaslPassword'] as const;
  for (const key of credentials) {
    const variable = KAFKA_SECURITY_SETTINGS[key].variable;
    if (values.kafkaSaslMechanism !== undefined && key in values && values[key] === undefined) {
      problems.push({ variable, message: 'required when KAFKA_SASL_MECHANISM is set' });
    }
    if (
      'kafkaSaslMechanism' in values &&
      values.kafkaSaslMechanism === undefined &&
      values[key] !== undefined
    ) {
      problems.push({ variable, message: 'needs KAFKA_SASL_MECHANISM' });
    }
  }
  return problems;
}

/** What the Kafka bus needs of those settings (its `security` option); empty: plaintext without SASL. */
export interface KafkaSecuritySettings {
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  sasl?: { mechanism: (typeof KAFKA_SASL_MECHANISMS)[number]; username: string; password: string };
}

export function kafkaSecurityOf(config: KafkaSecurityValues): KafkaSecuritySettings {
  const { kafkaSaslMechanism: mechanism, kafkaSaslUsername: username, kafkaSaslPassword: password } = config;
  return {
    ...(config.kafkaSsl
      ? {
          tls: {
            ...(config.kafkaSslCaFile === undefined ? {} : { caFile: config.kafkaSslCaFile }),
            ...(config.kafkaSslCertFile === undefined ? {} : { certFile: config.kafkaSslCertFile }),
            ...(config.kafkaSslKeyFile === undefined ? {} : { keyFile: config.kafkaSslKeyFile }),
          },
        }
      : {}),
    // loadConfig has refused a mechanism without both credentials.
    ...(mechanism === undefined || username === undefined || password === undefined
      ? {}
      : { sasl: { mechanism, username, password } }),
  };
}
