/**
 * Side-effect module imported on the first line of every app's main.ts, before NestJS, kafkajs
 * and pg are loaded, so that the instrumentations can patch them. Service name: see serviceNameOf.
 */
import { serviceNameOf, startTelemetry } from './telemetry';

startTelemetry({ serviceName: serviceNameOf(process.argv[1]) });
